/*
 * The Range header field's value (RFC 9110 section 14.1-14.2), against a
 * representation of a known size.  Pure: no I/O; the http_sem suite's
 * range_table is its table.
 *
 * Policy (docs/server.md, "Static files"): only the "bytes" unit; more than
 * SRV_RANGE_SPECS_MAX range-specs is taken for abuse and the field is
 * ignored (a 200 costs no more than a plain GET); satisfiable ranges are
 * sorted and coalesced when they overlap or lie closer than SRV_RANGE_GAP
 * bytes (RFC 9110 15.3.7.2 allows both, whatever the order asked), so a
 * response never carries a byte twice nor more parts than the file has
 * separate runs.
 */
#ifndef SRV_HTTP_RANGE_H
#define SRV_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define SRV_RANGE_SPECS_MAX 16
/* About what the headers of one more multipart part cost: ranges closer
 * than this are sent as one. */
#define SRV_RANGE_GAP 80

typedef struct srv_range {
	uint64_t first, last; /* inclusive byte positions */
} srv_range;

typedef enum srv_range_result {
	SRV_RANGE_IGNORE = 0,    /* serve the whole representation (200) */
	SRV_RANGE_OK,            /* 206 with out[0, *n) */
	SRV_RANGE_UNSATISFIABLE, /* 416, the size in Content-Range */
} srv_range_result;

/* Parse v[0, len) (the field value, without surrounding whitespace) for a
 * representation of size bytes.  out holds SRV_RANGE_SPECS_MAX entries.
 * Unknown unit or too many range-specs: IGNORE; so is a satisfiable set
 * on an empty representation (only a suffix-range like "-5" satisfies one,
 * RFC 9110 14.1.1, and a 206 cannot express zero bytes: 200 instead, as
 * 14.2 lets a server ignore Range).  Invalid syntax with the
 * bytes unit, or no satisfiable range: UNSATISFIABLE (RFC 9110 14.2: "invalid
 * or unsatisfiable" gets 416). */
srv_range_result srv_range_parse(const char *v, size_t len, uint64_t size, srv_range *out,
				 unsigned *n);

#endif
