/*
 * AVX-512BW kernels: 64 bytes at a time; the last < 64 bytes go through a
 * masked load, which does not touch (or fault on) the bytes it masks off, so
 * there is no scalar tail.  Same contract as kernels_scalar.h.
 */
#ifndef RP_KERNELS_AVX512BW_H
#define RP_KERNELS_AVX512BW_H

#include <immintrin.h>

#include "charset.h"

static inline uint64_t k64_outside(__m512i v, __m512i lo_t, __m512i hi_t, __mmask64 valid)
{
	const __m512i nib = _mm512_set1_epi8(0x0f);
	__m512i lo = _mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, nib));
	__m512i hi = _mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
	return _mm512_mask_testn_epi8_mask(valid, lo, hi);
}

static inline const char *k64_scan(const char *p, const char *end, const rp_nibbles *t)
{
	const __m512i lo_t = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t->lo));
	const __m512i hi_t = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t->hi));

	while (end - p >= 64) {
		uint64_t out = k64_outside(_mm512_loadu_si512(p), lo_t, hi_t, ~(__mmask64)0);
		if (out)
			return p + __builtin_ctzll(out);
		p += 64;
	}
	if (p < end) {
		__mmask64 valid = _bzhi_u64(~0ull, (unsigned)(end - p));
		uint64_t out = k64_outside(_mm512_maskz_loadu_epi8(valid, p), lo_t, hi_t, valid);
		return out ? p + __builtin_ctzll(out) : end;
	}
	return p;
}

static inline const char *k_scan_tchar(const char *p, const char *end)
{
	return k64_scan(p, end, &rp_nib_tchar);
}

static inline const char *k_scan_target(const char *p, const char *end)
{
	return k64_scan(p, end, &rp_nib_target);
}

static inline const char *k_scan_fvalue(const char *p, const char *end)
{
	return k64_scan(p, end, &rp_nib_fvalue);
}

/* One (masked) 64-byte load covers most field lines: name and value ends
 * come from the same nibble indices.  Lanes past end load as 0, which is in
 * no class, so the first of them reads as "end". */
static inline void k_scan_field(const char *p, const char *end, const char **name_end,
				const char **value_end)
{
	const __m512i nib = _mm512_set1_epi8(0x0f);
	size_t n = (size_t)(end - p);
	__mmask64 valid = n >= 64 ? ~(__mmask64)0 : _bzhi_u64(~0ull, (unsigned)n);
	__m512i v = _mm512_maskz_loadu_epi8(valid, p);
	__m512i lo = _mm512_and_si512(v, nib);
	__m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
#define K64_OUT(t)                                                                                 \
	_mm512_testn_epi8_mask(                                                                    \
		_mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(t).lo)), \
				    lo),                                                           \
		_mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(t).hi)), \
				    hi))
	uint64_t nt = K64_OUT(rp_nib_tchar);
	if (!nt) {
		const char *q = k64_scan(p + 64, end, &rp_nib_tchar);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k64_scan(q + 1, end, &rp_nib_fvalue) : NULL;
		return;
	}
	unsigned ni = (unsigned)__builtin_ctzll(nt);
	*name_end = p + ni;
	if (ni >= n || p[ni] != ':') {
		*value_end = NULL;
		return;
	}
	uint64_t nv = K64_OUT(rp_nib_fvalue) & (~1ull << ni);
#undef K64_OUT
	*value_end = nv ? p + __builtin_ctzll(nv) : k64_scan(p + 64, end, &rp_nib_fvalue);
}

#endif
