/*
 * Shared test plumbing: the variants this CPU runs, one-shot and incremental
 * parses against a guard page, field-by-field comparison of two results, and
 * printable renderings of inputs for failure messages.  No Criterion here:
 * every helper reports through its return value and a `why` buffer, so the
 * unit suites, the differential test and the fuzz target can share it.
 */
#ifndef RB_TEST_HARNESS_H
#define RB_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "guard.h"
#include "ringparse.h"

#define RT_MAX_VARIANTS 8
#define RT_WHY 512 /* size of a `why` buffer */

enum rt_kind {
	RT_REQUEST,
	RT_RESPONSE
};

/* Supported variants, in rp_variants_all() order; aborts if "scalar" is
 * missing or unsupported (it is the reference). */
size_t rt_variants(const rp_variant **out);
const rp_variant *rt_scalar(void);

/* The header slots and limits every following parse starts with (default:
 * RP_DEFAULT_MAX_HEADERS slots, limits NULL).  max_headers is capped at
 * RP_DEFAULT_MAX_HEADERS, the size of rt_result.h; headers_null parses with
 * a NULL header array (counted, not stored). */
void rt_set_limits(uint32_t max_headers, const rp_limits *limits, int headers_null);

/* One parse, its message and its own header array. */
struct rt_result {
	int64_t ret;
	rp_message m;
	rp_header h[RP_DEFAULT_MAX_HEADERS];
};

/* Parse buf[0..len) one-shot with variant v (default limits, 128 headers).
 * The input is copied to g first: against the trailing guard page, or the
 * leading one when at_head is set.  Returns where the copy was parsed. */
const char *rt_parse_once(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
			  size_t len, struct guard *g, int at_head, struct rt_result *r);

/* Parse incrementally: present the prefixes in[0..cuts[0]), in[0..cuts[1]),
 * ... then in[0..len), alternating between guards a and b so the buffer
 * moves between calls; stop at the first answer other than RP_INCOMPLETE.
 * cuts must be increasing and < len. */
void rt_parse_split(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
		    size_t len, const size_t *cuts, size_t ncuts, struct guard *a, struct guard *b,
		    struct rt_result *r);

/* The same, one byte more at a time. */
void rt_parse_bytewise(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
		       size_t len, struct guard *a, struct guard *b, struct rt_result *r);

/* 0 when equal: return value, every public field of rp_message (not the
 * private resume state) and every stored header span.  Otherwise 1 and
 * `why` names the first difference. */
int rt_result_diff(const struct rt_result *a, const struct rt_result *b, char *why, size_t n);

/* 0 when the result is self-consistent for an input of len bytes:
 * consumed <= len, spans inside the consumed bytes, counts within bounds,
 * error set exactly when RP_ERROR was returned. */
int rt_result_sane(const struct rt_result *r, size_t len, char *why, size_t n);

/* Render up to max bytes of s for a message: printable ASCII as is, the
 * rest as \r \n \t \xHH.  Returns dst. */
char *rt_escape(char *dst, size_t dstlen, const char *s, size_t len, size_t max);

/* Short human description of a result: "ret=45" or "error=bare_lf@17". */
char *rt_describe(char *dst, size_t dstlen, const struct rt_result *r);

#endif
