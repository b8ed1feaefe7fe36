#include "table.h"

#include <stdint.h>
#include <stdio.h>

#include "chunk_run.h"

#define GUARD_CAP (256u * 1024u)

static void line(rt_report_fn report, const char *variant, const char *mode, const char *what,
		 const char *in, size_t len, const char *why)
{
	char esc[400], msg[1024];

	rt_escape(esc, sizeof(esc), in, len, 160);
	snprintf(msg, sizeof(msg), "[%s%s%s] %s: %s | input \"%s\"", variant, *mode ? " " : "",
		 mode, what, why, esc);
	report(msg);
}

size_t rt_run_table(const struct rt_case *cases, size_t n, rt_report_fn report)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs), failures = 0;
	struct guard g;
	static struct rt_result r;
	char why[RT_WHY];

	guard_init(&g, GUARD_CAP);
	for (size_t i = 0; i < n; i++) {
		const struct rt_case *c = &cases[i];

		for (size_t v = 0; v < nv; v++) {
			for (int at_head = 0; at_head < 2; at_head++) {
				const char *buf = rt_parse_once(vs[v], c->kind, c->rflags, c->in,
								c->len, &g, at_head, &r);

				if (rt_result_sane(&r, c->len, why, sizeof(why)) ||
				    rt_case_check(c, &r, buf, why, sizeof(why))) {
					line(report, vs[v]->name, at_head ? "head" : "", c->what,
					     c->in, c->len, why);
					failures++;
					break;
				}
			}
		}
	}
	guard_free(&g);
	return failures;
}

size_t rt_run_chunk_table(const struct rt_chunk_case *cases, size_t n, rt_report_fn report)
{
	const rp_variant *vs[RT_MAX_VARIANTS];
	size_t nv = rt_variants(vs), failures = 0;
	struct guard g;
	struct rt_chunk_run once, other;
	char why[RT_WHY], mode[48];

	guard_init(&g, GUARD_CAP);
	for (size_t i = 0; i < n; i++) {
		const struct rt_chunk_case *c = &cases[i];

		for (size_t v = 0; v < nv; v++) {
			rt_chunk_run(vs[v], c->in, c->len, SIZE_MAX, SIZE_MAX, &g, &once);
			if (rt_chunk_check(c, &once, why, sizeof(why))) {
				line(report, vs[v]->name, "one-shot", c->what, c->in, c->len, why);
				failures++;
				rt_chunk_run_free(&once);
				continue;
			}
			/* k = len + 1 stands for one byte at a time. */
			for (size_t k = 0; k <= c->len + 1; k++) {
				if (k <= c->len) {
					rt_chunk_run(vs[v], c->in, c->len, k, SIZE_MAX, &g, &other);
					snprintf(mode, sizeof(mode), "split at %zu", k);
				} else {
					rt_chunk_run(vs[v], c->in, c->len, 0, 1, &g, &other);
					snprintf(mode, sizeof(mode), "byte by byte");
				}
				if (rt_chunk_check(c, &other, why, sizeof(why)) ||
				    rt_chunk_diff(&once, &other, 0, why, sizeof(why))) {
					line(report, vs[v]->name, mode, c->what, c->in, c->len,
					     why);
					failures++;
					rt_chunk_run_free(&other);
					break;
				}
				rt_chunk_run_free(&other);
			}
			rt_chunk_run_free(&once);
		}
	}
	guard_free(&g);
	return failures;
}
