/*
 * The request bytes, built once per worker before the run.
 *
 * The mix (the URLs, each repeated by its weight, interleaved) is a cycle of
 * L requests.  The buffer holds the cycle followed by its first `pipeline`
 * requests again, so any run of up to `pipeline` consecutive requests
 * starting anywhere in the cycle is one contiguous slice: a pipelined batch is
 * one send straight from this buffer, no copy.
 */
#ifndef LG_REQUEST_H
#define LG_REQUEST_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lg_requests {
	char *bytes;
	size_t *off;    /* off[i]: start of request i; off[L + pipeline]: the end */
	uint32_t cycle; /* L */
	uint32_t count; /* L + pipeline */
} lg_requests;

/* Build (and check with ringparse that every request parses whole: a bad
 * method or header is refused here, with the rule it broke in err);
 * with_close: every request says Connection: close (the last request of a
 * connection).  Returns 0, or -1 with err set. */
int lg_requests_build(lg_requests *r, const lg_config *cfg, int with_close, char *err,
		      size_t errlen);
void lg_requests_free(lg_requests *r);

/* The bytes of requests pos .. pos + n - 1 (pos < cycle, n <= pipeline). */
static inline const char *lg_requests_at(const lg_requests *r, uint32_t pos)
{
	return r->bytes + r->off[pos];
}
static inline size_t lg_requests_len(const lg_requests *r, uint32_t pos, uint32_t n)
{
	return r->off[pos + n] - r->off[pos];
}

#endif
