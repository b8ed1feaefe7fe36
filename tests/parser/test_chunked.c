/* The chunked decoder: its table fed whole, byte by byte and split at every
 * boundary, on every variant; zero-copy delivery; bounds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_run.h"
#include "report.h"
#include "table.h"

Test(chunked, table)
{
	size_t failures = rt_run_chunk_table(rt_chunk_cases, rt_chunk_ncases, rt_cr_report);

	cr_log_info("%zu chunked rows", rt_chunk_ncases);
	cr_expect_eq(failures, 0, "%zu chunked rows failed", failures);
}

Test(chunked, variants_agree_on_the_table)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	struct guard g;
	struct rt_chunk_run ref, got;
	char why[RT_WHY], esc[256];

	guard_init(&g, 4096);
	for (size_t i = 0; i < rt_chunk_ncases; i++) {
		const struct rt_chunk_case *c = &rt_chunk_cases[i];

		rt_chunk_run(rt_scalar(), c->in, c->len, 0, 1, &g, &ref);
		for (size_t v = 0; v < nv; v++) {
			rt_chunk_run(vs[v], c->in, c->len, 0, 1, &g, &got);
			rt_escape(esc, sizeof(esc), c->in, c->len, 120);
			cr_expect(rt_chunk_diff(&ref, &got, 1, why, sizeof(why)) == 0,
				  "[%s vs scalar] %s: %s | \"%s\"", vs[v]->name, c->what, why, esc);
			rt_chunk_run_free(&got);
		}
		rt_chunk_run_free(&ref);
	}
	guard_free(&g);
}

Test(chunked, large_chunk_is_zero_copy)
{
	/* 100000 bytes of data in one chunk, all present: one run, pointing
	 * into the caller's buffer right after the size line. */
	const size_t n = 100000;
	const char head[] = "186a0\r\n";
	size_t len = sizeof(head) - 1 + n + 2 + 5;
	char *in = malloc(len);
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	struct guard g;

	memcpy(in, head, sizeof(head) - 1);
	for (size_t i = 0; i < n; i++)
		in[sizeof(head) - 1 + i] = (char)('a' + i % 26);
	memcpy(in + sizeof(head) - 1 + n, "\r\n0\r\n\r\n", 7);
	guard_init(&g, len);
	for (size_t v = 0; v < nv; v++) {
		rp_chunked c;
		const char *buf = guard_tail(&g, in, len), *data = NULL;
		size_t data_len = 0, pos = 0;
		int64_t r;

		rp_chunked_init(&c);
		do {
			data = NULL;
			data_len = 0;
			r = vs[v]->chunked_feed(&c, buf + pos, len - pos, &data, &data_len);
			cr_assert_geq(r, 0, "[%s] error %s", vs[v]->name,
				      rp_error_name((rp_error)c.error));
			if (data_len) {
				cr_expect_eq(data, buf + sizeof(head) - 1, "[%s] data not in place",
					     vs[v]->name);
				cr_expect_eq(data_len, n, "[%s] data in %zu-byte run, want one run",
					     vs[v]->name, data_len);
			}
			pos += (size_t)r;
		} while (r > 0 && !rp_chunked_done(&c));
		cr_expect(rp_chunked_done(&c), "[%s] not done", vs[v]->name);
		cr_expect_eq(pos, len, "[%s] consumed %zu of %zu", vs[v]->name, pos, len);
		cr_expect_eq(c.body_bytes, (uint64_t)n);
	}
	guard_free(&g);
	free(in);
}

/* Feed a whole input repeatedly until error, done or no progress. */
static int feed_all(const rp_variant *v, rp_chunked *c, const char *in, size_t len)
{
	size_t pos = 0;

	for (int i = 0; i < 100000; i++) {
		const char *data;
		size_t data_len;
		int64_t r = v->chunked_feed(c, in + pos, len - pos, &data, &data_len);

		if (r < 0)
			return RT_CH_ERROR;
		pos += (size_t)r;
		if (rp_chunked_done(c))
			return RT_CH_DONE;
		if (r == 0)
			return RT_CH_MORE;
	}
	return -1;
}

Test(chunked, bounds)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	size_t big = 200000;
	char *in = malloc(big + 64);

	for (size_t v = 0; v < nv; v++) {
		rp_chunked c;
		size_t n;

		/* A chunk-size line that never ends must not be buffered forever. */
		rp_chunked_init(&c);
		n = (size_t)sprintf(in, "5;a=");
		memset(in + n, 'x', big);
		cr_expect_eq(feed_all(vs[v], &c, in, n + big), RT_CH_ERROR,
			     "[%s] endless chunk extension accepted", vs[v]->name);

		/* Nor an endless trailer section. */
		rp_chunked_init(&c);
		n = (size_t)sprintf(in, "0\r\n");
		for (size_t i = 0; n + 16 < big; i++)
			n += (size_t)sprintf(in + n, "T%zu: v\r\n", i % 1000000);
		cr_expect_eq(feed_all(vs[v], &c, in, n), RT_CH_ERROR,
			     "[%s] endless trailer section accepted", vs[v]->name);

		/* A trailer larger than max_trailer_bytes is an error. */
		rp_chunked_init(&c);
		c.max_trailer_bytes = 64;
		n = (size_t)sprintf(in, "0\r\nX: %0100d\r\n\r\n", 7);
		cr_expect_eq(feed_all(vs[v], &c, in, n), RT_CH_ERROR,
			     "[%s] trailer over max_trailer_bytes accepted", vs[v]->name);

		/* More trailer fields than max_trailers is an error. */
		rp_chunked_init(&c);
		c.max_trailers = 2;
		n = (size_t)sprintf(in, "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
		cr_expect_eq(feed_all(vs[v], &c, in, n), RT_CH_ERROR,
			     "[%s] 3 trailers over max_trailers 2 accepted", vs[v]->name);
		rp_chunked_init(&c);
		c.max_trailers = 2;
		n = (size_t)sprintf(in, "0\r\nA: 1\r\nB: 2\r\n\r\n");
		cr_expect_eq(feed_all(vs[v], &c, in, n), RT_CH_DONE,
			     "[%s] 2 trailers with max_trailers 2 refused", vs[v]->name);

		/* A size line longer than max_line is an error. */
		rp_chunked_init(&c);
		n = (size_t)sprintf(in, "5");
		for (uint32_t i = 0; i <= c.max_line; i += 4)
			n += (size_t)sprintf(in + n, ";a=b");
		n += (size_t)sprintf(in + n, "\r\nhello\r\n0\r\n\r\n");
		cr_expect_eq(feed_all(vs[v], &c, in, n), RT_CH_ERROR,
			     "[%s] size line over max_line (%u) accepted", vs[v]->name, c.max_line);
	}
	free(in);
}

Test(chunked, done_and_after)
{
	rp_chunked c;

	rp_chunked_init(&c);
	cr_expect(!rp_chunked_done(&c), "done before any byte");
	cr_assert_eq(feed_all(rp_variant_current(), &c, "0\r\n\r\n", 5), RT_CH_DONE);
	cr_expect(rp_chunked_done(&c));
	cr_expect_eq(c.body_bytes, 0u);
}

Test(chunked, trailer_section_is_consumed_whole)
{
	/* "the trailer section is consumed only whole": while it is incomplete,
	 * none of its bytes are consumed, so the caller keeps them. */
	static const char in[] = "5\r\nhello\r\n0\r\nA: 1\r\nB: 2\r\n\r\n";
	const size_t start = sizeof("5\r\nhello\r\n0\r\n") - 1, len = sizeof(in) - 1;
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	struct guard g;
	struct rt_chunk_run r;

	guard_init(&g, 4096);
	for (size_t v = 0; v < nv; v++) {
		for (size_t k = start; k < len; k++) {
			rt_chunk_run(vs[v], in, k, SIZE_MAX, SIZE_MAX, &g, &r);
			cr_expect_eq(r.status, RT_CH_MORE, "[%s] %zu bytes", vs[v]->name, k);
			cr_expect_leq(r.consumed, start,
				      "[%s] %zu bytes: %zu consumed, trailer at %zu", vs[v]->name,
				      k, r.consumed, start);
			rt_chunk_run_free(&r);
		}
		rt_chunk_run(vs[v], in, len, SIZE_MAX, SIZE_MAX, &g, &r);
		cr_expect_eq(r.status, RT_CH_DONE, "[%s]", vs[v]->name);
		cr_expect_eq(r.consumed, len, "[%s]", vs[v]->name);
		cr_expect_eq(r.c.trailer_count, 2u, "[%s] trailer_count", vs[v]->name);
		rt_chunk_run_free(&r);
	}
	guard_free(&g);
}
