/*
 * Choosing a variant (dispatch.c): each variant's support check against the
 * CPU's own cpuid bits, read here independently for every instruction-set
 * flag its file is compiled with (parser/CMakeLists.txt); and the first
 * rp_variant_current() made by many threads at once.  Criterion runs each
 * test in a fresh process, so each test's first call really is the first.
 */
#include <cpuid.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct cpu {
	int sse42, popcnt, avx2, bmi, bmi2, lzcnt, avx512f, avx512bw, avx512vl;
	int os_avx, os_avx512; /* XCR0: the OS saves the YMM / ZMM state */
};

static struct cpu read_cpu(void)
{
	struct cpu c = {0};
	unsigned a, b, cx, d, max = __get_cpuid_max(0, NULL);

	if (max >= 1) {
		__cpuid(1, a, b, cx, d);
		c.sse42 = !!(cx & (1u << 20));
		c.popcnt = !!(cx & (1u << 23));
		if ((cx & (1u << 27)) && (cx & (1u << 28))) { /* OSXSAVE, AVX */
			unsigned lo, hi;
			__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			c.os_avx = (lo & 0x6) == 0x6;
			c.os_avx512 = c.os_avx && (lo & 0xe0) == 0xe0;
		}
	}
	if (max >= 7) {
		__cpuid_count(7, 0, a, b, cx, d);
		c.bmi = !!(b & (1u << 3));
		c.avx2 = !!(b & (1u << 5));
		c.bmi2 = !!(b & (1u << 8));
		c.avx512f = !!(b & (1u << 16));
		c.avx512bw = !!(b & (1u << 30));
		c.avx512vl = !!(b & (1u << 31));
	}
	if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u) {
		__cpuid(0x80000001u, a, b, cx, d);
		c.lzcnt = !!(cx & (1u << 5));
	}
	return c;
}

Test(dispatch, support_checks_cover_every_compile_flag)
{
	struct cpu c = read_cpu();
	/* -msse4.2 -mpopcnt */
	int sse42 = c.sse42 && c.popcnt;
	/* -mavx2 -mbmi -mbmi2 -mpopcnt -mlzcnt */
	int avx2 = c.os_avx && c.avx2 && c.bmi && c.bmi2 && c.popcnt && c.lzcnt;
	/* -mavx512f -mavx512bw -mavx512vl and the avx2 flags */
	int avx512bw = avx2 && c.os_avx512 && c.avx512f && c.avx512bw && c.avx512vl;
	static const char *const names[] = {"scalar", "sse42", "avx2", "avx512bw"};
	int want[] = {1, sse42, avx2, avx512bw};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const rp_variant *v = rp_variant_by_name(names[i]);

		cr_assert_not_null(v, "no variant %s", names[i]);
		cr_expect_eq(!!v->supported(), want[i], "%s: supported() %d, cpuid says %d",
			     names[i], v->supported(), want[i]);
		cr_log_info("%s: %s", names[i], want[i] ? "runs here" : "not on this CPU");
	}
}

#define NTHREADS 8

static pthread_barrier_t start;
static const rp_variant *got[NTHREADS];

static void *first_parse(void *arg)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t i = (size_t)arg;
	rp_header h[4];
	rp_message m;

	pthread_barrier_wait(&start);
	rp_message_init(&m, h, 4, NULL);
	if (rp_parse_request(&m, in, sizeof in - 1) != (int64_t)sizeof in - 1)
		return NULL;
	got[i] = rp_variant_current();
	return NULL;
}

/* All threads parse at once, none having parsed before; all must end up on
 * the same variant, want. */
static void race(const rp_variant *want)
{
	pthread_t t[NTHREADS];

	cr_assert_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, first_parse, (void *)i), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (size_t i = 0; i < NTHREADS; i++)
		cr_expect_eq(got[i], want, "thread %zu: %s, want %s", i,
			     got[i] ? got[i]->name : "(parse failed)", want->name);
	cr_expect_eq(rp_variant_current(), want);
}

static const rp_variant *fastest(void)
{
	for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++)
		if ((*vp)->supported())
			return *vp;
	return rt_scalar();
}

Test(dispatch, first_use_from_many_threads_agrees)
{
	const char *env = getenv("RINGPARSE_VARIANT");

	race(env && *env && rp_variant_by_name(env) ? rp_variant_by_name(env) : fastest());
}

Test(dispatch, select_before_threads_start_holds)
{
	cr_assert_eq(rp_variant_select("scalar"), 0);
	race(rt_scalar());
}

/* An unusable RINGPARSE_VARIANT: every thread gets the fastest variant, and
 * the warning is printed once, not once per racing thread. */
Test(dispatch, bad_environment_warns_once)
{
	char path[] = "/tmp/rp_dispatch_XXXXXX", text[4096];
	int fd = mkstemp(path), saved = dup(2);
	size_t n = 0, warnings = 0;
	ssize_t k;

	cr_assert(fd >= 0 && saved >= 0);
	unlink(path);
	cr_assert_eq(setenv("RINGPARSE_VARIANT", "nonesuch", 1), 0);
	fflush(stderr);
	dup2(fd, 2);
	race(fastest());
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	while (n < sizeof text - 1 && (k = read(fd, text + n, sizeof text - 1 - n)) > 0)
		n += (size_t)k;
	close(fd);
	text[n] = 0;
	for (const char *p = text; (p = strstr(p, "RINGPARSE_VARIANT=nonesuch")); p++)
		warnings++;
	cr_expect_eq(warnings, 1u, "%zu warnings: \"%s\"", warnings, text);
}
