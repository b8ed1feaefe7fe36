/*
 * SSE4.2-level kernels (x86-64-v2): 16 bytes at a time with the pshufb
 * nibble lookup (see RP_NIB_ROW), scalar for the last < 16 bytes.
 * Same contract as the scalar ks_scan_* kernels.
 */
#ifndef RP_KERNELS_SSE42_H
#define RP_KERNELS_SSE42_H

#include <immintrin.h>

#include "kernels_scalar.h"

/* A class's nibble tables, loaded once per parse (see k_ctx). */
typedef struct k16_class {
	__m128i lo, hi;
} k16_class;

static inline k16_class k16_load(const rp_nibbles *t)
{
	return (k16_class){_mm_loadu_si128((const __m128i *)t->lo),
			   _mm_loadu_si128((const __m128i *)t->hi)};
}

/* Mask of the bytes of v outside the class. */
static inline unsigned k16_outside(__m128i v, k16_class c)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i lo = _mm_shuffle_epi8(c.lo, _mm_and_si128(v, nib));
	__m128i hi = _mm_shuffle_epi8(c.hi, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
	return (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()));
}

/* The SIMD loop answers whenever it finds the byte; only a tail shorter
 * than a vector goes to the scalar kernel (tail). */
static inline const char *k16_scan(const char *p, const char *end, k16_class c,
				   const char *(*tail)(const char *, const char *))
{
	while (end - p >= 16) {
		unsigned out = k16_outside(_mm_loadu_si128((const __m128i *)p), c);
		if (out)
			return p + __builtin_ctz(out);
		p += 16;
	}
	return tail(p, end);
}

#ifndef RP_KERNELS_WIDER
/* Constants a parse keeps in registers from start to end. */
typedef struct k_ctx {
	k16_class tchar, target, fvalue, regname;
} k_ctx;

static inline void k_ctx_init(k_ctx *kc)
{
	kc->tchar = k16_load(&rp_nib_tchar);
	kc->target = k16_load(&rp_nib_target);
	kc->fvalue = k16_load(&rp_nib_fvalue);
	kc->regname = k16_load(&rp_nib_regname);
}

/* Header names are short: the byte loop (see ks_scan_table). */
static inline const char *k_scan_tchar(const k_ctx *kc, const char *p, const char *end)
{
	(void)kc;
	return ks_scan_tchar(p, end);
}

/* Targets: the byte loop for the first 16 bytes, 16-byte steps after. */
static inline const char *k_scan_target(const k_ctx *kc, const char *p, const char *end)
{
	const char *stop, *q = ks_scan_head(p, end, RP_C_TARGET, &stop);
	return q < stop ? q : k16_scan(q, end, kc->target, ks_scan_target);
}

static inline const char *k_scan_fvalue(const k_ctx *kc, const char *p, const char *end)
{
	return k16_scan(p, end, kc->fvalue, ks_scan_fvalue);
}

static inline const char *k_scan_regname(const k_ctx *kc, const char *p, const char *end)
{
	return k16_scan(p, end, kc->regname, ks_scan_regname);
}

#include "kernels_nowindow.h"
#endif

#endif
