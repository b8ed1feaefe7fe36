/* The histogram outside the record path: set-up, merge, figures, percentiles,
 * iteration, intervals.  The layout and the contracts are with rb_hist's declarations. */
#include "rb_hist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rb_hist_init(rb_hist *h, uint64_t highest)
{
	memset(h, 0, sizeof(*h));
	if (highest < 2)
		return -EINVAL;
	uint32_t nb = 1;
	while (nb < RB_HIST_MAX_BUCKETS && (1ull << (nb + RB_HIST_HALF_BITS)) - 1 < highest)
		nb++;
	uint32_t len = (nb + 1) << RB_HIST_HALF_BITS;
	/* 64-byte aligned: two threads' histograms never share a cache line. */
	void *p;
	if (posix_memalign(&p, 64, (size_t)len * sizeof(uint64_t)))
		return -ENOMEM;
	memset(p, 0, (size_t)len * sizeof(uint64_t));
	h->counts = p;
	h->counts_len = len;
	h->nbuckets = nb;
	h->highest = (1ull << (nb + RB_HIST_HALF_BITS)) - 1;
	h->min = UINT64_MAX;
	return 0;
}

void rb_hist_free(rb_hist *h)
{
	free(h->counts);
	h->counts = NULL;
	h->counts_len = 0;
}

size_t rb_hist_memory_size(const rb_hist *h)
{
	return sizeof(*h) + (size_t)h->counts_len * sizeof(uint64_t);
}

/* Slots [first, last] hold every recorded value (none outside). */
static uint32_t rb_hist_first_slot(const rb_hist *h)
{
	return rb_hist_index(h->min < h->highest ? h->min : h->highest);
}

static uint32_t rb_hist_last_slot(const rb_hist *h)
{
	return rb_hist_index(h->max < h->highest ? h->max : h->highest);
}

void rb_hist_reset(rb_hist *h)
{
	if (h->total) {
		uint32_t a = rb_hist_first_slot(h), b = rb_hist_last_slot(h);
		memset(h->counts + a, 0, (size_t)(b - a + 1) * sizeof(uint64_t));
	}
	h->total = 0;
	h->sum = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->below = 0;
	h->above = 0;
}

int rb_hist_merge(rb_hist *dst, const rb_hist *src)
{
	if (src->counts_len != dst->counts_len)
		return -EINVAL;
	if (!src->total)
		return 0;
	uint32_t a = rb_hist_first_slot(src), b = rb_hist_last_slot(src);
	for (uint32_t i = a; i <= b; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	dst->below += src->below;
	dst->above += src->above;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t rb_hist_count(const rb_hist *h)
{
	return h->total;
}

uint64_t rb_hist_min(const rb_hist *h)
{
	return h->total ? h->min : 0;
}

uint64_t rb_hist_max(const rb_hist *h)
{
	return h->max;
}

uint64_t rb_hist_below(const rb_hist *h)
{
	return h->below;
}

uint64_t rb_hist_above(const rb_hist *h)
{
	return h->above;
}

uint64_t rb_hist_highest(const rb_hist *h)
{
	return h->highest;
}

double rb_hist_mean(const rb_hist *h)
{
	if (!h->total)
		return 0.0;
	return (double)((long double)h->sum / (long double)h->total);
}

/* Newton's method from above; no libm. */
static long double rb_hist_sqrtl(long double x)
{
	if (!(x > 0))
		return 0;
	long double r = x > 1 ? x : 1;
	for (int i = 0; i < 256; i++) {
		long double next = (r + x / r) / 2;
		if (!(next < r))
			break;
		r = next;
	}
	return r;
}

double rb_hist_stddev(const rb_hist *h)
{
	if (!h->total)
		return 0.0;
	long double mean = (long double)h->sum / (long double)h->total, acc = 0;
	uint32_t a = rb_hist_first_slot(h), b = rb_hist_last_slot(h);
	for (uint32_t i = a; i <= b; i++) {
		if (!h->counts[i])
			continue;
		/* The slot's middle, kept within [min, max] where the values are. */
		uint64_t m = rb_hist_slot_lowest(i) + rb_hist_slot_width(i) / 2;
		m = m < h->min ? h->min : m > h->max ? h->max : m;
		long double mid = (long double)m;
		long double d = mid - mean;
		acc += d * d * (long double)h->counts[i];
	}
	return (double)rb_hist_sqrtl(acc / (long double)h->total);
}

/* The number of values a percentile asks for: ceil(p% of total), at least 1.
 * A percentile written as a decimal (99.9) is stored a few ulps away from it;
 * the 2^-50 relative nudge down keeps 99.9% of 1000 at 999, not 1000. */
static uint64_t rb_hist_count_at(uint64_t total, double p)
{
	long double x = (long double)p / 100.0L * (long double)total;
	x -= x * 0x1p-50L;
	if (!(x > 1))
		return 1;
	if (x >= (long double)total)
		return total;
	uint64_t c = (uint64_t)x;
	if ((long double)c < x)
		c++;
	return c;
}

uint64_t rb_hist_value_at_percentile(const rb_hist *h, double p)
{
	if (!h->total)
		return 0;
	if (!(p > 0)) /* and NaN */
		return h->min;
	uint64_t want = rb_hist_count_at(h->total, p > 100 ? 100 : p), cum = 0;
	uint32_t a = rb_hist_first_slot(h), b = rb_hist_last_slot(h);
	for (uint32_t i = a; i <= b; i++) {
		cum += h->counts[i];
		if (cum >= want)
			return rb_hist_slot_value(h, i);
	}
	return rb_hist_slot_value(h, b); /* not reached: the slots hold total */
}

void rb_hist_iter_init(rb_hist_iter *it, const rb_hist *h)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	if (h->total) {
		it->idx = rb_hist_first_slot(h);
		it->end = rb_hist_last_slot(h) + 1;
	}
}

int rb_hist_iter_next(rb_hist_iter *it)
{
	const rb_hist *h = it->h;
	while (it->idx < it->end) {
		uint32_t i = it->idx++;
		if (!h->counts[i])
			continue;
		it->lowest = rb_hist_slot_lowest(i);
		it->highest = rb_hist_slot_value(h, i);
		it->count = h->counts[i];
		it->cumulative += it->count;
		return 1;
	}
	return 0;
}

void rb_hist_summarize(const rb_hist *h, rb_hist_summary *s)
{
	s->count = h->total;
	s->min = rb_hist_min(h);
	s->max = h->max;
	s->below = h->below;
	s->above = h->above;
	s->p50 = rb_hist_value_at_percentile(h, 50);
	s->p90 = rb_hist_value_at_percentile(h, 90);
	s->p99 = rb_hist_value_at_percentile(h, 99);
	s->p999 = rb_hist_value_at_percentile(h, 99.9);
	s->p9999 = rb_hist_value_at_percentile(h, 99.99);
	s->mean = rb_hist_mean(h);
	s->stddev = rb_hist_stddev(h);
}

int rb_hist_roll(rb_hist *total, rb_hist *interval, rb_hist_summary *s)
{
	int rc = 0;
	if (s)
		rb_hist_summarize(interval, s);
	if (total)
		rc = rb_hist_merge(total, interval);
	rb_hist_reset(interval);
	return rc;
}
