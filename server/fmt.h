/* Number formatting for response headers: snprintf follows the locale and
 * costs far more than these, and hot paths use no printf. */
#ifndef SRV_FMT_H
#define SRV_FMT_H

#include <stdint.h>
#include <string.h>

/* Write v in decimal at p; returns the end. */
static inline char *srv_put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Write v in lower-case hexadecimal, without leading zeros, at p. */
static inline char *srv_put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Copy the NUL-terminated s at p; returns the end. */
static inline char *srv_put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

#endif
