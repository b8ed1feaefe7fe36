/* The request table (cases_request.c) against every variant, plus the
 * error offsets a caller can point a user at. */
#include <criterion/criterion.h>
#include <string.h>

#include "report.h"
#include "table.h"

Test(request, table)
{
	size_t failures = rt_run_table(rt_request_cases, rt_request_ncases, rt_cr_report);

	cr_log_info("%zu request rows", rt_request_ncases);
	cr_expect_eq(failures, 0, "%zu request rows failed", failures);
}

struct offset_case {
	const char *what;
	const char *in;
	size_t len;
	uint32_t offset; /* where the offending byte is */
};

#define OFF(what_, lit, off_)                                                                      \
	{                                                                                          \
		(what_), (lit), sizeof(lit) - 1, (off_)                                            \
	}

/* Single offending bytes: error_offset must name them. */
static const struct offset_case offsets[] = {
	OFF("'#' in target",
	    "GET /ab#"
	    " HTTP/1.1\r\nHost: h\r\n\r\n",
	    7),
	OFF("0x80 in method", "GE\x80T / HTTP/1.1\r\nHost: h\r\n\r\n", 2),
	OFF("bare LF after the request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 14),
	OFF("NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: ab\0\r\n\r\n", 30),
	OFF("'(' in a name", "GET / HTTP/1.1\r\nHost: h\r\nX(: v\r\n\r\n", 26),
	OFF("DEL in a value past 64 bytes",
	    "GET / HTTP/1.1\r\nHost: h\r\nX: "
	    "0123456789012345678901234567890123456789012345678901234567890123456789\x7f\r\n\r\n",
	    98),
};

Test(request, error_offsets)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	struct guard g;
	static struct rt_result r;
	char esc[256];

	guard_init(&g, 4096);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		const struct offset_case *c = &offsets[i];

		cr_assert((unsigned char)c->in[c->offset] >= 0x80 ||
				  memchr("#\n\0(\x7f", c->in[c->offset], 5) != NULL,
			  "row %zu: the offset in the table is wrong", i);
		for (size_t v = 0; v < nv; v++) {
			rt_parse_once(vs[v], RT_REQUEST, 0, c->in, c->len, &g, 0, &r);
			rt_escape(esc, sizeof(esc), c->in, c->len, 120);
			cr_expect(r.ret == RP_ERROR && r.m.error_offset == c->offset,
				  "[%s] %s: ret %lld error_offset %u, want error at %u | \"%s\"",
				  vs[v]->name, c->what, (long long)r.ret, r.m.error_offset,
				  c->offset, esc);
		}
	}
	guard_free(&g);
}

Test(request, message_reuse)
{
	/* rp_message_init() makes a used message as good as new. */
	static const char a[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
	static const char b[] = "GET /b HTTP/1.0\r\n\r\n";
	rp_header h[8];
	rp_message m;

	rp_message_init(&m, h, 8, NULL);
	cr_assert_eq(rp_parse_request(&m, a, sizeof(a) - 1), (int64_t)sizeof(a) - 1);
	rp_message_init(&m, h, 8, NULL);
	cr_assert_eq(rp_parse_request(&m, b, sizeof(b) - 1), (int64_t)sizeof(b) - 1);
	cr_expect_eq(m.nheaders, 0);
	cr_expect_eq(m.framing, RP_BODY_NONE);
	cr_expect_eq(m.flags, 0u);
	cr_expect_eq(m.host_index, -1);
	cr_expect_eq(m.method_id, RP_M_GET);
	cr_expect_eq(m.target.off, 4u);
	cr_expect_eq(m.target.len, 2u);
}

Test(request, leading_crlf_offsets)
{
	/* Spans are relative to buf, so the ignored CRLF shifts them by two. */
	static const char in[] = "\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";
	rp_header h[4];
	rp_message m;

	rp_message_init(&m, h, 4, NULL);
	cr_assert_eq(rp_parse_request(&m, in, sizeof(in) - 1), (int64_t)sizeof(in) - 1);
	cr_expect_eq(m.method.off, 2u);
	cr_expect_eq(m.target.off, 6u);
	cr_expect_eq(h[0].name.off, 19u);
	cr_expect_eq(h[0].value.off, 25u);
}
