/* The response table (cases_response.c) against every variant, and how an
 * obs-fold in a response (RFC 9112 5.2) meets the header array. */
#include <criterion/criterion.h>
#include <string.h>

#include "report.h"
#include "table.h"

Test(response, table)
{
	size_t failures = rt_run_table(rt_response_cases, rt_response_ncases, rt_cr_report);

	cr_log_info("%zu response rows", rt_response_ncases);
	cr_expect_eq(failures, 0, "%zu response rows failed", failures);
}

/* A fold continues the header before it: it takes no header slot, with a
 * header array or without one (counted, not stored). */
Test(response, fold_takes_no_header_slot)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\tc\r\n\r\n";
	static const char folded[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n x\r\nY: 1\r\n\r\n";
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs);
	static struct rt_result r;
	struct guard g;

	guard_init(&g, 4096);
	for (int null_array = 0; null_array < 2; null_array++) {
		rt_set_limits(1, NULL, null_array);
		for (size_t v = 0; v < nv; v++) {
			const char *buf =
				rt_parse_once(vs[v], RT_RESPONSE, 0, in, sizeof in - 1, &g, 0, &r);

			cr_expect_eq(r.ret, (int64_t)sizeof in - 1, "[%s] null %d: %s", vs[v]->name,
				     null_array, rp_error_name((rp_error)r.m.error));
			cr_expect_eq(r.m.nheaders, 1u, "[%s] null %d", vs[v]->name, null_array);
			cr_expect(r.m.flags & RP_F_OBS_FOLD, "[%s] null %d", vs[v]->name,
				  null_array);
			if (!null_array)
				cr_expect(r.h[0].value.len == 9 && memcmp(buf + r.h[0].value.off,
									  "a\r\n b\r\n\tc", 9) == 0,
					  "[%s] value (%u,%u)", vs[v]->name, r.h[0].value.off,
					  r.h[0].value.len);
			/* A folded field read by the parser still counts once, and the
			 * one after it finds no slot. */
			rt_parse_once(vs[v], RT_RESPONSE, 0, folded, sizeof folded - 1, &g, 0, &r);
			cr_expect(r.ret == RP_ERROR && r.m.error == RP_E_TOO_MANY_HEADERS,
				  "[%s] null %d: %lld %s", vs[v]->name, null_array,
				  (long long)r.ret, rp_error_name((rp_error)r.m.error));
		}
	}
	rt_set_limits(RP_DEFAULT_MAX_HEADERS, NULL, 0);
	guard_free(&g);
}
