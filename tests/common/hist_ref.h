/* Helpers for the rb_hist suites: a seeded generator, an exact reference for
 * percentiles (a sorted copy of every value), histogram comparison. */
#ifndef HIST_REF_H
#define HIST_REF_H

#include "rb_hist.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t ref_rand(uint64_t *s) /* xorshift64*: reproducible, any seed but 0 */
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline int ref_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static inline void ref_sort(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), ref_cmp);
}

/* The exact percentile of sorted v[0..n) for p = milli / 1000 percent (an exact
 * decimal): the smallest value such that at least p% of the values are <= it,
 * that is v[ceil(p% of n) - 1]; p = 0 gives the minimum. */
static inline uint64_t ref_percentile(const uint64_t *v, size_t n, uint64_t milli)
{
	unsigned __int128 num = (unsigned __int128)milli * n; /* k = ceil(num / 100000) */
	uint64_t k = (uint64_t)((num + 99999) / 100000);
	if (k < 1)
		k = 1;
	return v[k - 1];
}

/* What the histogram must answer when the exact percentile is x: the value
 * its slot reports. */
static inline uint64_t ref_expected(const rb_hist *h, uint64_t x)
{
	return rb_hist_slot_value(h, rb_hist_index(x < h->highest ? x : h->highest));
}

static inline void ref_assert_same(const rb_hist *a, const rb_hist *b)
{
	cr_assert_eq(a->counts_len, b->counts_len);
	cr_assert_eq(a->total, b->total);
	cr_assert_eq(a->min, b->min);
	cr_assert_eq(a->max, b->max);
	cr_assert_eq(a->below, b->below);
	cr_assert_eq(a->above, b->above);
	cr_assert(a->sum == b->sum, "sums differ");
	cr_assert_eq(memcmp(a->counts, b->counts, a->counts_len * sizeof(uint64_t)), 0,
		     "the slots differ");
}

#endif
