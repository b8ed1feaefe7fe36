/*
 * Character classes of HTTP/1.1, each defined once as a predicate macro.
 * Both the byte table used by scalar code and the nibble tables used by the
 * SIMD kernels are expanded from these macros at compile time, so a class
 * cannot mean one thing to one variant and another thing to another.
 */
#ifndef RP_CHARSET_H
#define RP_CHARSET_H

#include <stdint.h>

#define RP_IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))
#define RP_ALPHA(c) (RP_IN(c, 'a', 'z') || RP_IN(c, 'A', 'Z'))
#define RP_DIGIT(c) RP_IN(c, '0', '9')

/* RFC 9110 5.6.2: tchar */
#define RP_IS_TCHAR(c)                                                                             \
	(RP_ALPHA(c) || RP_DIGIT(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' ||     \
	 (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||      \
	 (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')

/* RFC 9110 5.5: field-vchar, SP and HTAB (the bytes a field value may hold,
 * obs-text included).  Also the reason-phrase set (RFC 9112 4). */
#define RP_IS_FVALUE(c) ((c) == '\t' || RP_IN(c, 0x20, 0x7e) || RP_IN(c, 0x80, 0xff))

/* RFC 3986 characters a request-target holds without further checks:
 * unreserved, sub-delims, ":" "@" "/" "?".  '%' is not here: the grammar
 * checks the two hex digits that must follow it. */
#define RP_IS_TARGET(c)                                                                            \
	(RP_ALPHA(c) || RP_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ||     \
	 (c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||      \
	 (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=' || (c) == ':' ||       \
	 (c) == '@' || (c) == '/' || (c) == '?')

/* RFC 9110 7.2 / RFC 3986 3.2.2: what a Host value (uri-host [":" port])
 * may be made of: reg-name, IPv4, IP-literal in brackets, pct-encoded. */
#define RP_IS_HOST(c)                                                                              \
	(RP_ALPHA(c) || RP_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ||     \
	 (c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||      \
	 (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=' || (c) == ':' ||       \
	 (c) == '[' || (c) == ']' || (c) == '%')

/* reg-name / IPv4address characters: RP_IS_HOST without ':' '[' ']' '%'. */
#define RP_IS_REGNAME(c) (RP_IS_HOST(c) && (c) != ':' && (c) != '[' && (c) != ']' && (c) != '%')

#define RP_IS_HEX(c) (RP_DIGIT(c) || RP_IN(c, 'a', 'f') || RP_IN(c, 'A', 'F'))

enum {
	RP_C_TCHAR = 1 << 0,
	RP_C_FVALUE = 1 << 1,
	RP_C_TARGET = 1 << 2,
	RP_C_HOST = 1 << 3,
	RP_C_REGNAME = 1 << 4,
};

#define RP_CLASS_BITS(c)                                                                           \
	((RP_IS_TCHAR(c) ? RP_C_TCHAR : 0) | (RP_IS_FVALUE(c) ? RP_C_FVALUE : 0) |                 \
	 (RP_IS_TARGET(c) ? RP_C_TARGET : 0) | (RP_IS_HOST(c) ? RP_C_HOST : 0) |                   \
	 (RP_IS_REGNAME(c) ? RP_C_REGNAME : 0))

#define RP_R4(M, b) M(b), M((b) + 1), M((b) + 2), M((b) + 3)
#define RP_R16(M, b) RP_R4(M, b), RP_R4(M, (b) + 4), RP_R4(M, (b) + 8), RP_R4(M, (b) + 12)
#define RP_R64(M, b) RP_R16(M, b), RP_R16(M, (b) + 16), RP_R16(M, (b) + 32), RP_R16(M, (b) + 48)

/* static: every translation unit sees the contents, so the compiler keeps
 * the tables in registers and folds them like literals. */
static const uint8_t rp_class[256] = {RP_R64(RP_CLASS_BITS, 0), RP_R64(RP_CLASS_BITS, 64),
				      RP_R64(RP_CLASS_BITS, 128), RP_R64(RP_CLASS_BITS, 192)};

static inline int rp_is(unsigned char c, unsigned cls)
{
	return (rp_class[c] & cls) != 0;
}

/*
 * Nibble tables for SIMD membership tests (the pshufb technique): byte c is
 * in the class when lo[c & 15] & hi[c >> 4] is non-zero.  lo[n] holds bit h
 * when byte (h << 4 | n) is in the class, for h < 8; hi[h] = 1 << h.  Bytes
 * >= 0x80 are either all in (obs-text in field values: hi[8..15] selects the
 * row 0x20..0x2f, which is entirely in) or all out (hi[8..15] = 0).
 */
#define RP_NIB_ROW(IS, n)                                                                          \
	((IS((n)) ? 1 : 0) | (IS(0x10 | (n)) ? 2 : 0) | (IS(0x20 | (n)) ? 4 : 0) |                 \
	 (IS(0x30 | (n)) ? 8 : 0) | (IS(0x40 | (n)) ? 16 : 0) | (IS(0x50 | (n)) ? 32 : 0) |        \
	 (IS(0x60 | (n)) ? 64 : 0) | (IS(0x70 | (n)) ? 128 : 0))
#define RP_NIB_ROWS(IS)                                                                            \
	RP_NIB_ROW(IS, 0), RP_NIB_ROW(IS, 1), RP_NIB_ROW(IS, 2), RP_NIB_ROW(IS, 3),                \
		RP_NIB_ROW(IS, 4), RP_NIB_ROW(IS, 5), RP_NIB_ROW(IS, 6), RP_NIB_ROW(IS, 7),        \
		RP_NIB_ROW(IS, 8), RP_NIB_ROW(IS, 9), RP_NIB_ROW(IS, 10), RP_NIB_ROW(IS, 11),      \
		RP_NIB_ROW(IS, 12), RP_NIB_ROW(IS, 13), RP_NIB_ROW(IS, 14), RP_NIB_ROW(IS, 15)
#define RP_NIB_HI_ROWS(high)                                                                       \
	1, 2, 4, 8, 16, 32, 64, 128, high, high, high, high, high, high, high, high
#define RP_NIB_LO(IS)                                                                              \
	{                                                                                          \
		RP_NIB_ROWS(IS)                                                                    \
	}
#define RP_NIB_HI(high)                                                                            \
	{                                                                                          \
		RP_NIB_HI_ROWS(high)                                                               \
	}

typedef struct rp_nibbles {
	uint8_t lo[16];
	uint8_t hi[16];
} rp_nibbles;

/* The nibble tables of the classes the kernels scan. */
static const rp_nibbles rp_nib_tchar = {RP_NIB_LO(RP_IS_TCHAR), RP_NIB_HI(0)};
static const rp_nibbles rp_nib_target = {RP_NIB_LO(RP_IS_TARGET), RP_NIB_HI(0)};
static const rp_nibbles rp_nib_fvalue = {RP_NIB_LO(RP_IS_FVALUE), RP_NIB_HI(4)};
static const rp_nibbles rp_nib_regname = {RP_NIB_LO(RP_IS_REGNAME), RP_NIB_HI(0)};

#endif
