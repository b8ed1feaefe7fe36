#include "endpoints.h"
#include "http_response.h"
#include "static_file.h"

#include <inttypes.h>
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

static void srv_bytes(srv_http *h, srv_conn *c)
{
	uint64_t n = c->req.arg;
	srv_resp_head(&h->wr, c, 200, "application/octet-stream", n, NULL);
	if (c->req.head || c->state == SRV_CS_CLOSING)
		return;
	rb_buf *out = srv_conn_pending(c);
	if (rb_buf_reserve(out, n)) {
		srv_resp_oom(&h->wr, c, "response");
		return;
	}
	while (n) {
		size_t run = n < SRV_PATTERN_RUN ? (size_t)n : SRV_PATTERN_RUN;
		memcpy(out->data + out->len, srv_pattern, run);
		out->len += run;
		n -= run;
	}
}

/* One JSON object per worker; counters read with relaxed loads (each worker
 * writes only its own). */
static void srv_stats_json(srv_http *h, srv_conn *c)
{
	rb_buf *tmp = &c->body; /* free here: /stats takes no body */
	rb_buf_reset(tmp);
	char line[1024];
	const char *parser = rp_variant_current()->name;
	int n = snprintf(line, sizeof(line), "{\"parser\":\"%s\",\"workers\":[", parser);
	if (rb_buf_append(tmp, line, (size_t)n)) {
		srv_resp_oom(&h->wr, c, "response");
		return;
	}
	for (int i = 0; i < h->nworkers; i++) {
		const srv_stats *st = h->workers[i].stats;
		n = snprintf(
			line, sizeof(line),
			"%s{\"id\":%d,\"cpu\":%d,\"parser\":\"%s\",\"connections_open\":%" PRIu64
			",\"connections\":%" PRIu64 ",\"connections_rejected\":%" PRIu64
			",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
			",\"errors\":%" PRIu64 ",\"parse_errors\":%" PRIu64 ",\"resets\":%" PRIu64
			",\"timeouts\":%" PRIu64 ",\"enobufs\":%" PRIu64 ",\"sends\":%" PRIu64
			",\"short_sends\":%" PRIu64 ",\"cq_overflow\":%" PRIu64
			",\"pauses\":%" PRIu64 ",\"write_timeouts\":%" PRIu64
			",\"sq_full\":%" PRIu64 ",\"accept_errors\":%" PRIu64
			",\"faults_hit\":%" PRIu64 ",\"input_overflows\":%" PRIu64
			",\"oom\":%" PRIu64 "}",
			i ? "," : "", h->workers[i].id, h->workers[i].cpu, parser,
			SRV_STAT_GET(st, conns_open), SRV_STAT_GET(st, conns_total),
			SRV_STAT_GET(st, conns_rejected), SRV_STAT_GET(st, requests),
			SRV_STAT_GET(st, bytes_in), SRV_STAT_GET(st, bytes_out),
			SRV_STAT_GET(st, errors), SRV_STAT_GET(st, parse_errors),
			SRV_STAT_GET(st, resets), SRV_STAT_GET(st, timeouts),
			SRV_STAT_GET(st, enobufs), SRV_STAT_GET(st, sends),
			SRV_STAT_GET(st, short_sends), SRV_STAT_GET(st, cq_overflow),
			SRV_STAT_GET(st, pauses), SRV_STAT_GET(st, write_timeouts),
			SRV_STAT_GET(st, sq_full), SRV_STAT_GET(st, accept_errors),
			SRV_STAT_GET(st, faults_hit), SRV_STAT_GET(st, input_overflows),
			SRV_STAT_GET(st, oom));
		if (rb_buf_append(tmp, line, (size_t)n)) {
			srv_resp_oom(&h->wr, c, "response");
			return;
		}
	}
	if (rb_buf_append(tmp, "]}\n", 3)) {
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
	srv_request *r = &c->req;

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
		srv_resp_simple(&h->wr, c, 200, "application/octet-stream", c->body.data,
				c->body.len, NULL);
		rb_buf_reset(&c->body);
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
