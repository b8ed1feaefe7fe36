/*
 * AVX2 kernels: 32 bytes at a time, then one 16-byte step, then scalar for
 * the last < 16 bytes.  Same contract as the scalar ks_scan_* kernels.  The AVX-512BW
 * variant reuses the 32-byte line kernel (RP_KERNELS_WIDEST) and brings its
 * own tails and long scans.
 */
#ifndef RP_KERNELS_AVX2_H
#define RP_KERNELS_AVX2_H

#define RP_KERNELS_WIDER
#include "kernels_sse42.h"

/* A class's nibble tables with both 128-bit lanes filled at compile time:
 * one aligned load each, no broadcast. */
typedef struct k32_class {
	_Alignas(32) uint8_t lo[32];
	_Alignas(32) uint8_t hi[32];
} k32_class;

#define K32_CLASS(IS, high)                                                                        \
	{                                                                                          \
		{RP_NIB_ROWS(IS), RP_NIB_ROWS(IS)},                                                \
		{                                                                                  \
			RP_NIB_HI_ROWS(high), RP_NIB_HI_ROWS(high)                                 \
		}                                                                                  \
	}
static const k32_class k32_tchar = K32_CLASS(RP_IS_TCHAR, 0);
static const k32_class k32_target = K32_CLASS(RP_IS_TARGET, 0);
static const k32_class k32_fvalue = K32_CLASS(RP_IS_FVALUE, 4);
static const k32_class k32_regname = K32_CLASS(RP_IS_REGNAME, 0);
static const _Alignas(32) uint8_t k32_nib[32] = {15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
						 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
						 15, 15, 15, 15, 15, 15, 15, 15, 15, 15};

/* No state: the constants are read where they are used. */
typedef struct k_ctx {
	char unused;
} k_ctx;

static inline void k_ctx_init(k_ctx *kc)
{
	(void)kc;
}

static inline __m256i k32_const(const uint8_t *p)
{
	return _mm256_load_si256((const __m256i *)p);
}

static inline k16_class k32_half(const k32_class *c)
{
	return (k16_class){_mm_load_si128((const __m128i *)c->lo),
			   _mm_load_si128((const __m128i *)c->hi)};
}

/* Nibble indices of v, computed once for every class looked up. */
typedef struct k32_index {
	__m256i lo, hi;
} k32_index;

/* One load: left to itself the compiler rebuilds this from an immediate
 * with three instructions in every field line. */
static inline __m256i k32_nibble_mask(void)
{
	__m256i nib;
	__asm__("vmovdqa %1, %0" : "=x"(nib) : "m"(*(const __m256i *)k32_nib));
	return nib;
}

static inline k32_index k32_index_of(const k_ctx *kc, __m256i v)
{
	(void)kc;
	__m256i nib = k32_nibble_mask();
	return (k32_index){_mm256_and_si256(v, nib),
			   _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)};
}

static inline uint32_t k32_outside(k32_index ix, const k32_class *c)
{
	__m256i in = _mm256_and_si256(_mm256_shuffle_epi8(k32_const(c->lo), ix.lo),
				      _mm256_shuffle_epi8(k32_const(c->hi), ix.hi));
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(in, _mm256_setzero_si256()));
}

static inline const char *k32_scan(const k_ctx *kc, const char *p, const char *end,
				   const k32_class *c,
				   const char *(*tail)(const char *, const char *))
{
	while (end - p >= 32) {
		uint32_t out =
			k32_outside(k32_index_of(kc, _mm256_loadu_si256((const __m256i *)p)), c);
		if (out)
			return p + __builtin_ctz(out);
		p += 32;
	}
	if (end - p >= 16) {
		unsigned out = k16_outside(_mm_loadu_si128((const __m128i *)p), k32_half(c));
		if (out)
			return p + __builtin_ctz(out);
		p += 16;
	}
	return tail(p, end);
}

#ifndef RP_KERNELS_WIDEST
static inline const char *k_scan_tchar(const k_ctx *kc, const char *p, const char *end)
{
	return k32_scan(kc, p, end, &k32_tchar, ks_scan_tchar);
}

static inline const char *k_scan_target(const k_ctx *kc, const char *p, const char *end)
{
	return k32_scan(kc, p, end, &k32_target, ks_scan_target);
}

static inline const char *k_scan_fvalue(const k_ctx *kc, const char *p, const char *end)
{
	return k32_scan(kc, p, end, &k32_fvalue, ks_scan_fvalue);
}

static inline const char *k_scan_regname(const k_ctx *kc, const char *p, const char *end)
{
	return k32_scan(kc, p, end, &k32_regname, ks_scan_regname);
}

#else
/* The AVX-512BW variant (RP_KERNELS_WIDEST) defines these itself, with masked tails. */
static inline const char *k_scan_tchar(const k_ctx *kc, const char *p, const char *end);
static inline const char *k_scan_fvalue(const k_ctx *kc, const char *p, const char *end);
#endif

/* Name and value ends from one look at 32 bytes (the bits of ix, already
 * shifted so bit 0 is p; stop marks end when it is in view). */
static inline void k32_field(const k_ctx *kc, const char *p, const char *end, uint32_t nt,
			     uint32_t nv, const char **name_end, const char **value_end)
{
	if (!nt) {
		const char *q = k_scan_tchar(kc, p + 32, end);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k_scan_fvalue(kc, q + 1, end) : NULL;
		return;
	}
	unsigned ni = (unsigned)__builtin_ctz(nt);
	*name_end = p + ni;
	if (p + ni == end || p[ni] != ':') {
		*value_end = NULL;
		return;
	}
	nv &= (uint32_t)(~1ull << ni);
	*value_end = nv ? p + __builtin_ctz(nv) : k_scan_fvalue(kc, p + 32, end);
}

/* The field-line window both wide variants keep across lines (see
 * k_scan_field below and the AVX-512BW variant's). */
typedef struct k_win {
	const char *base; /* start of the classified window, or NULL */
	uint64_t t, v;    /* bytes outside tchar / outside the field-value class */
} k_win;

static inline void k_win_init(k_win *w)
{
	w->base = NULL;
	w->t = w->v = 0;
}

#ifndef RP_KERNELS_WIDEST
/* Most field lines fit in 32 bytes: one load, the nibble indices computed
 * once, both classes looked up.  Near the end of the message the load is
 * the 32 bytes that end at end (the message starts before them), shifted. */
static inline void k32_scan_line(const k_ctx *kc, const char *p, const char *begin, const char *end,
				 const char **name_end, const char **value_end)
{
	if (__builtin_expect(end - p >= 32, 1)) {
		k32_index ix = k32_index_of(kc, _mm256_loadu_si256((const __m256i *)p));
		k32_field(kc, p, end, k32_outside(ix, &k32_tchar), k32_outside(ix, &k32_fvalue),
			  name_end, value_end);
		return;
	}
	if (end - begin < 32 || p == end) {
		rp_scan_field_seq(p, end, name_end, value_end, ks_scan_tchar, ks_scan_fvalue);
		return;
	}
	const char *base = end - 32;
	unsigned shift = (unsigned)(p - base);
	uint32_t stop = 1u << (32 - shift); /* the bit of end, seen from p */
	k32_index ix = k32_index_of(kc, _mm256_loadu_si256((const __m256i *)base));
	k32_field(kc, p, end, (k32_outside(ix, &k32_tchar) >> shift) | stop,
		  (k32_outside(ix, &k32_fvalue) >> shift) | stop, name_end, value_end);
}

/* Field lines are read through a 64-byte window (two loads) anchored at a
 * line start and kept across lines: the next line's ends come from shifting
 * the window's masks, not from loads that would wait for this line's end.
 * Near the end of the message the window is the last 64 bytes, shifted. */
/* Classify the window at p; 0 when the message is too short for one. */
static inline int k_win_load(k_win *w, const k_ctx *kc, const char *p, const char *begin,
			     const char *end)
{
	const char *src = p;
	unsigned shift = 0;
	uint64_t past = 0;
	if (end - p < 64) {
		if (end - begin < 64 || p == end)
			return 0;
		src = end - 64;
		shift = (unsigned)(p - src);
		past = ~0ull << (64 - shift); /* the bits of end and beyond */
	}
	k32_index lo = k32_index_of(kc, _mm256_loadu_si256((const __m256i *)src));
	k32_index hi = k32_index_of(kc, _mm256_loadu_si256((const __m256i *)(src + 32)));
	uint64_t t = k32_outside(lo, &k32_tchar) | (uint64_t)k32_outside(hi, &k32_tchar) << 32;
	uint64_t v = k32_outside(lo, &k32_fvalue) | (uint64_t)k32_outside(hi, &k32_fvalue) << 32;
	w->base = p;
	w->t = (t >> shift) | past;
	w->v = (v >> shift) | past;
	return 1;
}

/* No early window here: its two loads and four lookups cost more than the
 * wait they save (measured; the AVX-512BW variant, one load, preloads). */
static inline void k_win_preload(k_win *w, const k_ctx *kc, const char *at, const char *begin,
				 const char *end)
{
	(void)w;
	(void)kc;
	(void)at;
	(void)begin;
	(void)end;
}

static inline void k_scan_field(k_win *w, const k_ctx *kc, const char *p, const char *begin,
				const char *end, const char **name_end, const char **value_end)
{
	size_t off = (size_t)(p - w->base);
	/* A new window when under 16 bytes of this one are left (or there is
	 * none yet), unless this one already reaches the end of the message. */
	if (off >= 64 || (off > 48 && end - w->base > 64)) {
		if (!k_win_load(w, kc, p, begin, end)) {
			k32_scan_line(kc, p, begin, end, name_end, value_end);
			return;
		}
		off = 0;
	}
	uint64_t t = w->t >> off;
	if (!t) { /* the name runs past the window, which was full */
		const char *q = k_scan_tchar(kc, w->base + 64, end);
		*name_end = q;
		*value_end = q < end && *q == ':' ? k_scan_fvalue(kc, q + 1, end) : NULL;
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
	*value_end = v ? p + __builtin_ctzll(v) : k_scan_fvalue(kc, w->base + 64, end);
}
#endif

#endif
