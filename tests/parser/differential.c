/*
 * Differential test: every supported variant must answer exactly as the
 * scalar reference does, on
 *   - every unit-table input and every prefix of it,
 *   - the benchmark corpus (bench/corpus/, else ../shared/corpus/), each
 *     pipelined message separately, every prefix of each,
 *   - generated requests, responses and chunked bodies (gen.c),
 *   - random byte mutations of all of the above,
 * each placed against a guard page.  It also demands that incremental
 * parsing (random split points, the buffer moving between calls) ends where
 * a one-shot parse does.
 *
 * The generated messages and the tables run again with small limits (and
 * once with a NULL header array), so every bound is crossed everywhere.
 *
 * Deterministic: the seed is printed; RB_DIFF_SEED=N repeats a run and
 * RB_DIFF_COUNT=N changes how many messages of each kind are generated.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "chunk_run.h"
#include "gen.h"

#define CAP (256u * 1024u)
#define MAX_REPORTS 25

static const rp_variant *vs[RT_MAX_VARIANTS];
static size_t nv;
static struct guard ga, gb;
static struct rt_rng rng;
static size_t n_inputs, n_failures;
static size_t n_outcome[3]; /* complete, incomplete, error: how varied the inputs are */
static struct rt_result ref, got, inc;

static void report(const char *kind, const char *in, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(const char *kind, const char *in, size_t len, const char *fmt, ...)
{
	char why[RT_WHY], esc[700];
	va_list ap;

	if (n_failures++ >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rt_escape(esc, sizeof(esc), in, len, 300);
	cr_expect_fail("[%s] %s | %zu bytes \"%s\"", kind, why, len, esc);
}

static const char *kind_name(enum rt_kind k)
{
	return k == RT_REQUEST ? "request" : "response";
}

/* End state of an incremental parse vs one-shot: everything when complete,
 * the error and its offset when not. */
static int same_end(const struct rt_result *a, const struct rt_result *b, char *why, size_t n)
{
	if (a->ret == RP_ERROR && b->ret == RP_ERROR) {
		if (a->m.error == b->m.error && a->m.error_offset == b->m.error_offset)
			return 0;
		snprintf(why, n, "error %s@%u vs %s@%u", rp_error_name(a->m.error),
			 a->m.error_offset, rp_error_name(b->m.error), b->m.error_offset);
		return 1;
	}
	return rt_result_diff(a, b, why, n);
}

/* One input (a prefix, maybe) on every variant against scalar. */
static void compare_once(enum rt_kind k, unsigned rflags, const char *in, size_t len, int at_head)
{
	char why[RT_WHY];

	rt_parse_once(rt_scalar(), k, rflags, in, len, &ga, at_head, &ref);
	if (rt_result_sane(&ref, len, why, sizeof(why)))
		report(kind_name(k), in, len, "scalar result not sane: %s", why);
	for (size_t v = 0; v < nv; v++) {
		if (vs[v] == rt_scalar())
			continue;
		rt_parse_once(vs[v], k, rflags, in, len, &ga, at_head, &got);
		if (rt_result_diff(&ref, &got, why, sizeof(why)))
			report(kind_name(k), in, len, "scalar vs %s%s: %s", vs[v]->name,
			       at_head ? " (at head)" : "", why);
	}
}

static void compare_split(enum rt_kind k, unsigned rflags, const char *in, size_t len)
{
	size_t cuts[6], ncuts = 0, at = 0;
	char why[RT_WHY];

	if (len < 2)
		return;
	while (ncuts < 6) {
		at += 1 + rt_below(&rng, len / 3 + 1);
		if (at >= len)
			break;
		cuts[ncuts++] = at;
	}
	rt_parse_once(rt_scalar(), k, rflags, in, len, &ga, 0, &ref);
	for (size_t v = 0; v < nv; v++) {
		rt_parse_split(vs[v], k, rflags, in, len, cuts, ncuts, &ga, &gb, &inc);
		if (same_end(&ref, &inc, why, sizeof(why)))
			report(kind_name(k), in, len, "%s split at %zu (%zu cuts) vs one-shot: %s",
			       vs[v]->name, ncuts ? cuts[0] : 0, ncuts, why);
	}
}

static void check_message(enum rt_kind k, unsigned rflags, const char *in, size_t len,
			  int all_prefixes)
{
	n_inputs++;
	compare_once(k, rflags, in, len, 0);
	n_outcome[ref.ret > 0 ? 0 : ref.ret == RP_INCOMPLETE ? 1 : 2]++;
	compare_once(k, rflags, in, len, 1);
	compare_split(k, rflags, in, len);
	if (all_prefixes) {
		for (size_t p = 0; p < len; p++)
			compare_once(k, rflags, in, p, 0);
	} else {
		for (int i = 0; i < 3 && len; i++)
			compare_once(k, rflags, in, rt_below(&rng, len), 0);
	}
}

static void check_chunked(const char *in, size_t len)
{
	struct rt_chunk_run one, split, other;
	size_t first = rt_below(&rng, len + 1), step = 1 + rt_below(&rng, 64);
	char why[RT_WHY];

	n_inputs++;
	rt_chunk_run(rt_scalar(), in, len, SIZE_MAX, SIZE_MAX, &ga, &one);
	rt_chunk_run(rt_scalar(), in, len, first, step, &ga, &split);
	if (rt_chunk_diff(&one, &split, 0, why, sizeof(why)))
		report("chunked", in, len, "scalar split (%zu then +%zu) vs one-shot: %s", first,
		       step, why);
	for (size_t v = 0; v < nv; v++) {
		if (vs[v] == rt_scalar())
			continue;
		rt_chunk_run(vs[v], in, len, SIZE_MAX, SIZE_MAX, &ga, &other);
		if (rt_chunk_diff(&one, &other, 1, why, sizeof(why)))
			report("chunked", in, len, "scalar vs %s one-shot: %s", vs[v]->name, why);
		rt_chunk_run_free(&other);
		rt_chunk_run(vs[v], in, len, first, step, &ga, &other);
		if (rt_chunk_diff(&split, &other, 1, why, sizeof(why)))
			report("chunked", in, len, "scalar vs %s split (%zu then +%zu): %s",
			       vs[v]->name, first, step, why);
		rt_chunk_run_free(&other);
	}
	rt_chunk_run_free(&one);
	rt_chunk_run_free(&split);
}

static void check_mutations(int kind, unsigned rflags, const char *in, size_t len, int n)
{
	static char buf[CAP];

	for (int i = 0; i < n; i++) {
		size_t m = len < CAP ? len : CAP;

		memcpy(buf, in, m);
		m = rt_mutate(&rng, buf, m, CAP);
		if (kind < 0)
			check_chunked(buf, m);
		else
			check_message((enum rt_kind)kind, rflags, buf, m, 0);
	}
}

/* ---- sources ----------------------------------------------------------- */

static void tables(void)
{
	for (size_t i = 0; i < rt_request_ncases; i++) {
		const struct rt_case *c = &rt_request_cases[i];

		check_message(RT_REQUEST, 0, c->in, c->len, 1);
		check_mutations(RT_REQUEST, 0, c->in, c->len, 8);
	}
	for (size_t i = 0; i < rt_response_ncases; i++) {
		const struct rt_case *c = &rt_response_cases[i];

		check_message(RT_RESPONSE, c->rflags, c->in, c->len, 1);
		check_message(RT_RESPONSE, c->rflags ^ RP_RESPONSE_TO_HEAD, c->in, c->len, 0);
		check_mutations(RT_RESPONSE, c->rflags, c->in, c->len, 8);
	}
	for (size_t i = 0; i < rt_chunk_ncases; i++) {
		const struct rt_chunk_case *c = &rt_chunk_cases[i];

		check_chunked(c->in, c->len);
		check_mutations(-1, 0, c->in, c->len, 8);
	}
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(CAP);
	*len = fread(buf, 1, CAP, f);
	fclose(f);
	return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static const char *corpus_dir(void)
{
	static char path[4096];
	const char *env = getenv("RB_CORPUS_DIR");
	DIR *d;

	if (env && *env)
		return env;
	snprintf(path, sizeof(path), "%s/bench/corpus", RB_SOURCE_DIR);
	if ((d = opendir(path)) != NULL) {
		closedir(d);
		return path;
	}
	snprintf(path, sizeof(path), "%s/../shared/corpus", RB_SOURCE_DIR);
	return path;
}

/* Each message of a corpus file (they may be pipelined) and the whole file. */
static size_t corpus(void)
{
	const char *dir = corpus_dir();
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);
	size_t files = 0;

	if (n < 0) {
		fprintf(stderr, "differential: no corpus at %s\n", dir);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t nl = strlen(name), len = 0, pos = 0;
		char path[4096], *buf;

		if (nl < 6 || strcmp(name + nl - 5, ".http") != 0)
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!(buf = read_file(path, &len)))
			goto next;
		files++;
		check_message(RT_REQUEST, 0, buf, len, 0);
		check_mutations(RT_REQUEST, 0, buf, len, 40);
		while (pos < len) {
			uint64_t end;

			rt_parse_once(rt_scalar(), RT_REQUEST, 0, buf + pos, len - pos, &ga, 0,
				      &ref);
			if (ref.ret <= 0)
				break;
			end = (uint64_t)ref.ret;
			if (ref.m.framing == RP_BODY_LENGTH)
				end += ref.m.content_length;
			if (end > len - pos)
				end = len - pos;
			check_message(RT_REQUEST, 0, buf + pos, (size_t)end, 1);
			check_mutations(RT_REQUEST, 0, buf + pos, (size_t)end, 40);
			pos += (size_t)end;
		}
		free(buf);
next:
		free(names[i]);
	}
	free(names);
	return files;
}

static void generated(size_t count)
{
	static char buf[CAP];

	for (size_t i = 0; i < count; i++) {
		size_t len = rt_gen_request(&rng, buf, CAP);

		check_message(RT_REQUEST, 0, buf, len, 0);
		check_mutations(RT_REQUEST, 0, buf, len, 2);
	}
	for (size_t i = 0; i < count; i++) {
		unsigned rflags = rt_chance(&rng, 10) ? RP_RESPONSE_TO_HEAD : 0;
		size_t len = rt_gen_response(&rng, buf, CAP);

		check_message(RT_RESPONSE, rflags, buf, len, 0);
		check_mutations(RT_RESPONSE, rflags, buf, len, 2);
	}
	for (size_t i = 0; i < count; i++) {
		size_t len = rt_gen_chunked(&rng, buf, CAP);

		check_chunked(buf, len);
		check_mutations(-1, 0, buf, len, 2);
	}
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

Test(differential, variants_agree, .timeout = 600)
{
	uint64_t seed = env_u64("RB_DIFF_SEED", 0x5eedf00dcafe2024ull);
	size_t count = (size_t)env_u64("RB_DIFF_COUNT", 5000), files;

	rng.s = seed ? seed : 1;
	nv = rt_variants(vs);
	guard_init(&ga, CAP);
	guard_init(&gb, CAP);
	fprintf(stderr,
		"differential: seed 0x%llx (RB_DIFF_SEED), %zu generated per kind "
		"(RB_DIFF_COUNT), variants:",
		(unsigned long long)seed, count);
	for (size_t v = 0; v < nv; v++)
		fprintf(stderr, " %s", vs[v]->name);
	fprintf(stderr, "\n");

	tables();
	files = corpus();
	generated(count);

	/* Small limits, so the bounds are crossed at every kind of place. */
	{
		rp_limits tight = {.max_header_bytes = 256, .max_target = 24};
		rp_limits mid = {.max_header_bytes = 1024, .max_target = 64};

		rt_set_limits(4, &tight, 0);
		tables();
		generated(count / 4);
		rt_set_limits(RP_DEFAULT_MAX_HEADERS, &mid, 1); /* NULL header array */
		generated(count / 4);
		rt_set_limits(RP_DEFAULT_MAX_HEADERS, NULL, 0);
	}

	fprintf(stderr,
		"differential: %zu inputs (%zu corpus files; messages %zu complete, %zu incomplete, "
		"%zu errors), %zu mismatches\n",
		n_inputs, files, n_outcome[0], n_outcome[1], n_outcome[2], n_failures);
	cr_expect_gt(files, 0, "no corpus file found in %s", corpus_dir());
	cr_expect_eq(n_failures, 0, "%zu mismatches (first %d shown); seed 0x%llx", n_failures,
		     MAX_REPORTS, (unsigned long long)seed);
	guard_free(&ga);
	guard_free(&gb);
}
