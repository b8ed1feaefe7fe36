/* Setting up messages, and reading fields back out of a parsed one. */
#include <string.h>

#include "internal.h"

void rp_message_init(rp_message *m, rp_header *headers, uint32_t max_headers,
		     const rp_limits *limits)
{
	/* Only what a parse reads before writing: a pipelined batch calls this
	 * per request, so it stays a handful of stores. */
	m->headers = headers;
	m->max_headers = max_headers;
	m->limits = limits ? *limits
			   : (rp_limits){RP_DEFAULT_MAX_HEADER_BYTES, RP_DEFAULT_MAX_TARGET};
	m->method = m->target = m->reason = (rp_span){0, 0};
	m->method_id = RP_M_OTHER;
	m->target_form = RP_TARGET_ORIGIN;
	m->version_major = m->version_minor = 0;
	m->framing = RP_BODY_NONE;
	m->status = 0;
	m->error = RP_OK;
	m->error_offset = 0;
	m->nheaders = 0;
	m->flags = 0;
	m->host_index = -1;
	m->content_length = 0;
	m->resume = (rp_resume){0};
}

void rp__trailer_init(rp_message *m, uint32_t max_bytes, uint32_t max_fields)
{
	rp_limits limits = {max_bytes, 0};
	rp_message_init(m, NULL, max_fields, &limits);
	m->resume.stage = RP_ST_LINE;
	m->resume.seen = RP_KIND_TRAILER;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

int rp_find_header(const rp_message *m, const char *buf, const char *name, size_t name_len,
		   uint32_t from)
{
	if (!m->headers)
		return -1;
	for (uint32_t i = from; i < m->nheaders; i++) {
		const rp_header *h = &m->headers[i];
		if (h->name.len != name_len)
			continue;
		const unsigned char *n = (const unsigned char *)buf + h->name.off;
		size_t k = 0;
		while (k < name_len && lower(n[k]) == lower((unsigned char)name[k]))
			k++;
		if (k == name_len)
			return (int)i;
	}
	return -1;
}

/* In a parsed value a CR or LF can only be part of an obs-fold (the value
 * scan lets no other through), and RFC 9112 5.2 reads each fold as SP: so
 * every CR and LF becomes SP, and "a CR LF SP b" reads "a   b". */
void rp_unfold(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		dst[i] = c == '\r' || c == '\n' ? ' ' : c;
	}
}
