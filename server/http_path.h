/*
 * A request path (as split by ringparse: '/'-separated, percent-escapes
 * already checked to be '%' HEX HEX) to a path relative to --root.
 *
 * Policy (docs/server.md, "Static files"):
 *   - escapes are decoded once: "%252e" is the three bytes "%2e", a name;
 *   - a decoded NUL, '/' ("%2f": a segment cannot hold a slash, and "..%2f"
 *     must not become "../") or '\' (a separator elsewhere) is refused;
 *   - empty segments ("//") and "." are dropped, ".." removes the segment
 *     before it; a ".." with nothing left to remove (it would climb above
 *     the root) is refused, not clamped;
 *   - the result has no leading slash; the root itself is ".".
 * Refusals are 400: the request is malformed, not a missing file.
 */
#ifndef SRV_HTTP_PATH_H
#define SRV_HTTP_PATH_H

#include <stddef.h>

typedef enum srv_path_err {
	SRV_PATH_OK = 0,
	SRV_PATH_NOT_ABSOLUTE, /* does not start with '/' */
	SRV_PATH_BAD_ESCAPE,   /* '%' without two hex digits */
	SRV_PATH_NUL,          /* %00 */
	SRV_PATH_SLASH,        /* %2f */
	SRV_PATH_BACKSLASH,    /* '\' or %5c */
	SRV_PATH_ABOVE_ROOT,   /* ".." past the root */
	SRV_PATH_TOO_LONG,     /* the result does not fit in out */
} srv_path_err;

/* Decode and normalise in[0, len) into out (cap bytes, NUL-terminated; cap
 * of len + 2 always suffices).  *dir is set when the path names a directory
 * by its form: it ends in '/', "/." or "/..". */
srv_path_err srv_path_normalize(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
				int *dir);

/* One line naming what was wrong, for the 400 body. */
const char *srv_path_err_text(srv_path_err e);

#endif
