/*
 * --source: the local addresses connections are made from.
 *
 * A set is a list of ranges, each a first address and a count, so a /8 is
 * one entry and costs nothing until an address is asked for.  Connection
 * number g (across every thread) uses address g % count: consecutive
 * connections are spread over the addresses, so each address carries
 * connections / count of them against the one destination.
 */
#ifndef LG_SOURCE_H
#define LG_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LG_SOURCE_RANGES 64 /* comma-separated items in one --source */

typedef struct lg_source_range {
	uint8_t first[16]; /* network byte order; IPv4 in the first 4 bytes */
	uint64_t count;
} lg_source_range;

typedef struct lg_sources {
	int family; /* AF_INET or AF_INET6; 0: no --source */
	uint32_t nranges;
	lg_source_range ranges[LG_SOURCE_RANGES];
	uint64_t count; /* addresses in all */
} lg_sources;

/* Parse a comma list of items, each an address (10.0.0.1, ::1), a range
 * (127.0.0.2-127.0.0.200) or a CIDR block (127.0.1.0/24, fd00::/120).  A
 * block leaves out its network and broadcast addresses for IPv4 prefixes
 * shorter than /31, its subnet-router anycast address (the first) for IPv6
 * prefixes shorter than /127.  Ranges and blocks are capped at 2^40
 * addresses, more than a run can use.  Every item must be of one family.  Returns 0, or -1 with
 * the item and the rule it broke in err. */
int lg_sources_parse(lg_sources *s, const char *spec, char *err, size_t errlen);

/* Address k (k < s->count) with port 0. */
void lg_sources_addr(const lg_sources *s, uint64_t k, struct sockaddr_storage *out, socklen_t *len);

/* Address k as text ("127.0.0.2", "fd00::5"). */
void lg_sources_text(const lg_sources *s, uint64_t k, char *buf, size_t len);

#endif
