#include "http_path.h"

#include <string.h>

static int srv_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

srv_path_err srv_path_normalize(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
				int *dir)
{
	if (len == 0 || in[0] != '/')
		return SRV_PATH_NOT_ABSOLUTE;
	if (cap < 2)
		return SRV_PATH_TOO_LONG;
	size_t o = 0; /* out[0, o): the segments kept so far, joined by '/' */
	size_t i = 1;
	*dir = 1; /* "/" alone is the root directory */
	while (i <= len) {
		/* One segment: in[i, end). */
		size_t end = i;
		while (end < len && in[end] != '/')
			end++;
		/* Decoded, it is appended after a separator; dropped below if
		 * it turns out to be empty or a dot segment. */
		size_t seg = o ? o + 1 : 0;
		size_t w = seg;
		if (o) {
			if (o + 1 >= cap)
				return SRV_PATH_TOO_LONG;
			out[o] = '/';
		}
		for (size_t k = i; k < end; k++) {
			unsigned char ch = (unsigned char)in[k];
			if (ch == '%') {
				if (k + 2 >= end)
					return SRV_PATH_BAD_ESCAPE;
				int hi = srv_hex(in[k + 1]), lo = srv_hex(in[k + 2]);
				if (hi < 0 || lo < 0)
					return SRV_PATH_BAD_ESCAPE;
				ch = (unsigned char)(hi << 4 | lo);
				k += 2;
				if (ch == 0)
					return SRV_PATH_NUL;
				if (ch == '/')
					return SRV_PATH_SLASH;
			}
			if (ch == '\\')
				return SRV_PATH_BACKSLASH;
			if (w + 1 >= cap)
				return SRV_PATH_TOO_LONG;
			out[w++] = (char)ch;
		}
		size_t n = w - seg;
		int last = end >= len;
		if (n == 0 || (n == 1 && out[seg] == '.')) {
			/* "" or ".": nothing kept */
			*dir = last;
		} else if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			if (o == 0)
				return SRV_PATH_ABOVE_ROOT;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the separator before the removed segment */
			*dir = last;
		} else {
			o = w;
			*dir = 0;
		}
		i = end + 1;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*out_len = o;
	return SRV_PATH_OK;
}

const char *srv_path_err_text(srv_path_err e)
{
	switch (e) {
	case SRV_PATH_OK:
		return "ok";
	case SRV_PATH_NOT_ABSOLUTE:
		return "path does not start with /";
	case SRV_PATH_BAD_ESCAPE:
		return "bad percent-escape in path";
	case SRV_PATH_NUL:
		return "NUL (%00) in path";
	case SRV_PATH_SLASH:
		return "encoded slash (%2F) in path";
	case SRV_PATH_BACKSLASH:
		return "backslash in path";
	case SRV_PATH_ABOVE_ROOT:
		return "path climbs above the root";
	case SRV_PATH_TOO_LONG:
		return "path too long";
	}
	return "bad path";
}
