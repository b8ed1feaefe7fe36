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

/* First 32 bytes with a masked 256-bit load: most methods, targets and
 * values end there, and 256-bit operations are single-pumped everywhere. */
static inline const char *k32m_scan(const char *p, const char *end, const rp_nibbles *t)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	size_t n = (size_t)(end - p);
	/* A masked load only at the tail: the plain load is cheaper. */
	__m256i v = n >= 32 ? _mm256_loadu_si256((const __m256i *)p)
			    : _mm256_maskz_loadu_epi8(_bzhi_u32(~0u, (unsigned)n), p);
	__m256i lo = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t->lo)),
					 _mm256_and_si256(v, nib));
	__m256i hi = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t->hi)),
					 _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
	uint32_t out = _mm256_testn_epi8_mask(lo, hi);
	if (out)
		return p + __builtin_ctz(out); /* lanes past end are 0: out of class */
	return k64_scan(p + 32, end, t);
}

static inline const char *k_scan_tchar(const char *p, const char *end)
{
	return k32m_scan(p, end, &rp_nib_tchar);
}

static inline const char *k_scan_target(const char *p, const char *end)
{
	return k32m_scan(p, end, &rp_nib_target);
}

static inline const char *k_scan_fvalue(const char *p, const char *end)
{
	return k32m_scan(p, end, &rp_nib_fvalue);
}

/* One masked 32-byte load covers most field lines: name and value ends
 * come from the same nibble indices; long ones continue 64 bytes a step. */
static inline void k_scan_field(const char *p, const char *begin, const char *end,
				const char **name_end, const char **value_end)
{
	(void)begin;
	const __m256i nib = _mm256_set1_epi8(0x0f);
	size_t n = (size_t)(end - p);
	__m256i v = n >= 32 ? _mm256_loadu_si256((const __m256i *)p)
			    : _mm256_maskz_loadu_epi8(_bzhi_u32(~0u, (unsigned)n), p);
	__m256i lo = _mm256_and_si256(v, nib);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
#define K32_OUT(t)                                                                                 \
	_mm256_testn_epi8_mask(                                                                    \
		_mm256_shuffle_epi8(                                                               \
			_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(t).lo)), lo), \
		_mm256_shuffle_epi8(                                                               \
			_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(t).hi)), hi))
	uint32_t nt = K32_OUT(rp_nib_tchar);
	if (!nt) {
		const char *q = k64_scan(p + 32, end, &rp_nib_tchar);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k64_scan(q + 1, end, &rp_nib_fvalue) : NULL;
		return;
	}
	unsigned ni = (unsigned)__builtin_ctz(nt);
	*name_end = p + ni;
	if (ni >= n || p[ni] != ':') {
		*value_end = NULL;
		return;
	}
	uint32_t nv = K32_OUT(rp_nib_fvalue) & (uint32_t)(~1ull << ni);
#undef K32_OUT
	*value_end = nv ? p + __builtin_ctz(nv) : k64_scan(p + 32, end, &rp_nib_fvalue);
}

#endif
