/*
 * Limits: the caller's header array, limits.max_header_bytes (whole block,
 * start-line included) and limits.max_target, each at the bound, one past
 * it, and while the message is still incomplete.  Never a crash or a hang.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BIG (1u << 20)

static struct guard g;
static char *in;
static const rp_variant *vs[RT_MAX_VARIANTS];
static size_t nv;

static void setup(void)
{
	guard_init(&g, BIG);
	in = malloc(BIG);
	nv = rt_variants(vs);
}

static void teardown(void)
{
	guard_free(&g);
	free(in);
}

/* Request with nheaders header lines (Host first); returns its length. */
static size_t with_headers(size_t nheaders, int finished)
{
	size_t n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: h\r\n");

	for (size_t i = 1; i < nheaders; i++)
		n += (size_t)sprintf(in + n, "X-%zu: v\r\n", i);
	if (finished)
		n += (size_t)sprintf(in + n, "\r\n");
	return n;
}

/* Request whose header block is exactly total bytes (total >= 64). */
static size_t of_size(size_t total, int finished)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
	size_t n = sizeof(head) - 1, fill = total - n - 4;

	memcpy(in, head, n);
	memset(in + n, 'v', fill);
	n += fill;
	memcpy(in + n, "\r\n\r\n", 4);
	return finished ? n + 4 : n;
}

static int64_t parse(const rp_variant *v, rp_message *m, rp_header *h, uint32_t max,
		     const rp_limits *lim, size_t len)
{
	const char *buf = guard_tail(&g, in, len);

	rp_message_init(m, h, max, lim);
	return v->parse_request(m, buf, len);
}

TestSuite(limits, .init = setup, .fini = teardown, .timeout = 60);

Test(limits, header_count)
{
	static rp_header h[256];
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		const char *name = vs[v]->name;

		n = with_headers(128, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), (int64_t)n,
			     "[%s] 128 headers in 128 slots: %s", name, rp_error_name(m.error));
		cr_expect_eq(m.nheaders, 128u, "[%s]", name);
		n = with_headers(129, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), RP_ERROR, "[%s] 129 in 128", name);
		cr_expect_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s] %s", name,
			     rp_error_name(m.error));
		n = with_headers(129, 0);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), RP_ERROR,
			     "[%s] 129 in 128, block unfinished", name);
		cr_expect_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s]", name);
		n = with_headers(200, 1);
		cr_expect_eq(parse(vs[v], &m, h, 256, NULL, n), (int64_t)n, "[%s] 200 in 256",
			     name);
		n = with_headers(5, 1);
		cr_expect_eq(parse(vs[v], &m, h, 4, NULL, n), RP_ERROR, "[%s] 5 in 4", name);
		cr_expect_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s]", name);
		n = with_headers(1, 1);
		cr_expect_eq(parse(vs[v], &m, h, 1, NULL, n), (int64_t)n, "[%s] 1 in 1", name);
	}
}

Test(limits, zero_header_slots)
{
	static rp_header h[1];
	rp_message m;
	size_t n = (size_t)sprintf(in, "GET / HTTP/1.0\r\n\r\n");

	for (size_t v = 0; v < nv; v++) {
		cr_expect_eq(parse(vs[v], &m, h, 0, NULL, n), (int64_t)n, "[%s] no header, no slot",
			     vs[v]->name);
		n = with_headers(1, 1);
		cr_expect_eq(parse(vs[v], &m, h, 0, NULL, n), RP_ERROR, "[%s] 1 in 0", vs[v]->name);
		cr_expect_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s]", vs[v]->name);
		n = (size_t)sprintf(in, "GET / HTTP/1.0\r\n\r\n");
	}
}

Test(limits, null_header_array)
{
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		const char *name = vs[v]->name;

		/* Validated and counted, not stored. */
		n = with_headers(4, 1);
		cr_expect_eq(parse(vs[v], &m, NULL, 4, NULL, n), (int64_t)n, "[%s] 4 of 4", name);
		cr_expect_eq(m.nheaders, 4u, "[%s]", name);
		cr_expect_eq(m.host_index, 0, "[%s]", name);
		cr_expect(m.flags & RP_F_HAS_HOST, "[%s]", name);
		n = with_headers(5, 1);
		cr_expect_eq(parse(vs[v], &m, NULL, 4, NULL, n), RP_ERROR, "[%s] 5 of 4", name);
		cr_expect_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s]", name);
		/* Still validated. */
		n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: h\r\nX : v\r\n\r\n");
		cr_expect_eq(parse(vs[v], &m, NULL, 4, NULL, n), RP_ERROR, "[%s]", name);
		cr_expect_eq(m.error, RP_E_WS_BEFORE_COLON, "[%s]", name);
		n = (size_t)sprintf(in, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
					"Content-Length: 6\r\n\r\n");
		cr_expect_eq(parse(vs[v], &m, NULL, 4, NULL, n), RP_ERROR, "[%s]", name);
		cr_expect_eq(m.error, RP_E_CONTENT_LENGTH, "[%s]", name);
		n = (size_t)sprintf(in,
				    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
				    "Connection: close\r\n\r\n");
		cr_expect_eq(parse(vs[v], &m, NULL, 4, NULL, n), (int64_t)n, "[%s]", name);
		cr_expect_eq(m.framing, RP_BODY_CHUNKED, "[%s]", name);
		cr_expect_eq(m.flags, RP_F_HAS_HOST | RP_F_CONN_CLOSE, "[%s]", name);
		/* A response needs no array either. */
		n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
		{
			const char *buf = guard_tail(&g, in, n);

			rp_message_init(&m, NULL, 8, NULL);
			cr_expect_eq(vs[v]->parse_response(&m, buf, n, 0), (int64_t)n, "[%s]",
				     name);
			cr_expect_eq(m.content_length, 3u, "[%s]", name);
		}
	}
}

Test(limits, header_bytes_default)
{
	static rp_header h[RP_DEFAULT_MAX_HEADERS];
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		const char *name = vs[v]->name;

		n = of_size(RP_DEFAULT_MAX_HEADER_BYTES, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), (int64_t)n,
			     "[%s] block of exactly 64 KiB: %s", name, rp_error_name(m.error));
		n = of_size(RP_DEFAULT_MAX_HEADER_BYTES + 1, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), RP_ERROR,
			     "[%s] block of 64 KiB + 1", name);
		cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s] %s", name,
			     rp_error_name(m.error));
		/* Unfinished, but already more than 64 KiB given. */
		n = of_size(RP_DEFAULT_MAX_HEADER_BYTES + 100, 0);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), RP_ERROR,
			     "[%s] unfinished block over 64 KiB", name);
		cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s] %s", name,
			     rp_error_name(m.error));
		/* Many small headers over 64 KiB, with room for all of them. */
		n = with_headers(9000, 1);
		{
			const char *buf = guard_tail(&g, in, n);

			rp_message_init(&m, NULL, 100000, NULL);
			cr_expect_eq(vs[v]->parse_request(&m, buf, n), RP_ERROR, "[%s]", name);
			cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s] %s", name,
				     rp_error_name(m.error));
		}
		/* A 1 MiB header block, all at once, is refused quickly. */
		n = of_size(BIG, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, NULL, n), RP_ERROR, "[%s] 1 MiB", name);
	}
}

Test(limits, header_bytes_custom)
{
	static rp_header h[RP_DEFAULT_MAX_HEADERS];
	rp_limits lim = {.max_header_bytes = 1000, .max_target = RP_DEFAULT_MAX_TARGET};
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		const char *name = vs[v]->name;

		n = of_size(1000, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, &lim, n), (int64_t)n, "[%s] 1000 in 1000: %s",
			     name, rp_error_name(m.error));
		n = of_size(1001, 1);
		cr_expect_eq(parse(vs[v], &m, h, 128, &lim, n), RP_ERROR, "[%s] 1001 in 1000",
			     name);
		cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s]", name);
		n = of_size(1100, 0);
		cr_expect_eq(parse(vs[v], &m, h, 128, &lim, n), RP_ERROR,
			     "[%s] unfinished 1100 in 1000", name);
		cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s]", name);
		n = of_size(900, 0);
		cr_expect_eq(parse(vs[v], &m, h, 128, &lim, n), RP_INCOMPLETE,
			     "[%s] unfinished 896 in 1000", name);
		/* Incrementally too: the limit holds across calls. */
		n = of_size(3000, 0);
		rp_message_init(&m, h, 128, &lim);
		{
			int64_t r = RP_INCOMPLETE;

			for (size_t k = 100; k <= n && r == RP_INCOMPLETE; k += 100)
				r = vs[v]->parse_request(&m, guard_tail(&g, in, k), k);
			cr_expect_eq(r, RP_ERROR, "[%s] incremental over the limit", name);
			cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s]", name);
		}
		/* The response parser honours it too. */
		n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nX: ");
		memset(in + n, 'v', 1200);
		n += 1200;
		n += (size_t)sprintf(in + n, "\r\n\r\n");
		{
			const char *buf = guard_tail(&g, in, n);

			rp_message_init(&m, h, 128, &lim);
			cr_expect_eq(vs[v]->parse_response(&m, buf, n, 0), RP_ERROR, "[%s]", name);
			cr_expect_eq(m.error, RP_E_HEADERS_TOO_LARGE, "[%s]", name);
		}
	}
}

/* A request line with a target of tlen bytes. */
static size_t target_of(size_t tlen, int finished)
{
	size_t n = (size_t)sprintf(in, "GET /");

	memset(in + n, 'a', tlen - 1);
	n += tlen - 1;
	if (finished)
		n += (size_t)sprintf(in + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	return n;
}

Test(limits, target_length)
{
	static rp_header h[8];
	rp_limits lim = {.max_header_bytes = RP_DEFAULT_MAX_HEADER_BYTES, .max_target = 16};
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		const char *name = vs[v]->name;

		n = target_of(16, 1);
		cr_expect_eq(parse(vs[v], &m, h, 8, &lim, n), (int64_t)n, "[%s] 16 in 16: %s", name,
			     rp_error_name(m.error));
		cr_expect_eq(m.target.len, 16u, "[%s]", name);
		n = target_of(17, 1);
		cr_expect_eq(parse(vs[v], &m, h, 8, &lim, n), RP_ERROR, "[%s] 17 in 16", name);
		cr_expect_eq(m.error, RP_E_TARGET_TOO_LONG, "[%s]", name);
		n = target_of(17, 0);
		cr_expect_eq(parse(vs[v], &m, h, 8, &lim, n), RP_ERROR,
			     "[%s] 17 in 16, line unfinished", name);
		cr_expect_eq(m.error, RP_E_TARGET_TOO_LONG, "[%s]", name);
		n = target_of(16, 0);
		cr_expect_eq(parse(vs[v], &m, h, 8, &lim, n), RP_INCOMPLETE,
			     "[%s] 16 in 16, line unfinished", name);
		/* Defaults: 8 KiB. */
		n = target_of(RP_DEFAULT_MAX_TARGET, 1);
		cr_expect_eq(parse(vs[v], &m, h, 8, NULL, n), (int64_t)n, "[%s] 8 KiB: %s", name,
			     rp_error_name(m.error));
		n = target_of(RP_DEFAULT_MAX_TARGET + 1, 1);
		cr_expect_eq(parse(vs[v], &m, h, 8, NULL, n), RP_ERROR, "[%s] 8 KiB + 1", name);
		cr_expect_eq(m.error, RP_E_TARGET_TOO_LONG, "[%s]", name);
		n = target_of(100000, 0);
		cr_expect_eq(parse(vs[v], &m, h, 8, NULL, n), RP_ERROR, "[%s] 100000, unfinished",
			     name);
		cr_expect_eq(m.error, RP_E_TARGET_TOO_LONG, "[%s]", name);
		cr_expect_eq(rp_error_status(RP_E_TARGET_TOO_LONG), 414);
	}
}

Test(limits, huge_method_and_value_do_not_hang)
{
	static rp_header h[8];
	rp_message m;
	size_t n;

	for (size_t v = 0; v < nv; v++) {
		/* 1 MiB of tchar with no SP: some error, quickly. */
		memset(in, 'A', BIG);
		n = BIG;
		cr_expect_eq(parse(vs[v], &m, h, 8, NULL, n), RP_ERROR, "[%s] 1 MiB method",
			     vs[v]->name);
		/* 1 MiB of CRLF pairs. */
		for (size_t i = 0; i + 1 < BIG; i += 2)
			in[i] = '\r', in[i + 1] = '\n';
		cr_expect_eq(parse(vs[v], &m, h, 8, NULL, BIG), RP_ERROR, "[%s] CRLF flood",
			     vs[v]->name);
		cr_expect_eq(m.error, RP_E_EMPTY_LINES, "[%s]", vs[v]->name);
	}
}
