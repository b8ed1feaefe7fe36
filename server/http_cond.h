/*
 * Conditional requests (RFC 9110 section 13): entity-tag lists, the
 * precondition evaluation order of 13.2.2, and If-Range.  Reads header
 * values from a parsed request (ringparse's header array); no I/O.
 *
 * Policy (docs/server.md, "Static files"): a malformed entity-tag list
 * matches nothing (If-Match then fails with 412, If-None-Match is not met);
 * a date field that is not one valid HTTP-date, or appears on more than one
 * line, is ignored (13.1.3, 13.1.4); an If-Modified-Since later than now is
 * ignored; If-Range is false unless it is exactly one strong entity-tag
 * equal to ours, or a date equal to Last-Modified where Last-Modified is
 * strong (at least a second before now, 8.8.2.2).
 */
#ifndef SRV_HTTP_COND_H
#define SRV_HTTP_COND_H

#include "ringparse.h"

#include <stddef.h>
#include <time.h>

/* The validators of the selected representation. */
typedef struct srv_validators {
	const char *etag; /* a strong entity-tag, quotes included */
	size_t etag_len;
	time_t last_modified; /* seconds since the epoch */
} srv_validators;

/* Does list[0, len) ("*" or 1#entity-tag) match etag?  strong: the strong
 * comparison (If-Match), else the weak one (If-None-Match).  Returns 1 or
 * 0, or -1 when the list is malformed. */
int srv_etag_list_match(const char *list, size_t len, const char *etag, size_t etag_len,
			int strong);

/* RFC 9110 13.2.2 steps 1-4 for the parsed request m (buf: its first byte)
 * on a representation that exists: 0 to go on, 304 or 412. */
int srv_cond_evaluate(const rp_message *m, const char *buf, const srv_validators *v, time_t now);

/* Step 5's If-Range: 1 when a Range may be applied (no If-Range, or it
 * holds), 0 when the whole representation must be sent. */
int srv_if_range_holds(const rp_message *m, const char *buf, const srv_validators *v, time_t now);

#endif
