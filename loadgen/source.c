/* --source address sets: parsing, and the k-th address. */
#include "source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More addresses than any run can use (one per connection at most). */
#define LG_SOURCE_MAX_COUNT (UINT64_C(1) << 40)

static int lg_src_fail(char *err, size_t errlen, const char *item, const char *why)
{
	snprintf(err, errlen, "--source: '%s' %s", item, why);
	return -1;
}

/* One address literal into out[16]; returns its family, or 0. */
static int lg_src_addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, out) == 1)
		return AF_INET6;
	return 0;
}

static unsigned lg_src_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* a + k over the family's bytes (big-endian); the caller keeps it in range. */
static void lg_src_add(uint8_t a[16], unsigned nbytes, uint64_t k)
{
	for (int i = (int)nbytes - 1; i >= 0 && k; i--) {
		uint64_t v = a[i] + (k & 0xff);
		a[i] = (uint8_t)v;
		k = (k >> 8) + (v >> 8);
	}
}

/* b - a + 1 when b >= a, capped at LG_SOURCE_MAX_COUNT (as a block is); else 0. */
static uint64_t lg_src_span(const uint8_t a[16], const uint8_t b[16], unsigned nbytes)
{
	if (memcmp(a, b, nbytes) > 0)
		return 0;
	/* A difference with a byte set above the low 6 is over 2^48: capped. */
	uint8_t d[16];
	int borrow = 0;
	for (int i = (int)nbytes - 1; i >= 0; i--) {
		int v = (int)b[i] - (int)a[i] - borrow;
		borrow = v < 0;
		d[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	uint64_t n = 0;
	for (unsigned i = 0; i < nbytes; i++) {
		if (nbytes - i > 6 && d[i])
			return LG_SOURCE_MAX_COUNT;
		n = (n << 8) | d[i];
	}
	return n + 1 > LG_SOURCE_MAX_COUNT ? LG_SOURCE_MAX_COUNT : n + 1;
}

static int lg_src_item(lg_sources *s, char *item, char *err, size_t errlen)
{
	if (s->nranges == LG_SOURCE_RANGES)
		return lg_src_fail(err, errlen, item, "is one item too many; allowed: 64 items");
	lg_source_range *r = &s->ranges[s->nranges];
	char *slash = strchr(item, '/'), *dash = strchr(item, '-');
	int family;
	if (slash) {
		*slash = '\0';
		family = lg_src_addr(item, r->first);
		*slash = '/';
		if (!family)
			return lg_src_fail(err, errlen, item,
					   "is not a CIDR block; allowed: ADDRESS/PREFIX such as "
					   "127.0.1.0/24 or fd00::/120");
		unsigned bits = lg_src_bytes(family) * 8;
		char *end;
		long prefix = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || prefix < 0 || prefix > (long)bits) {
			char why[96];
			snprintf(why, sizeof(why), "has a bad prefix length; allowed: 0 to %u",
				 bits);
			return lg_src_fail(err, errlen, item, why);
		}
		unsigned host_bits = bits - (unsigned)prefix;
		/* the network address: the host bits cleared */
		for (unsigned b = 0; b < bits; b++)
			if (b >= (unsigned)prefix)
				r->first[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
		r->count = host_bits >= 40 ? LG_SOURCE_MAX_COUNT : UINT64_C(1) << host_bits;
		if (family == AF_INET && host_bits >= 2) {
			lg_src_add(r->first, 4, 1); /* not the network address */
			r->count -= 2;              /* nor the broadcast address */
		} else if (family == AF_INET6 && host_bits >= 2) {
			lg_src_add(r->first, 16, 1); /* not the subnet-router anycast address */
			if (host_bits < 40)
				r->count -= 1; /* (a capped count stays the cap) */
		}
	} else if (dash) {
		*dash = '\0';
		uint8_t last[16];
		family = lg_src_addr(item, r->first);
		int f2 = lg_src_addr(dash + 1, last);
		*dash = '-';
		if (!family || f2 != family)
			return lg_src_fail(err, errlen, item,
					   "is not a range; allowed: FIRST-LAST of one family, "
					   "such as 127.0.0.2-127.0.0.200");
		r->count = lg_src_span(r->first, last, lg_src_bytes(family));
		if (!r->count)
			return lg_src_fail(err, errlen, item,
					   "is not a range: the last address must not come before "
					   "the first");
	} else {
		family = lg_src_addr(item, r->first);
		if (!family)
			return lg_src_fail(err, errlen, item,
					   "is not an address; allowed: an IPv4 or IPv6 address, a "
					   "range A-B or a CIDR block A/N");
		r->count = 1;
	}
	if (s->family && s->family != family)
		return lg_src_fail(err, errlen, item,
				   "is of another family than the first item; allowed: all IPv4 "
				   "or all IPv6");
	s->family = family;
	s->count += r->count;
	if (s->count > LG_SOURCE_MAX_COUNT)
		s->count = LG_SOURCE_MAX_COUNT;
	s->nranges++;
	return 0;
}

int lg_sources_parse(lg_sources *s, const char *spec, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	char *copy = strdup(spec);
	if (!copy) {
		snprintf(err, errlen, "--source: no memory");
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item && !rc;
	     item = strtok_r(NULL, ",", &save))
		rc = lg_src_item(s, item, err, errlen);
	free(copy);
	if (!rc && s->count == 0) {
		snprintf(err, errlen,
			 "--source: '%s' names no address; allowed: a list of addresses, ranges "
			 "A-B and CIDR blocks A/N",
			 spec);
		return -1;
	}
	return rc;
}

void lg_sources_addr(const lg_sources *s, uint64_t k, struct sockaddr_storage *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	uint8_t a[16] = {0};
	for (uint32_t i = 0; i < s->nranges; i++) {
		if (k < s->ranges[i].count) {
			memcpy(a, s->ranges[i].first, 16);
			lg_src_add(a, lg_src_bytes(s->family), k);
			break;
		}
		k -= s->ranges[i].count;
	}
	if (s->family == AF_INET) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)out;
		a4->sin_family = AF_INET;
		memcpy(&a4->sin_addr, a, 4);
		*len = sizeof(*a4);
	} else {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
		a6->sin6_family = AF_INET6;
		memcpy(&a6->sin6_addr, a, 16);
		*len = sizeof(*a6);
	}
}

void lg_sources_text(const lg_sources *s, uint64_t k, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	lg_sources_addr(s, k, &ss, &sl);
	const void *a = s->family == AF_INET
				? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (!inet_ntop(s->family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}
