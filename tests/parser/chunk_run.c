#include "chunk_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(struct rt_chunk_run *r, const char *what)
{
	r->broken = 1;
	snprintf(r->why, sizeof(r->why), "%s", what);
}

void rt_chunk_run(const rp_variant *v, const char *in, size_t len, size_t first, size_t step,
		  struct guard *g, struct rt_chunk_run *r)
{
	size_t pos = 0, avail = first < len ? first : len;
	size_t calls = 0, max_calls = 8 * len + 64;

	memset(r, 0, sizeof(*r));
	r->data = malloc(len + 1);
	rp_chunked_init(&r->c);
	r->status = RT_CH_MORE;
	for (;;) {
		const char *buf = guard_tail(g, in + pos, avail - pos);
		const char *data = NULL;
		size_t data_len = 0;
		int64_t n;

		if (++calls > max_calls) {
			fail(r, "no progress: rp_chunked_feed called too often");
			return;
		}
		n = v->chunked_feed(&r->c, buf, avail - pos, &data, &data_len);
		if (n == RP_ERROR) {
			r->status = RT_CH_ERROR;
			r->err = r->c.error;
			r->detail = r->c.error_detail;
			return;
		}
		if (n < 0 || (size_t)n > avail - pos) {
			fail(r, "rp_chunked_feed returned more than it was given, or < -1");
			return;
		}
		if (data_len) {
			if (!data || data < buf || data + data_len > buf + n) {
				fail(r, "data run outside the consumed bytes");
				return;
			}
			if (r->data_len + data_len > len) {
				fail(r, "more data than input");
				return;
			}
			memcpy(r->data + r->data_len, data, data_len);
			r->data_len += data_len;
		}
		pos += (size_t)n;
		r->consumed = pos;
		if (rp_chunked_done(&r->c)) {
			r->status = RT_CH_DONE;
			return;
		}
		if (n == 0) {
			if (avail == len)
				return; /* RT_CH_MORE */
			avail = len - avail > step ? avail + step : len;
		}
	}
}

void rt_chunk_run_free(struct rt_chunk_run *r)
{
	free(r->data);
	r->data = NULL;
}

static int in_list(const uint16_t *list, uint16_t v)
{
	if (list[0] == 0)
		return 1;
	for (int i = 0; i < RT_MAX_ERRS && list[i]; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

static const char *status_name(enum rt_chunk_status s)
{
	return s == RT_CH_DONE ? "done" : s == RT_CH_ERROR ? "error" : "more";
}

int rt_chunk_check(const struct rt_chunk_case *c, const struct rt_chunk_run *r, char *why, size_t n)
{
	char got[160], want[160];

	if (r->broken) {
		snprintf(why, n, "%s", r->why);
		return 1;
	}
	if (r->status != c->status) {
		snprintf(why, n, "%s (error %s), want %s (%s)", status_name(r->status),
			 r->status == RT_CH_ERROR ? rp_error_name((rp_error)r->err) : "-",
			 status_name(c->status),
			 c->status == RT_CH_ERROR ? rp_error_name((rp_error)c->err[0]) : "-");
		return 1;
	}
	if (c->status == RT_CH_ERROR) {
		if (!in_list(c->err, r->err)) {
			snprintf(why, n, "error %s, want %s", rp_error_name((rp_error)r->err),
				 rp_error_name((rp_error)c->err[0]));
			return 1;
		}
		if (r->err == RP_E_TRAILER && !in_list(c->detail, r->detail)) {
			snprintf(why, n, "error_detail %s, want %s",
				 rp_error_name((rp_error)r->detail),
				 rp_error_name((rp_error)c->detail[0]));
			return 1;
		}
	}
	if (c->data && (r->data_len != c->data_len || memcmp(r->data, c->data, c->data_len))) {
		snprintf(why, n, "data \"%s\", want \"%s\"",
			 rt_escape(got, sizeof(got), r->data, r->data_len, 40),
			 rt_escape(want, sizeof(want), c->data, c->data_len, 40));
		return 1;
	}
	if (c->status == RT_CH_DONE) {
		size_t wantc = c->consumed ? c->consumed : c->len;

		if (r->consumed != wantc) {
			snprintf(why, n, "consumed %zu, want %zu", r->consumed, wantc);
			return 1;
		}
		if (r->c.body_bytes != r->data_len) {
			snprintf(why, n, "body_bytes %llu but %zu data bytes delivered",
				 (unsigned long long)r->c.body_bytes, r->data_len);
			return 1;
		}
	}
	return 0;
}

#define CDIFF(field)                                                                               \
	do {                                                                                       \
		if (a->c.field != b->c.field) {                                                    \
			snprintf(why, n, "rp_chunked." #field ": %llu vs %llu",                    \
				 (unsigned long long)a->c.field, (unsigned long long)b->c.field);  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int rt_chunk_diff(const struct rt_chunk_run *a, const struct rt_chunk_run *b, int same_schedule,
		  char *why, size_t n)
{
	if (a->broken || b->broken) {
		snprintf(why, n, "%s", a->broken ? a->why : b->why);
		return 1;
	}
	if (a->status != b->status || a->err != b->err || a->detail != b->detail) {
		snprintf(why, n, "%s/%s/%s vs %s/%s/%s", status_name(a->status),
			 rp_error_name((rp_error)a->err), rp_error_name((rp_error)a->detail),
			 status_name(b->status), rp_error_name((rp_error)b->err),
			 rp_error_name((rp_error)b->detail));
		return 1;
	}
	if (a->data_len != b->data_len || memcmp(a->data, b->data, a->data_len) != 0) {
		snprintf(why, n, "data differs (%zu vs %zu bytes)", a->data_len, b->data_len);
		return 1;
	}
	if ((same_schedule || a->status == RT_CH_DONE) && a->consumed != b->consumed) {
		snprintf(why, n, "consumed %zu vs %zu", a->consumed, b->consumed);
		return 1;
	}
	CDIFF(body_bytes);
	CDIFF(error);
	CDIFF(error_detail);
	if (a->status == RT_CH_DONE || same_schedule) {
		CDIFF(remaining);
		CDIFF(trailer_count);
	}
	if (same_schedule) {
		CDIFF(state);
		CDIFF(ext_bytes);
		CDIFF(trailer_bytes);
		CDIFF(max_line);
		CDIFF(max_trailer_bytes);
		CDIFF(max_trailers);
	}
	return 0;
}
