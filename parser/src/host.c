/*
 * uri-host [ ":" port ] (RFC 3986 3.2.2, RFC 9110 7.2): the syntax of a Host
 * value and of a request-target's authority.  Compiled once; the field loop
 * calls it only for values that are not one plain run of reg-name bytes.
 */
#include <string.h>

#include "charset.h"
#include "internal.h"
#include "kernels_scalar.h"

/* dec-octet "." dec-octet "." dec-octet "." dec-octet (RFC 3986 3.2.2). */
static int valid_ipv4(const char *p, const char *end)
{
	for (int part = 0; part < 4; part++) {
		if (part && (p == end || *p++ != '.'))
			return 0;
		const char *d = p;
		unsigned v = 0;
		while (p < end && RP_DIGIT(*p) && p - d < 3)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == d || v > 255 || (p - d > 1 && *d == '0'))
			return 0;
	}
	return p == end;
}

/* IPv6address (RFC 3986 3.2.2): eight groups of 1-4 hex digits, one "::"
 * standing for one or more zero groups, the last two groups possibly an
 * IPv4 address (so exactly six groups before it, or at most five and a
 * "::"; an IPv4 address alone is not an IPv6 literal). */
static int valid_ipv6(const char *p, const char *end)
{
	int groups = 0, compressed = 0;
	if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
		compressed = 1;
		p += 2;
		if (p == end)
			return 1;
	}
	for (;;) {
		const char *g = p;
		while (p < end && RP_IS_HEX(*p) && p - g < 5)
			p++;
		if (p < end && *p == '.') /* a trailing IPv4 address */
			return (compressed ? groups <= 5 : groups == 6) && valid_ipv4(g, end);
		if (p == g || p - g > 4)
			return 0;
		groups++;
		if (p == end)
			break;
		if (*p++ != ':' || p == end)
			return 0;
		if (*p == ':') {
			if (compressed)
				return 0;
			compressed = 1;
			if (++p == end)
				break;
		}
	}
	return compressed ? groups <= 7 : groups == 8;
}

/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static int valid_ipvfuture(const char *p, const char *end)
{
	if (p == end || (*p | 0x20) != 'v')
		return 0;
	const char *h = ++p;
	while (p < end && RP_IS_HEX(*p))
		p++;
	if (p == h || p == end || *p++ != '.' || p == end)
		return 0;
	for (; p < end; p++)
		if (!rp_is((unsigned char)*p, RP_C_REGNAME) || *p == '%')
			if (*p != ':')
				return 0;
	return 1;
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2): a reg-name
 * or IPv4 address (with pct-encoding), or an IP-literal in brackets, then an
 * optional port.  run is where the leading reg-name bytes end.  The same
 * rule for a Host value and for a request-target's authority
 * (rp__target_form), whose scan lets '[' and ']' through for this. */
int rp__valid_host(const char *v, uint32_t n, const char *run)
{
	const char *end = v + n;
	if (!run)
		run = ks_scan_regname(v, end);
	const char *p = run < end ? run : end; /* the scan ran on to the CR */
	if (p == v && p < end && *p == '[') {
		const char *close = memchr(v, ']', n);
		if (!close || !(valid_ipv6(v + 1, close) || valid_ipvfuture(v + 1, close)))
			return 0;
		p = close + 1;
	} else {
		while (p < end && *p == '%') {
			if (end - p < 3 || !RP_IS_HEX(p[1]) || !RP_IS_HEX(p[2]))
				return 0;
			p = ks_scan_regname(p + 3, end);
		}
	}
	if (p == end)
		return 1;
	if (*p != ':')
		return 0;
	for (p++; p < end; p++)
		if (!RP_DIGIT(*p))
			return 0;
	return 1;
}
