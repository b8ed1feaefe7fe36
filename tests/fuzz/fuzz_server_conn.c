/*
 * libFuzzer target for rbserver's connection code: request bytes in,
 * response bytes out, through the functions the worker calls on a receive
 * completion (srv_http_input) and in its flush after each batch
 * (srv_http_continue), the responders and the response writer; no socket,
 * no ring, no worker.  The HTTP context (srv_http) is set up by
 * srv_http_init as a worker's is, with the Date fixed.
 *
 * Input: byte 0 picks the set-up (bit 0: --root, a small tree of files made
 * at start-up; bit 1: small limits, --max-body 100 and --max-header-bytes
 * 512; bit 2: the client half-closes after its last byte), bytes 1-4 seed
 * the split points, the rest is what the client sends.  The bytes are
 * delivered whole, then split at pseudo-random points (small pieces, then
 * pieces around a receive buffer's size), then one byte at a time (inputs
 * up to 4 KiB).  After each receive the flush is played as the worker does
 * it: the exchange continues (a pause ends, a file streams) and every queued
 * byte is "sent" into a sink.
 *
 * Checked, and any failure aborts:
 *   - every delivery sends the same bytes as the whole one;
 *   - the sink is a sequence of complete responses, each parsed by
 *     rp_parse_response (1xx interim responses allowed);
 *   - final responses pair, in order, with the requests a reference parse
 *     of the input completes (rp_parse_request, bodies by their framing):
 *     a response that keeps the connection must answer a complete request
 *     that asked to persist; a request that did not ask to persist gets
 *     Connection: close; a close is the last response; at most one error
 *     response (>= 400, with close) answers a request that never completed
 *     (a parse error, or a refusal decided from its head);
 *   - once the connection persists after its last response, every complete
 *     request has been answered, and nothing is left half done (no pause,
 *     no stream, no failure);
 * and the sanitizers catch the rest (leaks included: each delivery's
 * connection is freed).
 */
#include "conn.h"
#include "endpoints.h"
#include "fuzz_split.h"
#include "http_conn.h"

#include "rb_buf.h"
#include "ringparse.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 5                /* control byte, 4 seed bytes */
#define IN_MAX (64u << 10)   /* longer inputs are skipped */
#define SINK_MAX (4u << 20)  /* output beyond this is not compared (/bytes/N is large) */
#define FIXED_DATE 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define MAX_REQS 4096

enum {
	F_ROOT = 1,
	F_SMALL = 2,
	F_EOF = 4,
};

static srv_config cfgs[4];
static srv_http ctxs[4];
static srv_stats stats[4];
static char root_dir[64];

static void put(const char *rel, size_t len)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", root_dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		abort();
	char buf[4096];
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)('a' + (done + i) % 26);
		if (write(fd, buf, n) != (ssize_t)n)
			abort();
		done += n;
	}
	close(fd);
}

static void rm_root(void)
{
	if (!root_dir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_server_conn: could not remove %s\n", root_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root_dir, sizeof(root_dir), "/tmp/fuzz-server-conn-XXXXXX");
	if (!mkdtemp(root_dir))
		abort();
	atexit(rm_root);
	put("hello.txt", 15);
	put("r1000.bin", 1000);
	put("big.bin", 600u << 10); /* more than one stream window: STREAMING */
	char p[128];
	snprintf(p, sizeof(p), "%s/sub", root_dir);
	if (mkdir(p, 0755))
		abort();
	put("sub/index.html", 13);
	srv_endpoints_init(); /* the /bytes/N pattern, as main() does */
	for (int i = 0; i < 4; i++) {
		srv_config *cfg = &cfgs[i];
		cfg->max_header_bytes = i & F_SMALL ? 512 : 65536;
		cfg->max_body = i & F_SMALL ? 100 : 1048576;
		cfg->root = i & F_ROOT ? root_dir : NULL;
		if (srv_http_init(&ctxs[i], cfg, i, &stats[i]))
			abort();
		/* A fixed Date, so every delivery writes the same bytes. */
		ctxs[i].wr.date.sec = FIXED_DATE;
		rb_httpdate_format(FIXED_DATE, ctxs[i].wr.date.str);
		ctxs[i].nworkers = 0; /* /stats lists no worker: no counter varies */
	}
	return 0;
}

/* ---- delivering the bytes ------------------------------------------------ */

/* Pieces up to a receive buffer's size (rbserver's default 4 KiB, twice). */
#define LARGE_PIECE 8192

typedef struct outcome {
	rb_buf sink;
	int truncated; /* SINK_MAX reached: only the prefix is compared */
	uint8_t state; /* the connection's, at the end */
} outcome;

/* A file run (x->zc_*, what the worker sends with sendfile after the
 * queued bytes): its bytes read from the file into the sink. */
static void send_file_run(srv_conn *c, outcome *o)
{
	srv_exchange *x = c->x;
	char buf[8192];
	while (x->zc_left && !o->truncated) {
		size_t n = x->zc_left < sizeof(buf) ? (size_t)x->zc_left : sizeof(buf);
		ssize_t got = pread(x->file_fd, buf, n, (off_t)x->zc_off);
		if (got <= 0)
			abort(); /* the fixture's files never shrink */
		n = (size_t)got;
		if (o->sink.len + n > SINK_MAX) {
			n = SINK_MAX - o->sink.len;
			o->truncated = 1;
		}
		if (rb_buf_append(&o->sink, buf, n))
			abort();
		x->zc_off += (uint64_t)got;
		x->zc_left -= (uint64_t)got;
	}
}

/* The kernel takes every queued byte at once: each send srv_flush would
 * queue (srv_conn_next_send) completes whole, until nothing is queued; then
 * a file run, if there is one. */
static void send_all(srv_conn *c, outcome *o)
{
	for (;;) {
		rb_buf *s = srv_conn_next_send(c);
		if (!s) {
			if (c->x && c->x->zc_left)
				send_file_run(c, o);
			return;
		}
		size_t n = s->len - s->off;
		if (o->sink.len + n > SINK_MAX) {
			n = SINK_MAX - o->sink.len;
			o->truncated = 1;
		}
		if (rb_buf_append(&o->sink, s->data + s->off, n))
			abort();
		s->off = s->len;
		if (o->truncated)
			return;
	}
}

/* srv_flush's part that involves the exchange, with sends that complete at
 * once: go on where the exchange waits, send, and again while a pause or a
 * stream can make progress; then, as srv_flush does, the exchange goes back
 * to the pool if the connection is between requests (and is attached again
 * by the next bytes). */
static void flush(srv_http *h, srv_conn *c, outcome *o)
{
	for (int guard = 0; guard < 100000 && !o->truncated; guard++) {
		if (c->state != SRV_CS_OPEN)
			srv_http_continue(h, c);
		send_all(c, o);
		if (c->state != SRV_CS_PAUSED && c->state != SRV_CS_STREAMING) {
			srv_http_detach(c);
			return;
		}
	}
	if (!o->truncated) {
		fprintf(stderr, "fuzz_server_conn: a pause or a stream never ends\n");
		abort();
	}
}

static void deliver(srv_http *h, const char *in, size_t len, int eof, enum split how, uint64_t seed,
		    outcome *o)
{
	memset(o, 0, sizeof(*o));
	memset(h->wr.stats, 0, sizeof(*h->wr.stats));
	h->boundary_state = 0x5eed; /* multipart boundaries repeat */
	srv_conn c;
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.in_use = 1;
	for (size_t at = 0; at < len && !o->truncated;) {
		size_t n = next_piece(how, LARGE_PIECE, &seed, len - at);
		/* A receive buffer of exactly n bytes, gone after the call:
		 * the exchange must not read past it or keep it. */
		char *rx = malloc(n);
		if (!rx)
			abort();
		memcpy(rx, in + at, n);
		srv_http_input(h, &c, rx, n);
		free(rx);
		at += n;
		flush(h, &c, o);
	}
	if (eof && !o->truncated) {
		srv_conn_peer_eof(&c);
		flush(h, &c, o);
	}
	o->state = c.state;
	srv_http_release(&c); /* its exchange and buffers back to the context's pool */
	srv_http_free(&c);
}

/* ---- the reference: the requests a parse of the whole input completes -- */

typedef struct ref_req {
	uint8_t head_done; /* the header block parsed */
	uint8_t complete;  /* and its body read */
	uint8_t is_head;   /* HEAD */
	uint8_t keep;      /* RP_F_KEEP_ALIVE */
} ref_req;

/* Returns how many entries of r are filled: every complete request, then
 * (if the input ends inside one or a parse error stops it) one that is not. */
static size_t reference(const srv_http *h, const char *in, size_t len, ref_req *r)
{
	static rp_header hdrs[SRV_MAX_HEADERS];
	size_t pos = 0, n = 0;
	while (pos < len && n < MAX_REQS) {
		rp_message m;
		rp_message_init(&m, h->hdr_array ? hdrs : NULL, SRV_MAX_HEADERS, &h->limits);
		ref_req *q = &r[n++];
		memset(q, 0, sizeof(*q));
		int64_t k = rp_parse_request(&m, in + pos, len - pos);
		if (k < 0)
			return n; /* incomplete, or a parse error */
		q->head_done = 1;
		q->is_head = m.method_id == RP_M_HEAD;
		q->keep = (m.flags & RP_F_KEEP_ALIVE) != 0;
		pos += (size_t)k;
		if (m.framing == RP_BODY_LENGTH) {
			if (len - pos < m.content_length)
				return n;
			pos += (size_t)m.content_length;
		} else if (m.framing == RP_BODY_CHUNKED) {
			rp_chunked ck;
			rp_chunked_init(&ck);
			while (!rp_chunked_done(&ck)) {
				const char *d;
				size_t dl;
				int64_t f = rp_chunked_feed(&ck, in + pos, len - pos, &d, &dl);
				if (f < 0 || (f == 0 && !rp_chunked_done(&ck)))
					return n;
				pos += (size_t)f;
			}
		}
		q->complete = 1;
	}
	return n;
}

static void fail(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_server_conn: %s (response %zu)\n", what, i);
	abort();
}

/* The sink against the reference. */
static void check(const srv_http *h, const char *in, size_t len, int eof, const outcome *o)
{
	static ref_req reqs[MAX_REQS];
	size_t nreq = reference(h, in, len, reqs);
	size_t ncomplete = 0;
	while (ncomplete < nreq && reqs[ncomplete].complete)
		ncomplete++;
	const char *p = o->sink.data;
	size_t left = o->sink.len, nresp = 0;
	int closed = 0;
	while (left) {
		if (closed)
			fail("a response after one that closed", nresp);
		if (nresp >= nreq)
			fail("a response with no request", nresp);
		const ref_req *q = &reqs[nresp];
		rp_message m;
		rp_message_init(&m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
		int64_t k = rp_parse_response(&m, p, left, q->is_head ? RP_RESPONSE_TO_HEAD : 0);
		if (k < 0)
			fail(k == RP_INCOMPLETE ? "an incomplete response head" : "a bad response",
			     nresp);
		size_t body = m.framing == RP_BODY_LENGTH ? (size_t)m.content_length : 0;
		if (m.framing != RP_BODY_LENGTH && m.framing != RP_BODY_NONE)
			fail("a response framed other than by Content-Length", nresp);
		if (left - (size_t)k < body)
			fail("an incomplete response body", nresp);
		p += (size_t)k + body;
		left -= (size_t)k + body;
		if (m.status < 200)
			continue; /* 100 Continue: the final response follows */
		closed = !(m.flags & RP_F_KEEP_ALIVE);
		if (!q->complete && !(closed && m.status >= 400))
			fail("an incomplete request answered other than by an error and a close",
			     nresp);
		if (q->complete && !q->keep && !closed)
			fail("a request that did not ask to persist kept the connection", nresp);
		if (closed && q->keep && m.status < 400)
			fail("a request that asked to persist was closed after a success", nresp);
		nresp++;
	}
	if (o->state == SRV_CS_CLOSING)
		fail("the connection failed", nresp);
	if (!closed) {
		if (nresp != ncomplete)
			fail(nresp < ncomplete ? "a complete request went unanswered"
					       : "more responses than complete requests",
			     nresp);
		if (o->state != (eof ? SRV_CS_DRAINING : SRV_CS_OPEN))
			fail(eof ? "not draining after the client's close" : "not open at the end",
			     nresp);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR || size - HDR > IN_MAX)
		return 0;
	unsigned ctl = data[0];
	srv_http *h = &ctxs[ctl & 3];
	int eof = (ctl & F_EOF) != 0;
	uint64_t seed = (uint64_t)data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16 |
			(uint64_t)data[4] << 24;
	const char *in = (const char *)data + HDR;
	size_t len = size - HDR;

	outcome whole, split;
	deliver(h, in, len, eof, SPLIT_WHOLE, seed, &whole);
	if (getenv("FUZZ_SERVER_CONN_SHOW")) /* debugging a seed: what the server sent */
		fprintf(stderr, "%zu bytes, state %u:\n%.*s\n", whole.sink.len, whole.state,
			(int)(whole.sink.len < 4096 ? whole.sink.len : 4096),
			whole.sink.len ? whole.sink.data : "");
	if (!whole.truncated)
		check(h, in, len, eof, &whole);
	static const enum split hows[] = {SPLIT_SMALL, SPLIT_LARGE, SPLIT_BYTES};
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		if (hows[i] == SPLIT_BYTES && len > 4096)
			continue;
		deliver(h, in, len, eof, hows[i], seed, &split);
		size_t n = whole.sink.len < split.sink.len ? whole.sink.len : split.sink.len;
		int prefix = n == 0 || memcmp(whole.sink.data, split.sink.data, n) == 0;
		int same = whole.truncated || split.truncated
				   ? prefix
				   : prefix && whole.sink.len == split.sink.len &&
					     whole.state == split.state;
		if (!same) {
			fprintf(stderr,
				"fuzz_server_conn: split %d sent other bytes than whole (%zu vs %zu "
				"bytes, state %u vs %u)\n",
				(int)hows[i], split.sink.len, whole.sink.len, split.state,
				whole.state);
			for (size_t k = 0; k < n; k++)
				if (whole.sink.data[k] != split.sink.data[k]) {
					fprintf(stderr, "  first difference at byte %zu\n", k);
					break;
				}
			abort();
		}
		rb_buf_free(&split.sink);
	}
	rb_buf_free(&whole.sink);
	return 0;
}
