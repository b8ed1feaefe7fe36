#include "http_conn.h"
#include "endpoints.h"
#include "http_response.h"
#include "routes.h"
#include "static_file.h"

#include "rb_clock.h"
#include "rb_faults.h"
#include "rb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- keep-alive: decided once ------------------------------------------ */

/* The one place an exchange's persistence is decided (as h2o's
 * fixup_request does), when its header block is complete: the connection
 * persists after the response when the protocol says so (ringparse's
 * RP_F_KEEP_ALIVE: HTTP/1.1 without "Connection: close", HTTP/1.0 with
 * "Connection: keep-alive") and the worker is not stopping, unless the
 * head alone already makes the request one to refuse with a close, its body
 * being unread or its framing untrusted: returns that status (505, 501,
 * 417, 413) and its detail, or 0.  The response writer reads the decision
 * (Connection: close, or keep-alive for HTTP/1.0); srv_exchange_end() acts
 * on it. */
static int srv_exchange_decide(const srv_http *h, srv_conn *c, const char **detail)
{
	const rp_message *m = &c->x->m;
	srv_request *r = &c->x->req;
	r->head = m->method_id == RP_M_HEAD;
	r->http10 = m->version_major == 1 && m->version_minor == 0;
	r->keep_alive = (m->flags & RP_F_KEEP_ALIVE) && !h->stopping;
	int status = 0;
	if (m->version_major != 1) {
		status = 505;
		*detail = "only HTTP/1.x is served";
	} else if (m->method_id == RP_M_OTHER) {
		status = 501;
		*detail = "method not implemented";
	} else if (m->flags & RP_F_EXPECT_OTHER) {
		status = 417;
		*detail = "only 100-continue can be met";
	} else if (m->framing == RP_BODY_LENGTH && m->content_length > h->cfg->max_body) {
		status = 413;
		*detail = "body larger than --max-body";
	}
	if (status)
		r->keep_alive = 0;
	return status;
}

/* The exchange in progress will be the connection's last: its response says
 * Connection: close, and the connection drains after it.  The one way the
 * decision changes after srv_exchange_decide(): framing that cannot be
 * trusted (a parse error, a bad chunk, a body over the limit), a timeout, or
 * the worker stopping mid-request. */
static void srv_exchange_close(srv_conn *c)
{
	c->x->req.keep_alive = 0;
}

/* ---- one exchange ------------------------------------------------------- */

/* The response is queued (or its file's stream begun): the connection reads
 * the next request, pauses, or drains after this one. */
static void srv_exchange_end(srv_http *h, srv_conn *c)
{
	c->phase = SRV_PH_IDLE;
	c->req_ended = 1; /* the next request gets a fresh header deadline */
	if (c->state != SRV_CS_OPEN)
		return; /* streaming (its end decides) or failed */
	if (!c->x->req.keep_alive) {
		srv_conn_drain(c);
	} else if (srv_conn_queued(c) >= SRV_OUT_HIGH) {
		srv_conn_pause(c);
		SRV_STAT_ADD(h->wr.stats, pauses, 1);
	}
}

/* The current request is complete: respond. */
static void srv_request_done(srv_http *h, srv_conn *c)
{
	srv_endpoint_respond(h, c);
	srv_exchange_end(h, c);
}

/* Refuse the request with a response and close after it: its body's
 * framing is unknown or not to be read, so the connection could not stay in
 * sync. */
static void srv_refuse(srv_http *h, srv_conn *c, int status, const char *detail)
{
	srv_exchange_close(c);
	srv_static_drop(c);
	srv_resp_error(&h->wr, c, status, detail, NULL);
	srv_exchange_end(h, c);
}

/* The header block is complete: decide everything about the request now,
 * while its bytes are at hand. */
static void srv_headers_done(srv_http *h, srv_conn *c, const char *buf)
{
	srv_exchange *x = c->x;
	const rp_message *m = &x->m;
	srv_request *r = &x->req;
	memset(r, 0, sizeof(*r));
	const char *detail = NULL;
	int refuse = srv_exchange_decide(h, c, &detail);
	if (refuse) {
		srv_refuse(h, c, refuse, detail);
		return;
	}

	srv_route(r, m, buf);
	/* Not a built-in endpoint: with --root, the path names a file. */
	if (r->route == SRV_R_NOT_FOUND && h->root.fd >= 0 &&
	    (m->target_form == RP_TARGET_ORIGIN || m->target_form == RP_TARGET_ABSOLUTE)) {
		srv_static_prepare(h, c, buf);
		if (c->state != SRV_CS_OPEN)
			return; /* out of memory */
	}
	r->keep_body = r->route == SRV_R_ECHO;
	rb_buf_reset(&x->body);

	if (m->framing == RP_BODY_NONE ||
	    (m->framing == RP_BODY_LENGTH && m->content_length == 0)) {
		srv_request_done(h, c);
		return;
	}

	/* A body follows; it is read (and dropped unless kept) whatever the
	 * route, so the next request starts where this one ends. */
	if (m->flags & RP_F_EXPECT_CONTINUE)
		srv_resp_continue(&h->wr, c);
	r->chunked = m->framing == RP_BODY_CHUNKED;
	r->body_left = m->content_length;
	if (r->chunked)
		rp_chunked_init(&x->chunked);
	c->phase = SRV_PH_BODY;
}

/* Body bytes: returns how many were consumed (0: need more). */
static size_t srv_body(srv_http *h, srv_conn *c, const char *p, size_t len)
{
	srv_exchange *x = c->x;
	srv_request *r = &x->req;
	if (!r->chunked) {
		size_t take = len < r->body_left ? len : (size_t)r->body_left;
		if (r->keep_body && rb_buf_append(&x->body, p, take)) {
			srv_resp_oom(&h->wr, c, "request body");
			return len;
		}
		r->body_left -= take;
		if (!r->body_left)
			srv_request_done(h, c);
		return take;
	}
	size_t pos = 0;
	while (pos < len) {
		const char *data = NULL;
		size_t dlen = 0;
		int64_t k = rp_chunked_feed(&x->chunked, p + pos, len - pos, &data, &dlen);
		if (k == RP_ERROR) {
			SRV_STAT_ADD(h->wr.stats, parse_errors, 1);
			srv_refuse(h, c, rp_error_status(x->chunked.error),
				   rp_error_name(x->chunked.error));
			return len;
		}
		if (dlen) {
			if (x->chunked.body_bytes > h->cfg->max_body) {
				srv_refuse(h, c, 413, "body larger than --max-body");
				return len;
			}
			if (r->keep_body && rb_buf_append(&x->body, data, dlen)) {
				srv_resp_oom(&h->wr, c, "request body");
				return len;
			}
		}
		pos += (size_t)k;
		if (rp_chunked_done(&x->chunked)) {
			srv_request_done(h, c);
			break;
		}
		if (k == 0)
			break;
	}
	return pos;
}

/* The header block continues in a later receive: its lines so far move
 * from the worker's shared array (the next connection parses into it) to
 * the connection's own, as rp_message_init() allows. */
static void srv_keep_headers(srv_http *h, srv_conn *c)
{
	srv_exchange *x = c->x;
	rp_message *m = &x->m;
	if (!m->headers || m->headers != h->hdr_array)
		return;
	if (!x->hdrs && !(x->hdrs = rb_buf_alloc(SRV_MAX_HEADERS * sizeof(*x->hdrs)))) {
		srv_resp_oom(&h->wr, c, "header lines");
		return;
	}
	memcpy(x->hdrs, m->headers, m->nheaders * sizeof(*x->hdrs));
	m->headers = x->hdrs;
	m->max_headers = SRV_MAX_HEADERS;
}

/* Parse and answer as many requests as src holds, while the connection is
 * OPEN: a pause, a file being streamed, a last response or a failure stops
 * it.  Returns the bytes used: what is left (from the start of an
 * unfinished message, or held behind a pause or a stream) must be offered
 * again later; after a last response or a failure it is all "used"
 * (dropped). */
static size_t srv_run(srv_http *h, srv_conn *c, const char *src, size_t len)
{
	size_t pos = 0;
	while (pos < len && c->state == SRV_CS_OPEN) {
		if (c->phase == SRV_PH_IDLE) {
			/* Without --root hdr_array is NULL: ringparse still
			 * validates and counts every line (and sets flags,
			 * framing, host_index) but stores none, as nothing
			 * reads a header value. */
			rp_message_init(&c->x->m, h->hdr_array, SRV_MAX_HEADERS, &h->limits);
			c->phase = SRV_PH_HEAD;
		}
		if (c->phase == SRV_PH_HEAD) {
			int64_t n = rp_parse_request(&c->x->m, src + pos, len - pos);
			if (n == RP_INCOMPLETE) {
				srv_keep_headers(h, c);
				break;
			}
			if (n == RP_ERROR) {
				SRV_STAT_ADD(h->wr.stats, parse_errors, 1);
				memset(&c->x->req, 0, sizeof(c->x->req));
				srv_refuse(h, c, rp_error_status(c->x->m.error),
					   rp_error_name(c->x->m.error));
				break;
			}
			srv_headers_done(h, c, src + pos);
			pos += (size_t)n;
			continue;
		}
		size_t k = srv_body(h, c, src + pos, len - pos);
		pos += k;
		if (k == 0 && c->phase == SRV_PH_BODY)
			break;
	}
	return srv_conn_reading(c) ? pos : len;
}

/* Keep n bytes in x->in, to be parsed later.  Held input beyond h->in_cap
 * fails the connection: a client that keeps sending while it does not
 * read cannot make the server buffer without bound. */
static int srv_hold(srv_http *h, srv_conn *c, const char *p, size_t n)
{
	rb_buf *in = &c->x->in;
	if (in->len + n > h->in_cap) {
		rb_log("worker %d: more than %zu bytes of input held while the client does not "
		       "read; closing the connection",
		       h->worker_id, h->in_cap);
		SRV_STAT_ADD(h->wr.stats, errors, 1);
		SRV_STAT_ADD(h->wr.stats, input_overflows, 1);
		srv_conn_fail(c);
		return -1;
	}
	if (rb_buf_append(in, p, n)) {
		srv_resp_oom(&h->wr, c, "input");
		return -1;
	}
	return 0;
}

/* Parse the input held in x->in (OPEN).  A client that half-closed has
 * sent all it will: once its input is answered, the connection drains. */
static void srv_resume(srv_http *h, srv_conn *c)
{
	rb_buf *in = &c->x->in;
	size_t used = srv_run(h, c, in->data, in->len);
	rb_buf_consume(in, used);
	if (c->peer_eof && c->state == SRV_CS_OPEN)
		srv_conn_drain(c);
}

/* ---- the exchange's memory: attached while a request is in progress ---- */

/* An exchange for c, from the worker's pool (a new one when the pool is
 * empty).  Returns 0, or -1 when out of memory (the connection failed). */
static int srv_http_attach(srv_http *h, srv_conn *c)
{
	if (c->x)
		return 0;
	srv_xpool *p = &h->xpool;
	srv_exchange *x = p->free;
	if (x) {
		p->free = x->next;
		p->nfree--;
	} else {
		x = rb_buf_alloc(sizeof(*x));
		if (!x) {
			srv_resp_oom(&h->wr, c, "exchange");
			return -1;
		}
		x->pool = p;
		p->nlive++;
	}
	x->next = NULL;
	c->x = x;
	srv_conn_idle_sync(c, h->wr.stats);
	return 0;
}

/* An exchange and everything it holds, freed. */
static void srv_exchange_free(srv_exchange *x)
{
	free(x->hdrs);
	srv_static_free(x->st);
	rb_buf_free(&x->in);
	rb_buf_free(&x->out[0]);
	rb_buf_free(&x->out[1]);
	rb_buf_free(&x->body);
	free(x);
}

/* Back to its pool: a file still open closed, the buffers emptied, and
 * given back when a large response grew them.  The pool keeps no more
 * than are attached now (at least SRV_XPOOL_KEEP): steady traffic finds
 * every exchange it needs there, and after a burst of concurrent requests
 * the surplus is freed as the burst's connections go idle. */
static void srv_exchange_put(srv_exchange *x)
{
	srv_static_close(x);
	x->sending = 0;
	x->gen_left = 0;
	srv_xpool *p = x->pool;
	uint32_t attached = p->nlive - p->nfree - 1; /* x is no longer one of them */
	if (p->nfree >= SRV_XPOOL_KEEP && p->nfree >= attached) {
		p->nlive--;
		srv_exchange_free(x);
		return;
	}
	rb_buf_trim(&x->in, SRV_KEEP_BUF);
	rb_buf_trim(&x->out[0], SRV_KEEP_OUT);
	rb_buf_trim(&x->out[1], SRV_KEEP_OUT);
	rb_buf_trim(&x->body, SRV_KEEP_BUF);
	x->next = p->free;
	p->free = x;
	p->nfree++;
}

static void srv_http_drop_exchange(srv_conn *c)
{
	if (!c->x)
		return;
	srv_exchange_put(c->x);
	c->x = NULL;
	c->phase = SRV_PH_IDLE;
}

int srv_http_detach(srv_conn *c)
{
	srv_exchange *x = c->x;
	if (!x || c->send_inflight)
		return 0;
	switch (c->state) {
	case SRV_CS_OPEN:
		if (c->phase != SRV_PH_IDLE || x->in.len || x->file_open || srv_conn_queued(c))
			return 0;
		break;
	case SRV_CS_LINGERING: /* everything sent; input is dropped */
		break;
	default:
		return 0;
	}
	srv_http_drop_exchange(c);
	return 1;
}

/* ---- the connection's calls ------------------------------------------- */

void srv_http_input(srv_http *h, srv_conn *c, const char *data, size_t len)
{
	switch (c->state) {
	case SRV_CS_OPEN:
		if (srv_http_attach(h, c))
			break;
		if (c->x->in.len == 0) {
			/* Fast path: parse in place in the receive buffer. */
			size_t used = srv_run(h, c, data, len);
			if (used < len)
				srv_hold(h, c, data + used, len - used);
		} else if (srv_hold(h, c, data, len) == 0) {
			srv_resume(h, c);
		}
		break;
	case SRV_CS_PAUSED:
	case SRV_CS_STREAMING:
		/* Arrived before the recv's cancellation: parsed when the
		 * pause or the stream ends.  (Both states have an exchange:
		 * only one in progress enters them.) */
		if (c->x)
			srv_hold(h, c, data, len);
		break;
	case SRV_CS_DRAINING:
	case SRV_CS_LINGERING:
	case SRV_CS_CLOSING:
		break; /* no request is read any more */
	}
}

void srv_http_continue(srv_http *h, srv_conn *c)
{
	if (!c->x)
		return;
	switch (c->state) {
	case SRV_CS_STREAMING:
		if (!srv_endpoint_fill(h, c))
			return; /* more to come (or the body failed the connection) */
		srv_conn_stream_done(c, c->x->req.keep_alive);
		if (c->state != SRV_CS_OPEN)
			return; /* it was the last response: draining */
		break;
	case SRV_CS_PAUSED:
		/* Reading resumes once the pending output has gone to the
		 * kernel: the client has taken at least some of it. */
		if (srv_conn_pending(c)->len)
			return;
		srv_conn_resume(c);
		break;
	default:
		return;
	}
	srv_resume(h, c);
}

int srv_http_timeout(srv_http *h, srv_conn *c, int head)
{
	if (!c->x || c->state != SRV_CS_OPEN || c->phase == SRV_PH_IDLE || c->send_inflight ||
	    srv_conn_queued(c) != 0)
		return -1;
	/* Tell the client why, then close. */
	memset(&c->x->req, 0, sizeof(c->x->req));
	srv_refuse(h, c, 408, head ? "header timeout" : "body timeout");
	return 0;
}

void srv_http_stop(srv_http *h, srv_conn *c)
{
	(void)h;
	/* A request whose head is still incomplete is decided later, with
	 * h->stopping set; one whose body is being read, or whose body is
	 * being streamed, was decided already. */
	if (c->x && (c->phase == SRV_PH_BODY || c->state == SRV_CS_STREAMING))
		srv_exchange_close(c);
}

void srv_http_release(srv_conn *c)
{
	srv_http_drop_exchange(c);
}

void srv_http_free(srv_conn *c)
{
	srv_http_drop_exchange(c);
}

/* ---- set-up ------------------------------------------------------------- */

/* A whole number from the environment (a test switch), or dflt. */
static uint64_t srv_env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	return *end ? dflt : (uint64_t)n;
}

/* --root: the directory every static file is opened beneath, the scratch
 * path, and header values for the parser to keep.  Without --root the
 * parser keeps no header (the built-in endpoints read none). */
static int srv_http_setup_root(srv_http *h)
{
	if (!h->cfg->root)
		return 0;
	h->root.fd = open(h->cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->root.fd < 0) {
		int rc = -errno;
		rb_log("worker %d: --root '%s': %s", h->worker_id, h->cfg->root, strerror(errno));
		return rc;
	}
	h->root.worker_id = h->worker_id;
	const char *nr = getenv("RBSERVER_NO_OPENAT2");
	if (nr && nr[0] == '1') {
		h->root.walk = 1;
		rb_log("worker %d: RBSERVER_NO_OPENAT2=1: static files opened one path component "
		       "at a time, following no symlinks",
		       h->worker_id);
	}
	/* a decoded path is never longer than the target; room for
	 * "/index.html" and the NUL */
	h->path_cap = h->limits.max_target + 16u;
	h->path = malloc(h->path_cap);
	h->key = malloc(h->path_cap);
	if (!h->path || !h->key)
		return -ENOMEM;
	if (srv_file_cache_init(&h->files, h->cfg->file_cache_entries, h->cfg->file_cache_bytes,
				h->cfg->file_cache_inline, h->wr.stats))
		return -ENOMEM;
	h->zerocopy = !(rb_faults() & RB_FAULT_NO_ZEROCOPY);
	h->hdr_array = h->hdr_store;
	h->boundary_state = rb_now_ns() ^ ((uint64_t)h->worker_id << 48) ^ (uint64_t)(uintptr_t)h;
	return 0;
}

int srv_http_init(srv_http *h, const srv_config *cfg, int worker_id, srv_stats *stats)
{
	memset(h, 0, sizeof(*h));
	h->worker_id = worker_id;
	h->cfg = cfg;
	h->wr.worker_id = worker_id;
	h->wr.stats = stats;
	h->root.fd = -1;
	h->limits.max_header_bytes = cfg->max_header_bytes;
	h->limits.max_target = RP_DEFAULT_MAX_TARGET < cfg->max_header_bytes
				       ? RP_DEFAULT_MAX_TARGET
				       : cfg->max_header_bytes;
	h->in_cap = (size_t)srv_env_u64("RBSERVER_IN_CAP", SRV_IN_CAP);
	rb_httpdate_refresh(&h->wr.date);
	int rc = srv_http_setup_root(h);
	if (rc)
		return rc;
	uint64_t every = srv_env_u64("RBSERVER_OOM_EVERY", 0);
	if (every) {
		rb_log("worker %d: RBSERVER_OOM_EVERY=%llu: one allocation for connections in %llu "
		       "fails",
		       worker_id, (unsigned long long)every, (unsigned long long)every);
		rb_buf_fail_every((unsigned)every);
	}
	return 0;
}

void srv_http_fini(srv_http *h)
{
	srv_xpool *p = &h->xpool;
	while (p->free) {
		srv_exchange *x = p->free;
		p->free = x->next;
		srv_exchange_free(x);
		p->nfree--;
		p->nlive--;
	}
	srv_file_cache_fini(&h->files);
	free(h->path);
	free(h->key);
	h->path = h->key = NULL;
	if (h->root.fd >= 0)
		close(h->root.fd);
	h->root.fd = -1;
}
