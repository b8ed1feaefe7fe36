/*
 * Scalar scanning kernels.  Contract shared by every variant: return the
 * first byte in [p, end) that is not in the class, or end; never read at or
 * past end.  No SIMD instructions: tables, and SWAR for field values.
 */
#ifndef RP_KERNELS_SCALAR_H
#define RP_KERNELS_SCALAR_H

#include <stdint.h>
#include <string.h>

#include "charset.h"

#define RP_ONES 0x0101010101010101ull
#define RP_HIGHS 0x8080808080808080ull

/* A byte loop over the class table, four bytes a trip.  It beats
 * gathering eight lookups into a word and taking its lowest clear bit: the
 * gather is one long dependency chain per step, while the CPU runs ahead of
 * this loop on predicted branches (scalar browser 191 -> 140 ns). */
static inline const char *ks_scan_table(const char *p, const char *end, unsigned cls)
{
	const unsigned char *u = (const unsigned char *)p;
	const unsigned char *e = (const unsigned char *)end;
	while (e - u >= 4) {
		if (!(rp_class[u[0]] & cls))
			return (const char *)u;
		if (!(rp_class[u[1]] & cls))
			return (const char *)u + 1;
		if (!(rp_class[u[2]] & cls))
			return (const char *)u + 2;
		if (!(rp_class[u[3]] & cls))
			return (const char *)u + 3;
		u += 4;
	}
	while (u < e && (rp_class[*u] & cls))
		u++;
	return (const char *)u;
}

static inline const char *ks_scan_tchar(const char *p, const char *end)
{
	return ks_scan_table(p, end, RP_C_TCHAR);
}

static inline const char *ks_scan_target(const char *p, const char *end)
{
	return ks_scan_table(p, end, RP_C_TARGET);
}

/* The first bytes of a run that is usually short, by the byte loop: the
 * SIMD kernels take over only for a longer run (see ks_scan_table). */
static inline const char *ks_scan_head(const char *p, const char *end, unsigned cls,
				       const char **stop)
{
	const char *lim = end - p > 16 ? p + 16 : end;
	const char *q = ks_scan_table(p, lim, cls);
	*stop = lim;
	return q;
}

static inline const char *ks_scan_regname(const char *p, const char *end)
{
	return ks_scan_table(p, end, RP_C_REGNAME);
}

/* x with the top bit of every byte that field values refuse (below 0x20,
 * or 0x7f), and of HTAB, cleared, and every other bit set: all ones when
 * the word holds none.  Exact per byte, no carries between bytes:
 * (x & 0x7f) + 1 maps 0x7f to 0x80 and the controls to 1..0x20; masking
 * with 0x7f sends 0x80 to 0; adding 0x5f lifts everything >= 0x21 to the top
 * bit; bytes >= 0x80 (obs-text) are allowed, so x's own top bit sets it.
 * Testing against all ones, rather than the refused bytes against zero,
 * saves an instruction a word. */
static inline uint64_t ks_value_ok(uint64_t x)
{
	uint64_t c = (((x & 0x7f * RP_ONES) + RP_ONES) & 0x7f * RP_ONES) + 0x5f * RP_ONES;
	return c | x | 0x7f * RP_ONES;
}

/* Field values: while 32 bytes remain, four words a trip, each tested on
 * its own and none bounds-checked (most values end in the first two or
 * three words, and scanning on to a 32-byte boundary before looking for
 * the word that ended it cost 40 instructions a line); then words, then
 * bytes.  HTAB shows as special and is stepped over here: it is rare in
 * real values. */
__attribute__((returns_nonnull)) static inline const char *ks_scan_fvalue(const char *p,
									  const char *end)
{
	uint64_t a, f;
	for (;;) {
		while (end - p >= 32) {
			memcpy(&a, p, 8);
			if ((f = ks_value_ok(a)) != ~0ull)
				goto found;
			memcpy(&a, p + 8, 8);
			if ((f = ks_value_ok(a)) != ~0ull) {
				p += 8;
				goto found;
			}
			memcpy(&a, p + 16, 8);
			if ((f = ks_value_ok(a)) != ~0ull) {
				p += 16;
				goto found;
			}
			memcpy(&a, p + 24, 8);
			if ((f = ks_value_ok(a)) != ~0ull) {
				p += 24;
				goto found;
			}
			p += 32;
		}
		for (;;) {
			if (end - p < 8)
				goto tail;
			memcpy(&a, p, 8);
			if ((f = ks_value_ok(a)) != ~0ull)
				break;
			p += 8;
		}
found:;
		const char *q = p + (__builtin_ctzll(~f) >> 3);
		if (*q != '\t')
			return q;
		p = q + 1;
	}
tail:
	while (p < end && rp_is((unsigned char)*p, RP_C_FVALUE))
		p++;
	return p;
}

/*
 * Field-line locator, the contract every variant's k_scan_field keeps
 * (begin <= p <= end; begin is the start of the message, so bytes from
 * begin on may be read):
 * *name_end = the first byte in [p, end) outside tchar, or end;
 * *value_end = when *name_end is ':', the first byte after it outside the
 * field-value class, or end; otherwise NULL (not looked for).
 * It only finds positions: the grammar judges what it finds.
 */
static inline void rp_scan_field_seq(const char *p, const char *end, const char **name_end,
				     const char **value_end,
				     const char *(*tchar)(const char *, const char *),
				     const char *(*fvalue)(const char *, const char *))
{
	const char *q = tchar(p, end);
	*name_end = q;
	*value_end = q < end && *q == ':' ? fvalue(q + 1, end) : NULL;
}

#endif
