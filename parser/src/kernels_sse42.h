/*
 * SSE4.2-level kernels (x86-64-v2): 16 bytes at a time with the pshufb
 * nibble lookup (see charset.h), scalar for the last < 16 bytes.
 * Same contract as kernels_scalar.h.
 */
#ifndef RP_KERNELS_SSE42_H
#define RP_KERNELS_SSE42_H

#include <immintrin.h>

#include "kernels_scalar.h"

/* Mask of the bytes of v outside the class. */
static inline unsigned k16_outside(__m128i v, const rp_nibbles *t)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i lo = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t->lo), _mm_and_si128(v, nib));
	__m128i hi = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t->hi),
				      _mm_and_si128(_mm_srli_epi16(v, 4), nib));
	__m128i in = _mm_and_si128(lo, hi);
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(in, _mm_setzero_si128()));
}

/* The SIMD loop answers whenever it finds the byte; only a tail shorter
 * than a vector goes to the scalar kernel (tail). */
static inline const char *k16_scan(const char *p, const char *end, const rp_nibbles *t,
				   const char *(*tail)(const char *, const char *))
{
	while (end - p >= 16) {
		unsigned out = k16_outside(_mm_loadu_si128((const __m128i *)p), t);
		if (out)
			return p + __builtin_ctz(out);
		p += 16;
	}
	return tail(p, end);
}

#ifndef RP_KERNELS_WIDER
static inline const char *k_scan_tchar(const char *p, const char *end)
{
	return k16_scan(p, end, &rp_nib_tchar, ks_scan_tchar);
}

static inline const char *k_scan_target(const char *p, const char *end)
{
	return k16_scan(p, end, &rp_nib_target, ks_scan_target);
}

static inline const char *k_scan_fvalue(const char *p, const char *end)
{
	return k16_scan(p, end, &rp_nib_fvalue, ks_scan_fvalue);
}

static inline void k_scan_field(const char *p, const char *begin, const char *end,
				const char **name_end, const char **value_end)
{
	(void)begin;
	rp_scan_field_seq(p, end, name_end, value_end, k_scan_tchar, k_scan_fvalue);
}
#endif

#endif
