/*
 * Choosing a variant: once, from the CPU's features, unless the caller or
 * the RINGPARSE_VARIANT environment variable names one.  Compiled without
 * any instruction-set flags, so it runs on every x86-64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int has_scalar(void)
{
	return 1;
}

static int has_sse42(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
}

static int has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	       __builtin_cpu_supports("bmi2");
}

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

static const rp_variant *current;

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
	current = v;
	return 0;
}

static const rp_variant *fastest(void)
{
	for (size_t i = 0; i < NVARIANTS; i++)
		if (variants[i].supported())
			return &variants[i];
	return &variants[NVARIANTS - 1];
}

const rp_variant *rp_variant_current(void)
{
	if (!current) {
		const char *env = getenv("RINGPARSE_VARIANT");
		if (env && *env && rp_variant_select(env) != 0)
			fprintf(stderr,
				"ringparse: RINGPARSE_VARIANT=%s is unknown or unsupported "
				"on this CPU; using %s\n",
				env, fastest()->name);
		if (!current)
			current = fastest();
	}
	return current;
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
