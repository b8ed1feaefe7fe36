/*
 * AVX2 kernels: 32 bytes at a time, then one 16-byte step, then scalar for
 * the last < 16 bytes.  Same contract as kernels_scalar.h.
 */
#ifndef RP_KERNELS_AVX2_H
#define RP_KERNELS_AVX2_H

#define RP_KERNELS_WIDER
#include "kernels_sse42.h"

static inline const char *k32_scan(const char *p, const char *end, const rp_nibbles *t,
				   const char *(*tail)(const char *, const char *))
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	const __m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t->lo));
	const __m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t->hi));

	while (end - p >= 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)p);
		__m256i lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib));
		__m256i hi = _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
		__m256i in = _mm256_and_si256(lo, hi);
		unsigned out = (unsigned)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(in, _mm256_setzero_si256()));
		if (out)
			return p + __builtin_ctz(out);
		p += 32;
	}
	if (end - p >= 16) {
		unsigned out = k16_outside(_mm_loadu_si128((const __m128i *)p), t);
		if (out)
			return p + __builtin_ctz(out);
		p += 16;
	}
	return tail(p, end);
}

#ifndef RP_KERNELS_WIDEST
static inline const char *k_scan_tchar(const char *p, const char *end)
{
	return k32_scan(p, end, &rp_nib_tchar, ks_scan_tchar);
}

static inline const char *k_scan_target(const char *p, const char *end)
{
	return k32_scan(p, end, &rp_nib_target, ks_scan_target);
}

static inline const char *k_scan_fvalue(const char *p, const char *end)
{
	return k32_scan(p, end, &rp_nib_fvalue, ks_scan_fvalue);
}

/* Most field lines fit in 32 bytes: one load, the nibble indices computed
 * once, both classes looked up.  Near the end of the message the load is
 * the 32 bytes that end at end (the message starts before them), shifted. */
static inline void k_scan_field(const char *p, const char *begin, const char *end,
				const char **name_end, const char **value_end)
{
	unsigned shift = 0, stop = 0;
	const char *base = p;
	if (end - p < 32) {
		if (end - begin < 32) {
			rp_scan_field_seq(p, end, name_end, value_end, k_scan_tchar,
					  k_scan_fvalue);
			return;
		}
		base = end - 32;
		shift = (unsigned)(p - base);
		stop = 1u << (32 - shift); /* the bit of end, seen from p */
	}
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i v = _mm256_loadu_si256((const __m256i *)base);
	__m256i lo = _mm256_and_si256(v, nib);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
#define K32_OUT(t)                                                                                 \
	((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(                                         \
		 _mm256_and_si256(                                                                 \
			 _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(                          \
						     _mm_loadu_si128((const __m128i *)(t).lo)),    \
					     lo),                                                  \
			 _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(                          \
						     _mm_loadu_si128((const __m128i *)(t).hi)),    \
					     hi)),                                                 \
		 _mm256_setzero_si256())) >>                                                       \
	 shift)
	uint32_t nt = K32_OUT(rp_nib_tchar) | stop;
	if (!nt) {
		rp_scan_field_seq(p + 32, end, name_end, value_end, k_scan_tchar, k_scan_fvalue);
		return;
	}
	unsigned ni = (unsigned)__builtin_ctz(nt);
	*name_end = p + ni;
	if (p + ni == end || p[ni] != ':') {
		*value_end = NULL;
		return;
	}
	uint32_t nv = (K32_OUT(rp_nib_fvalue) | stop) & (uint32_t)(~1ull << ni);
#undef K32_OUT
	*value_end = nv ? p + __builtin_ctz(nv) : k_scan_fvalue(p + 32, end);
}
#endif

#endif
