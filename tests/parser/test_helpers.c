/* Error names and statuses, method names, rp_find_header, variant lookup. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(helpers, error_names)
{
	cr_expect_str_eq(rp_error_name(RP_E_BARE_CR), "bare_cr");
	cr_expect_str_eq(rp_error_name(RP_E_CL_AND_TE), "cl_and_te");
	cr_expect_str_eq(rp_error_name(RP_E_CONNECT_BODY), "connect_body");
	for (int e = 0; e < RP_E__COUNT; e++) {
		const char *name = rp_error_name((rp_error)e);

		cr_assert_not_null(name, "error %d has no name", e);
		cr_expect_neq(strlen(name), 0u, "error %d has an empty name", e);
		for (const char *p = name; *p; p++)
			cr_expect((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_',
				  "error %d name \"%s\" is not snake_case", e, name);
		cr_expect_not_null(rp_error_message((rp_error)e), "error %d has no message", e);
		for (int f = 0; f < e; f++)
			cr_expect_str_neq(name, rp_error_name((rp_error)f),
					  "errors %d and %d share the name \"%s\"", f, e, name);
	}
}

Test(helpers, error_status)
{
	for (int e = 1; e < RP_E__COUNT; e++) {
		int want = 400;

		if (e == RP_E_TARGET_TOO_LONG)
			want = 414;
		else if (e == RP_E_TOO_MANY_HEADERS || e == RP_E_HEADERS_TOO_LARGE)
			want = 431;
		cr_expect_eq(rp_error_status((rp_error)e), want, "status of %s: %d, want %d",
			     rp_error_name((rp_error)e), rp_error_status((rp_error)e), want);
	}
}

Test(helpers, method_names)
{
	static const char *const want[] = {
		[RP_M_GET] = "GET",         [RP_M_HEAD] = "HEAD",     [RP_M_POST] = "POST",
		[RP_M_PUT] = "PUT",         [RP_M_DELETE] = "DELETE", [RP_M_CONNECT] = "CONNECT",
		[RP_M_OPTIONS] = "OPTIONS", [RP_M_TRACE] = "TRACE",   [RP_M_PATCH] = "PATCH",
	};

	for (int i = RP_M_GET; i <= RP_M_PATCH; i++)
		cr_expect_str_eq(rp_method_name((rp_method)i), want[i]);
	cr_expect_not_null(rp_method_name(RP_M_OTHER));
}

Test(helpers, find_header)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Long: 1\r\nACCEPT: a\r\n"
				 "x-long: 2\r\nX: 3\r\n\r\n";
	rp_header h[8];
	rp_message m;

	rp_message_init(&m, h, 8, NULL);
	cr_assert_eq(rp_parse_request(&m, in, sizeof(in) - 1), (int64_t)sizeof(in) - 1);
	cr_expect_eq(rp_find_header(&m, in, "host", 4, 0), 0);
	cr_expect_eq(rp_find_header(&m, in, "HOST", 4, 0), 0);
	cr_expect_eq(rp_find_header(&m, in, "accept", 6, 0), 2);
	cr_expect_eq(rp_find_header(&m, in, "X-LONG", 6, 0), 1);
	cr_expect_eq(rp_find_header(&m, in, "X-LONG", 6, 2), 3, "search from index 2");
	cr_expect_eq(rp_find_header(&m, in, "X-LONG", 6, 4), -1, "nothing after index 3");
	cr_expect_eq(rp_find_header(&m, in, "x", 1, 0), 4, "X is not a prefix of X-Long");
	cr_expect_eq(rp_find_header(&m, in, "X-Lon", 5, 0), -1, "a prefix does not match");
	cr_expect_eq(rp_find_header(&m, in, "X-Longer", 8, 0), -1);
	cr_expect_eq(rp_find_header(&m, in, "Host", 4, 99), -1, "from beyond the end");
	cr_expect_eq(rp_find_header(&m, in, "X-LongXX", 6, 0), 1, "name_len counts, not NUL");
}

/* A folded response value read as a user agent reads it (RFC 9112 5.2):
 * each CR and LF becomes SP, in a copy or in place; on every variant. */
Test(helpers, unfold)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\tc\r\nY: 1 2\r\n\r\n";
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);

	for (size_t v = 0; v < nv; v++) {
		rp_header h[4];
		rp_message m;
		char out[16], copy[sizeof in];

		rp_message_init(&m, h, 4, NULL);
		cr_assert_eq(vs[v]->parse_response(&m, in, sizeof in - 1, 0),
			     (int64_t)sizeof in - 1, "[%s]", vs[v]->name);
		cr_assert_eq(m.nheaders, 2u, "[%s]", vs[v]->name);
		cr_expect(m.flags & RP_F_OBS_FOLD, "[%s]", vs[v]->name);
		cr_assert_eq(h[0].value.len, 9u, "[%s]", vs[v]->name);
		rp_unfold(out, in + h[0].value.off, h[0].value.len);
		cr_expect_eq(memcmp(out, "a   b  \tc", 9), 0, "[%s] \"%.9s\"", vs[v]->name, out);
		memcpy(copy, in, sizeof in);
		rp_unfold(copy + h[0].value.off, copy + h[0].value.off, h[0].value.len);
		cr_expect_eq(memcmp(copy + h[0].value.off, "a   b  \tc", 9), 0, "[%s] in place",
			     vs[v]->name);
		rp_unfold(out, in + h[1].value.off, h[1].value.len);
		cr_expect_eq(memcmp(out, "1 2", 3), 0, "[%s] a value without folds", vs[v]->name);
	}
}

Test(helpers, find_header_without_stored_headers)
{
	/* Parsed with a NULL header array: nothing to look in, and no crash. */
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n";
	rp_message m;

	rp_message_init(&m, NULL, 8, NULL);
	cr_assert_eq(rp_parse_request(&m, in, sizeof(in) - 1), (int64_t)sizeof(in) - 1);
	cr_expect_eq(rp_find_header(&m, in, "host", 4, 0), -1);
	cr_expect_eq(rp_find_header(&m, in, "X", 1, 0), -1);
}

Test(helpers, find_header_ascii_case_only)
{
	/* Case folding is ASCII: '[' (0x5b) is not '{' (0x7b), 0xc0 is not 0xe0. */
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\nA_B: 1\r\n\r\n";
	rp_header h[4];
	rp_message m;

	rp_message_init(&m, h, 4, NULL);
	cr_assert_eq(rp_parse_request(&m, in, sizeof(in) - 1), (int64_t)sizeof(in) - 1);
	cr_expect_eq(rp_find_header(&m, in, "a_b", 3, 0), 1);
	cr_expect_eq(rp_find_header(&m, in,
				    "A\x7f"
				    "B",
				    3, 0),
		     -1, "'_' ^ 0x20 is DEL");
}

Test(helpers, variants)
{
	const rp_variant *const *all = rp_variants_all();
	const rp_variant *scalar = rp_variant_by_name("scalar");
	const rp_variant *before;
	size_t n = 0;

	cr_assert_not_null(all);
	cr_assert_not_null(scalar, "no scalar variant");
	cr_expect(scalar->supported(), "scalar must always run");
	for (; all[n]; n++) {
		cr_expect_not_null(all[n]->name);
		cr_expect_not_null(all[n]->description);
		cr_expect_not_null(all[n]->parse_request);
		cr_expect_not_null(all[n]->parse_response);
		cr_expect_not_null(all[n]->chunked_feed);
		cr_expect_eq(rp_variant_by_name(all[n]->name), all[n], "lookup of %s",
			     all[n]->name);
	}
	cr_expect_geq(n, 1u);
	cr_expect_null(rp_variant_by_name("nonesuch"));
	cr_expect_null(rp_variant_by_name(""));
	cr_expect_null(rp_variant_by_name("SCALAR"), "names are exact");

	/* The default is the fastest supported, i.e. the first supported one,
	 * unless RINGPARSE_VARIANT names another. */
	if (!getenv("RINGPARSE_VARIANT")) {
		for (size_t i = 0; all[i]; i++) {
			if (all[i]->supported()) {
				cr_expect_eq(rp_variant_current(), all[i],
					     "default is %s, want the first supported, %s",
					     rp_variant_current()->name, all[i]->name);
				break;
			}
		}
	}

	cr_expect_eq(rp_variant_select("scalar"), 0);
	cr_expect_eq(rp_variant_current(), scalar);
	before = rp_variant_current();
	cr_expect_eq(rp_variant_select("nonesuch"), -1);
	cr_expect_eq(rp_variant_current(), before, "a failed select changed the variant");
	for (size_t i = 0; all[i]; i++) {
		if (all[i]->supported()) {
			cr_expect_eq(rp_variant_select(all[i]->name), 0, "select %s", all[i]->name);
			cr_expect_eq(rp_variant_current(), all[i]);
		} else {
			before = rp_variant_current();
			cr_expect_eq(rp_variant_select(all[i]->name), -1,
				     "select of unsupported %s succeeded", all[i]->name);
			cr_expect_eq(rp_variant_current(), before);
		}
	}
}

Test(helpers, environment_names_the_variant)
{
	/* ctest runs this suite a second time with RINGPARSE_VARIANT=scalar. */
	const char *env = getenv("RINGPARSE_VARIANT");

	if (!env || !*env)
		cr_skip_test("RINGPARSE_VARIANT is not set");
	cr_assert_not_null(rp_variant_current());
	cr_expect_str_eq(rp_variant_current()->name, env,
			 "RINGPARSE_VARIANT=%s but the current variant is %s", env,
			 rp_variant_current()->name);
}

Test(helpers, selected_variant_is_used)
{
	/* rp_parse_request() goes through the selected variant and agrees with it. */
	static const char in[] = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);

	for (size_t v = 0; v < nv; v++) {
		rp_header h[4];
		rp_message m;

		cr_assert_eq(rp_variant_select(vs[v]->name), 0);
		rp_message_init(&m, h, 4, NULL);
		cr_expect_eq(rp_parse_request(&m, in, sizeof(in) - 1), (int64_t)sizeof(in) - 1,
			     "[%s]", vs[v]->name);
	}
}

Test(helpers, message_init)
{
	rp_header h[3];
	rp_message m;
	rp_limits lim = {.max_header_bytes = 123, .max_target = 45};

	memset(&m, 0xa5, sizeof(m));
	rp_message_init(&m, h, 3, NULL);
	cr_expect_eq(m.headers, h);
	cr_expect_eq(m.max_headers, 3u);
	cr_expect_eq(m.limits.max_header_bytes, RP_DEFAULT_MAX_HEADER_BYTES);
	cr_expect_eq(m.limits.max_target, RP_DEFAULT_MAX_TARGET);
	cr_expect_eq(m.nheaders, 0u);
	cr_expect_eq(m.error, RP_OK);
	cr_expect_eq(m.host_index, -1);
	rp_message_init(&m, NULL, 0, &lim);
	cr_expect_eq(m.limits.max_header_bytes, 123u);
	cr_expect_eq(m.limits.max_target, 45u);
}
