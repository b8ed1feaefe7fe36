/*
 * Buffers longer than 4 GiB: len is a size_t, and a parser that keeps it in
 * 32 bits sees a short buffer (RP_INCOMPLETE) or a wrong count.  The
 * mapping is lazy: only the pages the message lives on are ever touched,
 * since neither parser reads body bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#define FOUR_GIB (1ull << 32)

static char *map;
static size_t map_len;

static void setup(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	map_len = FOUR_GIB + 16 * page;
	map = mmap(NULL, map_len + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(map, MAP_FAILED, "cannot map %zu bytes", map_len);
	cr_assert_eq(mprotect(map + map_len, page, PROT_NONE), 0);
}

static void teardown(void)
{
	munmap(map, map_len + (size_t)sysconf(_SC_PAGESIZE));
}

TestSuite(huge, .init = setup, .fini = teardown, .timeout = 120);

Test(huge, request_longer_than_4_gib)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	size_t len = (size_t)FOUR_GIB + 10;
	char head[128];
	/* Content-Length is what follows the header block (the digits count
	 * is the same either way: 10). */
	int n = snprintf(head, sizeof(head),
			 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", len);

	n = snprintf(head, sizeof(head),
		     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", len - (size_t)n);
	memcpy(map, head, (size_t)n);
	for (size_t v = 0; v < nv; v++) {
		rp_header h[4];
		rp_message m;
		int64_t r;

		rp_message_init(&m, h, 4, NULL);
		r = vs[v]->parse_request(&m, map, len);
		cr_expect_eq(r, n, "[%s] %zu-byte buffer: ret %lld, want %d", vs[v]->name, len,
			     (long long)r, n);
		cr_expect_eq(m.content_length, (uint64_t)(len - (size_t)n), "[%s]", vs[v]->name);
	}
}

Test(huge, response_longer_than_4_gib)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	size_t len = (size_t)FOUR_GIB + 10;
	static const char head[] = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n";

	memcpy(map, head, sizeof(head) - 1);
	for (size_t v = 0; v < nv; v++) {
		rp_header h[4];
		rp_message m;
		int64_t r;

		rp_message_init(&m, h, 4, NULL);
		r = vs[v]->parse_response(&m, map, len, 0);
		cr_expect_eq(r, (int64_t)sizeof(head) - 1, "[%s] ret %lld", vs[v]->name,
			     (long long)r);
		cr_expect_eq(m.framing, RP_BODY_CLOSE, "[%s]", vs[v]->name);
	}
}

Test(huge, chunk_longer_than_4_gib)
{
	/* One chunk of 4 GiB + 1 byte, all present, then the last chunk; the
	 * whole body ends right before the guard page. */
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	static const char head[] = "100000001\r\n", tail[] = "\r\n0\r\n\r\n";
	size_t size = (size_t)FOUR_GIB + 1;
	size_t len = sizeof(head) - 1 + size + sizeof(tail) - 1;
	char *buf = map + map_len - len;

	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	for (size_t v = 0; v < nv; v++) {
		rp_chunked c;
		size_t pos = 0, data = 0;
		int64_t r;
		int calls = 0;

		rp_chunked_init(&c);
		do {
			const char *d = NULL;
			size_t dl = 0;

			r = vs[v]->chunked_feed(&c, buf + pos, len - pos, &d, &dl);
			if (r < 0)
				break;
			if (dl) {
				cr_expect(d >= buf + pos && d + dl <= buf + pos + r,
					  "[%s] data run outside the consumed bytes", vs[v]->name);
				data += dl;
			}
			pos += (size_t)r;
		} while (r > 0 && !rp_chunked_done(&c) && ++calls < 1000);
		cr_expect(rp_chunked_done(&c), "[%s] not done: ret %lld, error %s", vs[v]->name,
			  (long long)r, rp_error_name((rp_error)c.error));
		cr_expect_eq(data, size, "[%s] %zu data bytes, want %zu", vs[v]->name, data, size);
		cr_expect_eq(pos, len, "[%s] consumed %zu of %zu", vs[v]->name, pos, len);
		cr_expect_eq(c.body_bytes, (uint64_t)size, "[%s]", vs[v]->name);
	}
}
