/*
 * Incremental parsing: every row of the request and response tables, on
 * every variant.  A proper prefix of a complete message is RP_INCOMPLETE; a
 * prefix of a broken one is RP_INCOMPLETE or already the same error; and
 * feeding the message one byte at a time, or in random pieces, with the
 * buffer moving between calls, ends exactly where a one-shot parse does.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cases.h"

static struct guard ga, gb;
static struct rt_result once, part;

static void setup(void)
{
	guard_init(&ga, 1 << 16);
	guard_init(&gb, 1 << 16);
}

static void teardown(void)
{
	guard_free(&ga);
	guard_free(&gb);
}

static int same_end(const struct rt_result *a, const struct rt_result *b, char *why, size_t n)
{
	if (a->ret == RP_ERROR && b->ret == RP_ERROR) {
		if (a->m.error != b->m.error || a->m.error_offset != b->m.error_offset) {
			snprintf(why, n, "error %s@%u vs %s@%u", rp_error_name(a->m.error),
				 a->m.error_offset, rp_error_name(b->m.error), b->m.error_offset);
			return 1;
		}
		return 0;
	}
	return rt_result_diff(a, b, why, n);
}

static void fail(const rp_variant *v, const char *mode, const struct rt_case *c, const char *why)
{
	char esc[400];

	rt_escape(esc, sizeof(esc), c->in, c->len, 160);
	cr_expect_fail("[%s %s] %s: %s | input \"%s\"", v->name, mode, c->what, why, esc);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void one_row(const rp_variant *v, const struct rt_case *c)
{
	char why[RT_WHY], d1[64], d2[64];
	size_t limit;

	rt_parse_once(v, c->kind, c->rflags, c->in, c->len, &ga, 0, &once);
	limit = once.ret > 0 ? (size_t)once.ret : c->len;

	/* Every prefix, one-shot. */
	for (size_t k = 0; k < limit; k++) {
		rt_parse_once(v, c->kind, c->rflags, c->in, k, &gb, 0, &part);
		if (part.ret == RP_INCOMPLETE)
			continue;
		if (once.ret == RP_ERROR && part.ret == RP_ERROR &&
		    same_end(&once, &part, why, sizeof(why)) == 0)
			continue;
		snprintf(why, sizeof(why), "prefix of %zu bytes gives %s, the whole %s", k,
			 rt_describe(d1, sizeof(d1), &part), rt_describe(d2, sizeof(d2), &once));
		fail(v, "prefix", c, why);
		return;
	}

	/* One byte at a time. */
	rt_parse_bytewise(v, c->kind, c->rflags, c->in, c->len, &ga, &gb, &part);
	if (same_end(&once, &part, why, sizeof(why))) {
		fail(v, "byte by byte", c, why);
		return;
	}

	/* Random pieces. */
	for (int round = 0; round < 16 && c->len > 1; round++) {
		size_t cuts[8], ncuts = 0, at = 0;

		while (ncuts < 8) {
			at += 1 + next() % (c->len / 4 + 1);
			if (at >= c->len)
				break;
			cuts[ncuts++] = at;
		}
		rt_parse_split(v, c->kind, c->rflags, c->in, c->len, cuts, ncuts, &ga, &gb, &part);
		if (same_end(&once, &part, why, sizeof(why))) {
			char mode[64];

			snprintf(mode, sizeof(mode), "split at %zu (+%zu more)",
				 ncuts ? cuts[0] : 0, ncuts ? ncuts - 1 : 0);
			fail(v, mode, c, why);
			return;
		}
	}
}

static void run(const struct rt_case *cases, size_t n)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);

	for (size_t i = 0; i < n; i++)
		for (size_t v = 0; v < nv; v++)
			one_row(vs[v], &cases[i]);
}

Test(incremental, requests, .init = setup, .fini = teardown)
{
	run(rt_request_cases, rt_request_ncases);
}

Test(incremental, responses, .init = setup, .fini = teardown)
{
	run(rt_response_cases, rt_response_ncases);
}

Test(incremental, resume_after_incomplete_keeps_partial_header_values, .init = setup,
     .fini = teardown)
{
	/* A long header value arriving in three pieces, the buffer moving. */
	static char in[4096];
	size_t n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	size_t vstart = n, cuts[2];
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);

	for (int i = 0; i < 3000; i++)
		in[n++] = (char)('!' + i % 90);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
	cuts[0] = vstart + 1000;
	cuts[1] = vstart + 2999;
	for (size_t v = 0; v < nv; v++) {
		rt_parse_split(vs[v], RT_REQUEST, 0, in, n, cuts, 2, &ga, &gb, &part);
		cr_expect_eq(part.ret, (int64_t)n, "[%s] ret %lld", vs[v]->name,
			     (long long)part.ret);
		cr_expect_eq(part.h[1].value.off, vstart, "[%s]", vs[v]->name);
		cr_expect_eq(part.h[1].value.len, 3000u, "[%s]", vs[v]->name);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Folds stay linear too, in a response fed one byte at a time: a value the
 * parser reads (Connection) over thousands of folds of OWS only, and one it
 * does not read (each fold extends its span), under a 60 KiB block. */
Test(incremental, byte_at_a_time_obs_fold_is_linear, .init = setup, .fini = teardown, .timeout = 60)
{
	static char in[62 * 1024];
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs), n;

	for (int shape = 0; shape < 2; shape++) {
		n = (size_t)snprintf(in, sizeof(in),
				     "HTTP/1.1 200 OK\r\n%s:", shape == 0 ? "Connection" : "X");
		while (n < 60 * 1024)
			n += (size_t)snprintf(in + n, sizeof(in) - n,
					      shape == 0 ? "\r\n " : "\r\n x");
		n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nContent-Length: 0\r\n\r\n");
		for (size_t v = 0; v < nv; v++) {
			double t0 = now(), dt;

			rt_parse_bytewise(vs[v], RT_RESPONSE, 0, in, n, &ga, &gb, &part);
			dt = now() - t0;
			cr_expect_eq(part.ret, (int64_t)n, "[%s] shape %d: %lld %s", vs[v]->name,
				     shape, (long long)part.ret,
				     rp_error_name((rp_error)part.m.error));
			cr_expect_lt(dt, 5.0, "[%s] shape %d: %zu bytes one at a time took %.2f s",
				     vs[v]->name, shape, n, dt);
		}
	}
}

/* Resuming is linear: a 60 KiB header block fed one byte at a time must not
 * be rescanned from the start on every call (that would be ~1.8 G byte
 * visits; linear is ~60 K).  Generous bound: sanitizers are slow. */
Test(incremental, byte_at_a_time_is_linear, .init = setup, .fini = teardown, .timeout = 60)
{
	static char in[62 * 1024];
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs), n;

	/* One long value, and many short lines. */
	for (int shape = 0; shape < 2; shape++) {
		n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\n");
		if (shape == 0) {
			n += (size_t)snprintf(in + n, sizeof(in) - n, "X: ");
			memset(in + n, 'v', 60 * 1024);
			n += 60 * 1024;
			n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
		} else {
			for (int i = 0; i < 120; i++) {
				n += (size_t)snprintf(in + n, sizeof(in) - n, "X-%d: ", i);
				memset(in + n, 'v', 480);
				n += 480;
				n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n");
			}
			n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n");
		}
		for (size_t v = 0; v < nv; v++) {
			double t0 = now(), dt;

			rt_parse_bytewise(vs[v], RT_REQUEST, 0, in, n, &ga, &gb, &part);
			dt = now() - t0;
			cr_expect_eq(part.ret, (int64_t)n, "[%s] shape %d: %lld", vs[v]->name,
				     shape, (long long)part.ret);
			cr_expect_lt(dt, 5.0, "[%s] shape %d: %zu bytes one at a time took %.2f s",
				     vs[v]->name, shape, n, dt);
		}
	}
}
