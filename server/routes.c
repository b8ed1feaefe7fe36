#include "routes.h"

#include <string.h>
#include <strings.h>

static int srv_path_is(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && memcmp(p, lit, l) == 0;
}

/* /bytes/N: N is 1 to 7 decimal digits, at most SRV_BYTES_MAX. */
static int srv_parse_bytes(const char *p, size_t n, uint64_t *out)
{
	if (n == 0 || n > 7)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > SRV_BYTES_MAX)
		return -1;
	*out = v;
	return 0;
}

void srv_route(srv_request *r, const rp_message *m, const char *buf)
{
	int method = m->method_id;
	int get_like = method == RP_M_GET || method == RP_M_HEAD;

	r->route = SRV_R_NOT_FOUND;
	if (m->target_form == RP_TARGET_AUTHORITY) {
		/* CONNECT host:port (the only method ringparse lets use it) */
		r->route = SRV_R_ERROR;
		r->status = 501;
		r->detail = "CONNECT is not served (not a proxy)";
		return;
	}
	if (m->target_form == RP_TARGET_ASTERISK) {
		/* OPTIONS * (ringparse refuses "*" with other standard methods) */
		r->status = 404;
		return;
	}
	/* origin- or absolute-form: route by the path; the query is ignored.
	 * The authority of an absolute-form target (RFC 9112 3.2.2: it
	 * replaces Host) is not needed yet: nothing is served per host. */
	rp_target_parts tp;
	rp_target_split(m, buf, &tp);
	const char *p = tp.path.len ? rp_ptr(buf, tp.path) : "/";
	size_t n = tp.path.len ? tp.path.len : 1;
	if (srv_path_is(p, n, "/plaintext")) {
		r->route = SRV_R_PLAINTEXT;
	} else if (srv_path_is(p, n, "/json")) {
		r->route = SRV_R_JSON;
	} else if (srv_path_is(p, n, "/stats")) {
		r->route = SRV_R_STATS;
	} else if (srv_path_is(p, n, "/echo")) {
		r->route = SRV_R_ECHO;
		if (method != RP_M_POST && method != RP_M_PUT) {
			r->route = SRV_R_ERROR;
			r->status = 405;
			r->detail = "/echo takes POST or PUT";
			r->extra = "Allow: POST, PUT\r\n";
		}
		return;
	} else if (n > 7 && memcmp(p, "/bytes/", 7) == 0) {
		if (srv_parse_bytes(p + 7, n - 7, &r->arg)) {
			r->route = SRV_R_ERROR;
			r->status = 400;
			r->detail = "/bytes/N takes N from 0 to 8388608";
			return;
		}
		r->route = SRV_R_BYTES;
	} else {
		r->status = 404;
		return;
	}
	if (!get_like) {
		r->route = SRV_R_ERROR;
		r->status = 405;
		r->detail = "this resource takes GET or HEAD";
		r->extra = "Allow: GET, HEAD\r\n";
	}
}
