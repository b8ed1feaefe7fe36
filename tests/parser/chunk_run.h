/*
 * Driving rp_chunked_feed the way a server does: present the bytes that have
 * "arrived", keep what the decoder did not consume and present it again with
 * more, collect the zero-copy data runs.  The arrival schedule is: `first`
 * bytes, then `step` more each time the decoder wants more.  first = 0 and
 * step = 1 is one byte at a time; first = k, step = SIZE_MAX is a split at k.
 */
#ifndef RB_TEST_CHUNK_RUN_H
#define RB_TEST_CHUNK_RUN_H

#include "cases.h"

struct rt_chunk_run {
	enum rt_chunk_status status;
	uint16_t err, detail; /* after RT_CH_ERROR */
	size_t consumed;      /* bytes consumed in total */
	char *data;           /* decoded bytes (malloc'd; rt_chunk_run_free) */
	size_t data_len;
	rp_chunked c; /* the decoder at the end */
	/* An API rule broke (data outside the consumed bytes, a loop that
	 * never ends): see why. */
	int broken;
	char why[RT_WHY];
};

void rt_chunk_run(const rp_variant *v, const char *in, size_t len, size_t first, size_t step,
		  struct guard *g, struct rt_chunk_run *r);
void rt_chunk_run_free(struct rt_chunk_run *r);

/* 0 if the run matches the row, else 1 with why. */
int rt_chunk_check(const struct rt_chunk_case *c, const struct rt_chunk_run *r, char *why,
		   size_t n);

/* 0 if two runs gave the same answer (status, error, detail, data, and the
 * decoder's counters), else 1 with why.  same_schedule: the runs saw the same
 * arrivals (two variants), so every field must agree, consumed and state
 * included; otherwise (split vs one-shot) only what a caller observes at the
 * end. */
int rt_chunk_diff(const struct rt_chunk_run *a, const struct rt_chunk_run *b, int same_schedule,
		  char *why, size_t n);

#endif
