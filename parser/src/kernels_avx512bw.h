/*
 * AVX-512BW kernels.  A field line is looked at through one 32-byte load
 * (256-bit operations are single-pumped on every AVX-512 core, and most
 * lines are short); longer runs go 64 bytes a step.  Loads near the end are
 * masked: a masked load does not touch (or fault on) the bytes it masks
 * off, and they read as 0, a byte in no class, so there is no scalar tail.
 * Same contract as kernels_scalar.h.
 */
#ifndef RP_KERNELS_AVX512BW_H
#define RP_KERNELS_AVX512BW_H

#include <immintrin.h>

#include "kernels_scalar.h"

typedef struct k64_class {
	__m512i lo, hi;
} k64_class;

static inline k64_class k64_load(const rp_nibbles *t)
{
	return (k64_class){_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t->lo)),
			   _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t->hi))};
}

/* Constants a parse keeps in registers from start to end. */
typedef struct k_ctx {
	k64_class tchar, target, fvalue, regname;
	__m512i nib;
} k_ctx;

static inline void k_ctx_init(k_ctx *kc)
{
	kc->tchar = k64_load(&rp_nib_tchar);
	kc->target = k64_load(&rp_nib_target);
	kc->fvalue = k64_load(&rp_nib_fvalue);
	kc->regname = k64_load(&rp_nib_regname);
	kc->nib = _mm512_set1_epi8(0x0f);
	/* Opaque to the optimiser, so it keeps them in registers instead of
	 * rebuilding them from immediates in every field line. */
	__asm__(""
		: "+v"(kc->tchar.lo), "+v"(kc->tchar.hi), "+v"(kc->fvalue.lo), "+v"(kc->fvalue.hi),
		  "+v"(kc->nib));
}

static inline uint64_t k64_outside(const k_ctx *kc, __m512i v, k64_class c)
{
	__m512i lo = _mm512_shuffle_epi8(c.lo, _mm512_and_si512(v, kc->nib));
	__m512i hi = _mm512_shuffle_epi8(c.hi, _mm512_and_si512(_mm512_srli_epi16(v, 4), kc->nib));
	return _mm512_testn_epi8_mask(lo, hi);
}

static inline const char *k64_scan(const k_ctx *kc, const char *p, const char *end, k64_class c)
{
	while (end - p >= 64) {
		uint64_t out = k64_outside(kc, _mm512_loadu_si512(p), c);
		if (out)
			return p + __builtin_ctzll(out);
		p += 64;
	}
	if (p < end) {
		__m512i v = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)(end - p)), p);
		uint64_t out = k64_outside(kc, v, c); /* lanes past end are out */
		return p + __builtin_ctzll(out);
	}
	return p;
}

/* The 32 bytes at p (masked at the tail), and their nibble indices. */
typedef struct k32_index {
	__m256i lo, hi;
} k32_index;

static inline k32_index k32_index_at(const k_ctx *kc, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	__m256i v = n >= 32 ? _mm256_loadu_si256((const __m256i *)p)
			    : _mm256_maskz_loadu_epi8(_bzhi_u32(~0u, (unsigned)n), p);
	__m256i nib = _mm512_castsi512_si256(kc->nib);
	return (k32_index){_mm256_and_si256(v, nib),
			   _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)};
}

static inline uint32_t k32_outside(k32_index ix, k64_class c)
{
	return _mm256_testn_epi8_mask(_mm256_shuffle_epi8(_mm512_castsi512_si256(c.lo), ix.lo),
				      _mm256_shuffle_epi8(_mm512_castsi512_si256(c.hi), ix.hi));
}

static inline const char *k32m_scan(const k_ctx *kc, const char *p, const char *end, k64_class c)
{
	uint32_t out = k32_outside(k32_index_at(kc, p, end), c);
	if (out)
		return p + __builtin_ctz(out); /* lanes past end are out */
	return k64_scan(kc, p + 32, end, c);
}

static inline const char *k_scan_tchar(const k_ctx *kc, const char *p, const char *end)
{
	return k32m_scan(kc, p, end, kc->tchar);
}

static inline const char *k_scan_target(const k_ctx *kc, const char *p, const char *end)
{
	return k32m_scan(kc, p, end, kc->target);
}

static inline const char *k_scan_fvalue(const k_ctx *kc, const char *p, const char *end)
{
	return k32m_scan(kc, p, end, kc->fvalue);
}

static inline const char *k_scan_regname(const k_ctx *kc, const char *p, const char *end)
{
	return k32m_scan(kc, p, end, kc->regname);
}

/* Name and value ends of a field line from one 32-byte look. */
static inline void k_scan_field(const k_ctx *kc, const char *p, const char *begin, const char *end,
				const char **name_end, const char **value_end)
{
	(void)begin;
	k32_index ix = k32_index_at(kc, p, end);
	uint32_t nt = k32_outside(ix, kc->tchar);
	if (!nt) {
		const char *q = k64_scan(kc, p + 32, end, kc->tchar);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k64_scan(kc, q + 1, end, kc->fvalue) : NULL;
		return;
	}
	unsigned ni = (unsigned)__builtin_ctz(nt);
	*name_end = p + ni;
	if (p + ni >= end || p[ni] != ':') {
		*value_end = NULL;
		return;
	}
	uint32_t nv = k32_outside(ix, kc->fvalue) & (uint32_t)(~1ull << ni);
	*value_end = nv ? p + __builtin_ctz(nv) : k64_scan(kc, p + 32, end, kc->fvalue);
}

#endif
