#include "http_conn.h"
#include "endpoints.h"
#include "http_response.h"
#include "routes.h"
#include "static_file.h"

#include <stdlib.h>
#include <string.h>

/* Carried input beyond this closes the connection.  Outside a pause the
 * parser's own limits bound it (header block, chunk-size line, trailers);
 * during a pause it holds what arrived before the recv was cancelled. */
#define SRV_IN_CAP (4u << 20)

/* The current request is answered: respond and get ready for the next. */
static void srv_request_done(srv_worker *w, srv_conn *c)
{
	srv_endpoint_respond(w, c);
	c->phase = SRV_PH_IDLE;
	/* The next request gets a fresh header deadline. */
	srv_timer_clear(&w->timers, c);
	if (srv_conn_queued(c) >= SRV_OUT_HIGH && !c->paused) {
		c->paused = 1;
		SRV_STAT_ADD(&w->stats, pauses, 1);
	}
	srv_worker_mark_dirty(w, c);
}

/* Refuse the request with a response and close after it: used where the
 * body's framing is unknown or not to be read, so the connection could not
 * stay in sync. */
static void srv_refuse(srv_worker *w, srv_conn *c, int status, const char *detail)
{
	srv_resp_error(w, c, status, detail, 1, NULL);
	c->phase = SRV_PH_IDLE;
	srv_timer_clear(&w->timers, c);
	srv_worker_mark_dirty(w, c);
}

/* The header block is complete: decide everything about the request now,
 * while its bytes are at hand. */
static void srv_headers_done(srv_worker *w, srv_conn *c, const char *buf)
{
	const rp_message *m = &c->m;
	srv_request *r = &c->req;
	memset(r, 0, sizeof(*r));
	r->head = m->method_id == RP_M_HEAD;
	r->http10 = m->version_major == 1 && m->version_minor == 0;
	r->keep_alive = (m->flags & RP_F_KEEP_ALIVE) && !w->stopping;

	if (m->version_major != 1) {
		srv_refuse(w, c, 505, "only HTTP/1.x is served");
		return;
	}
	if (m->method_id == RP_M_OTHER) {
		srv_refuse(w, c, 501, "method not implemented");
		return;
	}
	if (m->flags & RP_F_EXPECT_OTHER) {
		srv_refuse(w, c, 417, "only 100-continue can be met");
		return;
	}
	if (m->framing == RP_BODY_LENGTH && m->content_length > w->cfg->max_body) {
		srv_refuse(w, c, 413, "body larger than --max-body");
		return;
	}

	srv_route(r, m, buf);
	/* Not a built-in endpoint: with --root, the path names a file. */
	if (r->route == SRV_R_NOT_FOUND && w->root.fd >= 0 &&
	    (m->target_form == RP_TARGET_ORIGIN || m->target_form == RP_TARGET_ABSOLUTE))
		srv_static_prepare(w, c, buf);
	r->keep_body = r->route == SRV_R_ECHO;
	srv_buf_reset(&c->body);

	if (m->framing == RP_BODY_NONE ||
	    (m->framing == RP_BODY_LENGTH && m->content_length == 0)) {
		srv_request_done(w, c);
		return;
	}

	/* A body follows; it is read (and dropped unless kept) whatever the
	 * route, so the next request starts where this one ends. */
	if (m->flags & RP_F_EXPECT_CONTINUE) {
		srv_resp_continue(w, c);
		srv_worker_mark_dirty(w, c);
	}
	r->chunked = m->framing == RP_BODY_CHUNKED;
	r->body_left = m->content_length;
	if (r->chunked)
		rp_chunked_init(&c->chunked);
	c->phase = SRV_PH_BODY;
}

/* Body bytes: returns how many were consumed (0: need more). */
static size_t srv_body(srv_worker *w, srv_conn *c, const char *p, size_t len)
{
	srv_request *r = &c->req;
	if (!r->chunked) {
		size_t take = len < r->body_left ? len : (size_t)r->body_left;
		if (r->keep_body && srv_buf_append(&c->body, p, take))
			c->oom = 1;
		r->body_left -= take;
		if (!r->body_left)
			srv_request_done(w, c);
		return take;
	}
	size_t pos = 0;
	while (pos < len) {
		const char *data = NULL;
		size_t dlen = 0;
		int64_t k = rp_chunked_feed(&c->chunked, p + pos, len - pos, &data, &dlen);
		if (k == RP_ERROR) {
			SRV_STAT_ADD(&w->stats, parse_errors, 1);
			srv_refuse(w, c, rp_error_status(c->chunked.error),
				   rp_error_name(c->chunked.error));
			return len;
		}
		if (dlen) {
			if (c->chunked.body_bytes > w->cfg->max_body) {
				srv_refuse(w, c, 413, "body larger than --max-body");
				return len;
			}
			if (r->keep_body && srv_buf_append(&c->body, data, dlen))
				c->oom = 1;
		}
		pos += (size_t)k;
		if (rp_chunked_done(&c->chunked)) {
			srv_request_done(w, c);
			break;
		}
		if (k == 0)
			break;
	}
	return pos;
}

/* The header block continues in a later receive: its lines so far move
 * from the worker's shared array (the next connection parses into it) to
 * the connection's own, as rp_message_init() allows.  Returns -1 when out
 * of memory. */
static int srv_keep_headers(srv_worker *w, srv_conn *c)
{
	rp_message *m = &c->m;
	if (!m->headers || m->headers != w->hdr_array)
		return 0;
	if (!c->hdrs && !(c->hdrs = malloc(SRV_MAX_HEADERS * sizeof(*c->hdrs))))
		return -1;
	memcpy(c->hdrs, m->headers, m->nheaders * sizeof(*c->hdrs));
	m->headers = c->hdrs;
	m->max_headers = SRV_MAX_HEADERS;
	return 0;
}

/* Parse and answer as many requests as src holds.  Returns the bytes used:
 * what is left (from the start of an unfinished message) must be offered
 * again with more bytes after it. */
static size_t srv_run(srv_worker *w, srv_conn *c, const char *src, size_t len)
{
	size_t pos = 0;
	/* A file being streamed answers the request before the next: those
	 * wait (in c->in) until its body is queued. */
	while (pos < len && !c->input_done && !c->paused && !c->streaming && !c->oom) {
		if (c->phase == SRV_PH_IDLE) {
			/* Without --root hdr_array is NULL: ringparse still
			 * validates and counts every line (and sets flags,
			 * framing, host_index) but stores none, as nothing
			 * reads a header value. */
			rp_message_init(&c->m, w->hdr_array, SRV_MAX_HEADERS, &w->limits);
			c->phase = SRV_PH_HEAD;
		}
		if (c->phase == SRV_PH_HEAD) {
			int64_t n = rp_parse_request(&c->m, src + pos, len - pos);
			if (n == RP_INCOMPLETE) {
				if (srv_keep_headers(w, c))
					c->oom = 1;
				break;
			}
			if (n == RP_ERROR) {
				SRV_STAT_ADD(&w->stats, parse_errors, 1);
				memset(&c->req, 0, sizeof(c->req));
				srv_refuse(w, c, rp_error_status(c->m.error),
					   rp_error_name(c->m.error));
				return len;
			}
			srv_headers_done(w, c, src + pos);
			pos += (size_t)n;
			continue;
		}
		size_t k = srv_body(w, c, src + pos, len - pos);
		pos += k;
		if (k == 0 && c->phase == SRV_PH_BODY)
			break;
	}
	return c->input_done ? len : pos;
}

void srv_http_input(srv_worker *w, srv_conn *c, const char *data, size_t len)
{
	if (c->input_done || c->closing)
		return;
	if (c->in.len == 0 && !c->paused && !c->streaming) {
		/* Fast path: parse in place in the receive buffer. */
		size_t used = srv_run(w, c, data, len);
		if (used < len) {
			if (srv_buf_append(&c->in, data + used, len - used))
				c->oom = 1;
		}
		return;
	}
	if (c->in.len + len > SRV_IN_CAP) {
		SRV_STAT_ADD(&w->stats, errors, 1);
		srv_worker_abort(w, c);
		return;
	}
	if (srv_buf_append(&c->in, data, len)) {
		c->oom = 1;
		return;
	}
	if (!c->paused && !c->streaming)
		srv_http_resume(w, c);
}

void srv_http_resume(srv_worker *w, srv_conn *c)
{
	if (c->input_done) {
		srv_buf_reset(&c->in);
		return;
	}
	size_t used = srv_run(w, c, c->in.data, c->in.len);
	srv_buf_consume(&c->in, used);
}
