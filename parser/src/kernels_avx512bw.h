/*
 * AVX-512BW kernels: the AVX2 line kernel where 32 bytes are there (plain
 * loads and movemask are the fastest way to look at one short line, and
 * 512-bit operations are double-pumped on some cores), masked loads instead
 * of scalar tails (a masked load does not touch, or fault on, the bytes it
 * masks off; they read as 0, a byte in no class), and 64 bytes a step for
 * long runs.  Same contract as the scalar ks_scan_* kernels.
 */
#ifndef RP_KERNELS_AVX512BW_H
#define RP_KERNELS_AVX512BW_H

#define RP_KERNELS_WIDEST
#include "kernels_avx2.h"

static inline __m512i k64_class_lo(const k32_class *c)
{
	return _mm512_broadcast_i64x4(k32_const(c->lo));
}

static inline __m512i k64_class_hi(const k32_class *c)
{
	return _mm512_broadcast_i64x4(k32_const(c->hi));
}

/* Bytes of v outside class c; lanes masked off read as 0 and count as out. */
static inline uint64_t k64_outside(__m512i v, const k32_class *c)
{
	const __m512i nib = _mm512_broadcast_i64x4(k32_nibble_mask());
	__m512i lo = _mm512_shuffle_epi8(k64_class_lo(c), _mm512_and_si512(v, nib));
	__m512i hi = _mm512_shuffle_epi8(k64_class_hi(c),
					 _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
	return _mm512_testn_epi8_mask(lo, hi);
}

static inline const char *k64_scan(const char *p, const char *end, const k32_class *c)
{
	while (end - p >= 64) {
		uint64_t out = k64_outside(_mm512_loadu_si512(p), c);
		if (out)
			return p + __builtin_ctzll(out);
		p += 64;
	}
	if (p == end)
		return p;
	__m512i v = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)(end - p)), p);
	return p + __builtin_ctzll(k64_outside(v, c)); /* lanes past end are out */
}

/* The first 32 bytes as the AVX2 kernel looks at them, the rest 64 a step. */
static inline const char *k512_scan(const k_ctx *kc, const char *p, const char *end,
				    const k32_class *c)
{
	if (end - p >= 32) {
		uint32_t out =
			k32_outside(k32_index_of(kc, _mm256_loadu_si256((const __m256i *)p)), c);
		if (out)
			return p + __builtin_ctz(out);
		p += 32;
	}
	return k64_scan(p, end, c);
}

static inline const char *k_scan_tchar(const k_ctx *kc, const char *p, const char *end)
{
	return k512_scan(kc, p, end, &k32_tchar);
}

static inline const char *k_scan_target(const k_ctx *kc, const char *p, const char *end)
{
	return k512_scan(kc, p, end, &k32_target);
}

static inline const char *k_scan_fvalue(const k_ctx *kc, const char *p, const char *end)
{
	return k512_scan(kc, p, end, &k32_fvalue);
}

static inline const char *k_scan_regname(const k_ctx *kc, const char *p, const char *end)
{
	return k512_scan(kc, p, end, &k32_regname);
}

/* Field lines are read through a 64-byte window anchored at a line start
 * and kept across lines: the next line's ends come from shifting the
 * window's masks, not from a new load that would have to wait for this
 * line's end.  Lanes past end load as 0, a byte in no class. */
static inline void k_win_load(k_win *w, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	__m512i v = n >= 64 ? _mm512_loadu_si512(p)
			    : _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)n), p);
	w->base = p;
	w->t = k64_outside(v, &k32_tchar);
	w->v = k64_outside(v, &k32_fvalue);
}

/* Classify a window at a guessed first-line start before the request line
 * is parsed: the load does not wait for it, and the field lines use it when
 * they start inside it. */
static inline void k_win_preload(k_win *w, const k_ctx *kc, const char *at, const char *begin,
				 const char *end)
{
	(void)kc;
	(void)begin;
	if (at < end)
		k_win_load(w, at, end);
}

static inline void k_scan_field(k_win *w, const k_ctx *kc, const char *p, const char *begin,
				const char *end, const char **name_end, const char **value_end)
{
	(void)kc;
	(void)begin;
	size_t off = (size_t)(p - w->base);
	/* A new window when under 16 bytes of this one are left (or there is
	 * none yet), unless this one already reaches the end of the message. */
	if (off >= 64 || (off > 48 && end - w->base > 64)) {
		k_win_load(w, p, end);
		off = 0;
	}
	uint64_t t = w->t >> off;
	if (!t) { /* the name runs past the window, which was full */
		const char *q = k64_scan(w->base + 64, end, &k32_tchar);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k64_scan(q + 1, end, &k32_fvalue) : NULL;
		return;
	}
	unsigned ni = (unsigned)__builtin_ctzll(t);
	const char *q = p + ni;
	*name_end = q;
	if (q >= end || *q != ':') {
		*value_end = NULL;
		return;
	}
	uint64_t v = (w->v >> off) & (~1ull << ni);
	*value_end = v ? p + __builtin_ctzll(v) : k64_scan(w->base + 64, end, &k32_fvalue);
}

#endif
