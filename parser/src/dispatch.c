/*
 * Choosing a variant: once, from the CPU's features, unless the caller or
 * the RINGPARSE_VARIANT environment variable names one.  Compiled without
 * any instruction-set flags, so it runs on every x86-64.
 *
 * Each variant's check asks the CPU for exactly the instruction-set flags
 * its variant_*.c is compiled with (parser/CMakeLists.txt): a flag there
 * lets the compiler use that instruction anywhere in the file, so a check
 * that missed one would let the variant fault on a CPU without it.
 */
#include <cpuid.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* -mlzcnt: LZCNT is CPUID 0x80000001 ECX bit 5 (AMD's ABM).  Asked of cpuid
 * itself: GCC 12 knows "lzcnt" for __builtin_cpu_supports, clang 14 (the
 * fuzzing build) refuses it. */
static int cpu_has_lzcnt(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_LZCNT);
}

static int has_scalar(void)
{
	return 1;
}

/* -msse4.2 -mpopcnt */
static int has_sse42(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
}

/* -mavx2 -mbmi -mbmi2 -mpopcnt -mlzcnt (libgcc checks that the OS saves the
 * AVX state, XCR0, before it reports avx2). */
static int has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	       __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
	       cpu_has_lzcnt();
}

/* -mavx512f -mavx512bw -mavx512vl and the avx2 variant's flags. */
static int has_avx512bw(void)
{
	/* libgcc checks XCR0 too: the OS must save the AVX-512 state. */
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") && has_avx2();
}

#define VARIANT(v, desc)                                                                           \
	{                                                                                          \
#v, desc, has_##v, rp__##v##_parse_request, rp__##v##_parse_response,              \
			rp__##v##_chunked_feed, rp__##v##_scan                                     \
	}

static const rp_variant variants[] = {
	VARIANT(avx512bw, "AVX-512BW: 64-byte class lookups, masked tail loads"),
	VARIANT(avx2, "AVX2: 32-byte class lookups"),
	VARIANT(sse42, "SSE4.2 level: 16-byte class lookups"),
	VARIANT(scalar, "portable C: byte tables and SWAR"),
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static const rp_variant *const all[NVARIANTS + 1] = {&variants[0], &variants[1], &variants[2],
						     &variants[3], NULL};

/*
 * The variant in use.  Worker threads may make the first parse at the same
 * moment, so the default is chosen once under pthread_once (the
 * RINGPARSE_VARIANT warning is printed once) and published with a
 * compare-and-swap, which leaves alone a variant rp_variant_select() stored
 * first.  Every later call is one acquire load, a plain load on x86-64.
 * The release store and acquire load only order the pointer: the variants
 * are constant data.
 */
static _Atomic(const rp_variant *) current;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static const rp_variant *default_variant; /* written once, under default_once */

const rp_variant *const *rp_variants_all(void)
{
	return all;
}

const rp_variant *rp_variant_by_name(const char *name)
{
	for (size_t i = 0; i < NVARIANTS; i++)
		if (strcmp(variants[i].name, name) == 0)
			return &variants[i];
	return NULL;
}

int rp_variant_select(const char *name)
{
	const rp_variant *v = rp_variant_by_name(name);
	if (!v || !v->supported())
		return -1;
	atomic_store_explicit(&current, v, memory_order_release);
	return 0;
}

static const rp_variant *fastest(void)
{
	for (size_t i = 0; i < NVARIANTS; i++)
		if (variants[i].supported())
			return &variants[i];
	return &variants[NVARIANTS - 1];
}

static void choose_default(void)
{
	const char *env = getenv("RINGPARSE_VARIANT");
	const rp_variant *v = NULL;
	if (env && *env) {
		v = rp_variant_by_name(env);
		if (v && !v->supported())
			v = NULL;
		if (!v)
			fprintf(stderr,
				"ringparse: RINGPARSE_VARIANT=%s is unknown or unsupported "
				"on this CPU; using %s\n",
				env, fastest()->name);
	}
	default_variant = v ? v : fastest();
}

__attribute__((cold, noinline)) static const rp_variant *first_use(void)
{
	pthread_once(&default_once, choose_default);
	const rp_variant *seen = NULL;
	if (atomic_compare_exchange_strong_explicit(&current, &seen, default_variant,
						    memory_order_acq_rel, memory_order_acquire))
		return default_variant;
	return seen; /* another thread's default, or a select's choice */
}

const rp_variant *rp_variant_current(void)
{
	const rp_variant *v = atomic_load_explicit(&current, memory_order_acquire);
	if (__builtin_expect(v != NULL, 1))
		return v;
	return first_use();
}

int64_t rp_parse_request(rp_message *m, const char *buf, size_t len)
{
	return rp_variant_current()->parse_request(m, buf, len);
}

int64_t rp_parse_response(rp_message *m, const char *buf, size_t len, unsigned flags)
{
	return rp_variant_current()->parse_response(m, buf, len, flags);
}

int64_t rp_chunked_feed(rp_chunked *c, const char *buf, size_t len, const char **data,
			size_t *data_len)
{
	return rp_variant_current()->chunked_feed(c, buf, len, data, data_len);
}
