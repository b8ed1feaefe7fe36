#include "endpoints.h"
#include "http_response.h"
#include "static_file.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* /bytes/N serves byte i = 'a' + i % 26.  The pattern is copied in runs whose
 * length is a multiple of 26, so every run starts at 'a'. */
#define SRV_PATTERN_RUN (26u * 158u)
static char srv_pattern[SRV_PATTERN_RUN];

void srv_endpoints_init(void)
{
	for (unsigned i = 0; i < SRV_PATTERN_RUN; i++)
		srv_pattern[i] = (char)('a' + i % 26);
}

/* Queue more of /bytes/N's body into the pending output, up to
 * SRV_STREAM_CHUNK there (as a static file's is: a reader that does not
 * read holds the connection to about two chunks, whatever N).  Returns 1
 * when the end of the body is queued. */
static int srv_bytes_fill(srv_http *h, srv_conn *c)
{
	srv_exchange *x = c->x;
	rb_buf *out = srv_conn_pending(c);
	while (x->gen_left && out->len < SRV_STREAM_CHUNK) {
		size_t room = SRV_STREAM_CHUNK - out->len;
		size_t want = x->gen_left < room ? (size_t)x->gen_left : room;
		if (rb_buf_reserve(out, want)) {
			srv_resp_oom(&h->wr, c, "response");
			return 0;
		}
		uint64_t at = x->req.arg - x->gen_left; /* the body's byte offset */
		x->gen_left -= want;
		while (want) {
			size_t phase = (size_t)(at % 26);
			size_t run = SRV_PATTERN_RUN - phase;
			if (run > want)
				run = want;
			memcpy(out->data + out->len, srv_pattern + phase, run);
			out->len += run;
			at += run;
			want -= run;
		}
	}
	return x->gen_left == 0;
}

static void srv_bytes(srv_http *h, srv_conn *c)
{
	srv_exchange *x = c->x;
	srv_resp_head(&h->wr, c, 200, "application/octet-stream", x->req.arg, NULL);
	if (x->req.head || c->state == SRV_CS_CLOSING)
		return;
	/* What fits is queued now (pipelined small bodies leave in the
	 * batch's one send); the rest follows as the sends drain. */
	x->gen_left = x->req.arg;
	if (!srv_bytes_fill(h, c) && c->state == SRV_CS_OPEN)
		srv_conn_stream(c);
}

int srv_endpoint_fill(srv_http *h, srv_conn *c)
{
	if (c->x->req.route == SRV_R_BYTES)
		return srv_bytes_fill(h, c);
	return srv_static_fill(h, c);
}

/* The counters /stats reports for each worker, in this order. */
static const struct {
	const char *name;
	size_t off;
} srv_stats_fields[] = {
#define F(name, field)                                                                             \
	{                                                                                          \
		name, offsetof(srv_stats, field)                                                   \
	}
	F("connections_open", conns_open),
	F("connections_idle", conns_idle),
	F("connections_total", conns_total),
	F("connections", conns_total), /* the older name of connections_total */
	F("connections_rejected", conns_rejected),
	F("requests", requests),
	F("bytes_in", bytes_in),
	F("bytes_out", bytes_out),
	F("errors", errors),
	F("parse_errors", parse_errors),
	F("resets", resets),
	F("timeouts", timeouts),
	F("timeouts_idle", timeouts_idle),
	F("timeouts_header", timeouts_header),
	F("timeouts_body", timeouts_body),
	F("timeouts_write", write_timeouts),
	F("timeouts_linger", timeouts_linger),
	F("enobufs", enobufs),
	F("sends", sends),
	F("short_sends", short_sends),
	F("cq_overflow", cq_overflow),
	F("pauses", pauses),
	F("write_timeouts", write_timeouts), /* the older name of timeouts_write */
	F("sq_full", sq_full),
	F("accept_errors", accept_errors),
	F("faults_hit", faults_hit),
	F("input_overflows", input_overflows),
	F("oom", oom),
	F("file_cache_hits", file_cache_hits),
	F("file_cache_misses", file_cache_misses),
	F("file_cache_revalidations", file_cache_revalidations),
	F("file_cache_changed", file_cache_changed),
	F("file_cache_evictions", file_cache_evictions),
	F("file_cache_entries", file_cache_entries),
	F("file_cache_bytes", file_cache_bytes),
	F("sendfile_bytes", sendfile_bytes),
	F("tls_handshakes", tls_handshakes),
	F("tls_resumed", tls_resumed),
	F("tls_errors_handshake", tls_errors_handshake),
	F("tls_errors_certificate", tls_errors_certificate),
	F("tls_errors_alert", tls_errors_alert),
	F("tls_errors_io", tls_errors_io),
	F("tls_ktls_tx", tls_ktls_tx),
	F("tls_ktls_refused", tls_ktls_refused),
	F("tls_ktls_rx_tries", tls_ktls_rx_tries),
	F("tls_ktls_rx", tls_ktls_rx),
	F("tls_ktls_rx_refused", tls_ktls_rx_refused),
	F("tls_ktls_rx_unclean", tls_ktls_rx_unclean),
	F("tls_ktls_rx_handshake", tls_ktls_rx_handshake),
#undef F
};

/* One JSON object per worker; counters read with relaxed loads (each worker
 * writes only its own). */
static void srv_stats_json(srv_http *h, srv_conn *c)
{
	rb_buf *tmp = &c->x->body; /* free here: /stats takes no body */
	rb_buf_reset(tmp);
	char line[512];
	const char *parser = rp_variant_current()->name;
	int n = snprintf(line, sizeof(line), "{\"parser\":\"%s\",\"workers\":[", parser);
	if (rb_buf_append(tmp, line, (size_t)n)) {
		srv_resp_oom(&h->wr, c, "response");
		return;
	}
	for (int i = 0; i < h->nworkers; i++) {
		const srv_stats *st = h->workers[i].stats;
		n = snprintf(line, sizeof(line), "%s{\"id\":%d,\"cpu\":%d,\"parser\":\"%s\"",
			     i ? "," : "", h->workers[i].id, h->workers[i].cpu, parser);
		if (rb_buf_append(tmp, line, (size_t)n)) {
			srv_resp_oom(&h->wr, c, "response");
			return;
		}
		for (size_t f = 0; f < sizeof(srv_stats_fields) / sizeof(srv_stats_fields[0]);
		     f++) {
			const uint64_t *v =
				(const uint64_t *)((const char *)st + srv_stats_fields[f].off);
			n = snprintf(line, sizeof(line), ",\"%s\":%" PRIu64,
				     srv_stats_fields[f].name,
				     __atomic_load_n(v, __ATOMIC_RELAXED));
			if (rb_buf_append(tmp, line, (size_t)n)) {
				srv_resp_oom(&h->wr, c, "response");
				return;
			}
		}
		if (rb_buf_append(tmp, "}", 1)) {
			srv_resp_oom(&h->wr, c, "response");
			return;
		}
	}
	/* Last, so readers of the older layout find "workers" where it was. */
	n = snprintf(line, sizeof(line), "],\"tls\":\"%s\"}\n", h->tls_mode ? h->tls_mode : "off");
	if (rb_buf_append(tmp, line, (size_t)n)) {
		srv_resp_oom(&h->wr, c, "response");
		return;
	}
	srv_resp_simple(&h->wr, c, 200, "application/json", tmp->data, tmp->len,
			"Cache-Control: no-store\r\n");
	rb_buf_reset(tmp);
}

void srv_endpoint_respond(srv_http *h, srv_conn *c)
{
	static const char hello[] = "Hello, World!";
	static const char json[] = "{\"message\":\"Hello, World!\"}";
	srv_exchange *x = c->x;
	srv_request *r = &x->req;

	switch (r->route) {
	case SRV_R_PLAINTEXT:
		srv_resp_fixed(&h->wr, c, &h->wr.plaintext, "text/plain", hello, sizeof(hello) - 1);
		break;
	case SRV_R_JSON:
		srv_resp_fixed(&h->wr, c, &h->wr.json, "application/json", json, sizeof(json) - 1);
		break;
	case SRV_R_BYTES:
		srv_bytes(h, c);
		break;
	case SRV_R_ECHO:
		srv_resp_simple(&h->wr, c, 200, "application/octet-stream", x->body.data,
				x->body.len, NULL);
		rb_buf_reset(&x->body);
		break;
	case SRV_R_STATS:
		srv_stats_json(h, c);
		break;
	case SRV_R_STATIC:
		srv_static_respond(h, c);
		break;
	case SRV_R_ERROR:
		srv_resp_error(&h->wr, c, r->status, r->detail, r->extra);
		break;
	default:
		srv_resp_error(&h->wr, c, 404, "no such resource", NULL);
		break;
	}
}
