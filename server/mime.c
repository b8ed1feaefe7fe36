#include "mime.h"

#include <strings.h>

/* A small fixed table: the types a benchmark's document root holds.  A
 * server that needs more reads /etc/mime.types; this one does not. */
static const struct {
	const char *ext;
	const char *type;
} srv_mime_table[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"json", "application/json"},
	{"txt", "text/plain; charset=utf-8"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"svg", "image/svg+xml"},
	{"ico", "image/vnd.microsoft.icon"},
	{"wasm", "application/wasm"},
	{"pdf", "application/pdf"},
	{"xml", "application/xml"},
	{"woff2", "font/woff2"},
};

const char *srv_mime_type(const char *name, size_t len)
{
	size_t dot = len;
	for (size_t i = len; i > 0; i--) {
		if (name[i - 1] == '/')
			break;
		if (name[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	}
	size_t elen = dot < len ? len - dot - 1 : 0;
	if (elen == 0 || elen > 5)
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof(srv_mime_table) / sizeof(srv_mime_table[0]); i++) {
		const char *e = srv_mime_table[i].ext;
		size_t k = 0;
		while (e[k] && k < elen)
			k++;
		if (k == elen && e[k] == '\0' && strncasecmp(e, name + dot + 1, elen) == 0)
			return srv_mime_table[i].type;
	}
	return "application/octet-stream";
}
