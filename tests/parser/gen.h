/*
 * Random HTTP messages for the differential test: mostly well-formed
 * requests, responses and chunked bodies with a few deliberate faults drawn
 * from the same character classes the policy names, plus byte mutations.
 * Deterministic for a given seed.
 */
#ifndef RB_TEST_GEN_H
#define RB_TEST_GEN_H

#include <stddef.h>
#include <stdint.h>

struct rt_rng {
	uint64_t s;
};

uint64_t rt_rand(struct rt_rng *r);
/* Uniform in [0, n). */
size_t rt_below(struct rt_rng *r, size_t n);
/* 1 with probability pct/100. */
int rt_chance(struct rt_rng *r, unsigned pct);

/* Each writes at most cap bytes to out and returns the length.  cap must be
 * at least 4096. */
size_t rt_gen_request(struct rt_rng *r, char *out, size_t cap);
size_t rt_gen_response(struct rt_rng *r, char *out, size_t cap);
size_t rt_gen_chunked(struct rt_rng *r, char *out, size_t cap);

/* 1 to 3 mutations in place: flip a bit, insert CR, LF, NUL, SP, 0x80 or
 * ':', delete a byte, duplicate a run.  Returns the new length (<= cap). */
size_t rt_mutate(struct rt_rng *r, char *buf, size_t len, size_t cap);

#endif
