/*
 * HDR-style latency histogram (HdrHistogram's log-linear layout), one per thread.
 *
 * Unit.  Values are integers in whatever unit the caller records; ringbench
 * records nanoseconds (rb_now_ns() differences).  The lowest trackable value is
 * 1 unit, the precision is 3 significant decimal digits, fixed at compile time.
 *
 * Layout (docs/histogram.md has the long version).  Bucket 0 holds the values
 * 0..2047 one per slot (exact).  Bucket b >= 1 holds [2^(b+10), 2^(b+11)) in
 * 1024 slots of width 2^b.  Slot index of value v:
 *	b   = 53 - clz(v | 2047)           (0 for v < 2048)
 *	idx = (b << 10) + (v >> b)
 * so every recorded value v lies in a slot [lo, lo + 2^b) with
 * 2^b <= lo / 1024: reporting any value of the slot is off by less than
 * 1/1024 (< 0.1%) of v.  With nbuckets buckets the counts array has
 * (nbuckets + 1) * 1024 slots of 8 bytes and tracks up to 2^(nbuckets+10) - 1;
 * 1 hour in ns takes 32 buckets: 33792 slots, 264 KiB, one allocation.
 *
 * Clamping, never silent.  A value below 1 (0 or negative: a clock artefact) is
 * recorded as 1 and counted in `below`.  A value above the highest trackable one
 * goes into the top slot and is counted in `above`; min, max and the sum keep
 * its exact value.
 *
 * Exact figures beside the slots: count, min, max, and the sum as a 128-bit
 * integer (mean = sum / count).  The standard deviation is computed from the
 * slots (each value taken at its slot's middle, kept within [min, max]) around
 * the exact mean.
 *
 * Percentiles (HdrHistogram semantics): rb_hist_value_at_percentile(h, p) is the
 * highest value of the first slot at which the cumulative count reaches
 * ceil(p% of count), capped at the exact max; p <= 0 gives the exact min.  So
 * p100 == max unless values were clamped above.
 *
 * Recording is O(1): no allocation, no floating point, no locks; a histogram is
 * touched by one thread.  Merge per-thread histograms after the threads are
 * done (or hand them over with the caller's own synchronisation).
 *
 * No coordinated-omission correction here (no record_corrected): the load
 * generator measures each latency from the request's intended send time, which
 * already counts the requests a stalled server kept us from sending; adding
 * HdrHistogram's synthetic values on top would count the stall twice.
 */
#ifndef RB_HIST_H
#define RB_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RB_HIST_SUB_BITS 11                          /* 2048 slots in bucket 0 */
#define RB_HIST_SUB_COUNT (1u << RB_HIST_SUB_BITS)   /* 2048 */
#define RB_HIST_HALF_BITS (RB_HIST_SUB_BITS - 1)     /* 1024 slots in each later bucket */
#define RB_HIST_MAX_BUCKETS (63 - RB_HIST_HALF_BITS) /* 53: up to INT64_MAX */

#define RB_HIST_SEC_NS 1000000000ll
#define RB_HIST_HOUR_NS (3600ll * RB_HIST_SEC_NS) /* the load generator's range */

/* Scales for rb_hist_write_percentiles(): recorded ns, printed as ... */
#define RB_HIST_SCALE_US 1e3
#define RB_HIST_SCALE_MS 1e6 /* HdrHistogram's plotter labels its axis in ms */

typedef struct rb_hist {
	uint64_t *counts;      /* counts_len slots, 64-byte aligned */
	uint32_t counts_len;   /* (nbuckets + 1) << RB_HIST_HALF_BITS */
	uint32_t nbuckets;     /* HdrHistogram's bucket count */
	uint64_t highest;      /* highest trackable value: 2^(nbuckets+10) - 1 */
	uint64_t total;        /* values recorded */
	uint64_t min, max;     /* exact; min is UINT64_MAX while empty */
	uint64_t below, above; /* values clamped up to 1 / down to highest */
	unsigned __int128 sum; /* exact sum of the recorded (low-clamped) values */
} rb_hist;

/* Set h up to track 1..highest (rounded up to the end of its bucket), empty.
 * One allocation.  Returns 0, -EINVAL (highest < 2) or -ENOMEM. */
int rb_hist_init(rb_hist *h, uint64_t highest);
void rb_hist_free(rb_hist *h); /* safe on a zeroed or freed rb_hist */

/* Bytes this histogram holds (struct and counts). */
size_t rb_hist_memory_size(const rb_hist *h);

/* Empty h again.  Clears only the slots between min and max. */
void rb_hist_reset(rb_hist *h);

/* Slot index of v (v <= highest): the layout above. */
static inline uint32_t rb_hist_index(uint64_t v)
{
	unsigned b = 53u - (unsigned)__builtin_clzll(v | (RB_HIST_SUB_COUNT - 1));
	return ((uint32_t)b << RB_HIST_HALF_BITS) + (uint32_t)(v >> b);
}

/* Lowest value of slot idx, and the slot's width. */
static inline uint64_t rb_hist_slot_lowest(uint32_t idx)
{
	if (idx < RB_HIST_SUB_COUNT)
		return idx;
	unsigned b = (idx >> RB_HIST_HALF_BITS) - 1;
	uint64_t sub = (idx & ((1u << RB_HIST_HALF_BITS) - 1)) | (1u << RB_HIST_HALF_BITS);
	return sub << b;
}

static inline uint64_t rb_hist_slot_width(uint32_t idx)
{
	return idx < RB_HIST_SUB_COUNT ? 1 : 1ull << ((idx >> RB_HIST_HALF_BITS) - 1);
}

/* The range of values that share v's slot: the histogram cannot tell them apart. */
static inline uint64_t rb_hist_lowest_equivalent(uint64_t v)
{
	return rb_hist_slot_lowest(rb_hist_index(v));
}

static inline uint64_t rb_hist_highest_equivalent(uint64_t v)
{
	uint32_t idx = rb_hist_index(v);
	return rb_hist_slot_lowest(idx) + rb_hist_slot_width(idx) - 1;
}

/* What the histogram reports for slot idx: its highest value, capped at the
 * exact max (percentiles, iteration and the text output all use this). */
static inline uint64_t rb_hist_slot_value(const rb_hist *h, uint32_t idx)
{
	uint64_t hi = rb_hist_slot_lowest(idx) + rb_hist_slot_width(idx) - 1;
	return hi < h->max ? hi : h->max;
}

/* Record value n times (n == 0 records nothing).  value < 1 is clamped to 1 and
 * counted in `below`; value > highest goes to the top slot, counted in `above`. */
static inline void rb_hist_record_n(rb_hist *h, int64_t value, uint64_t n)
{
	if (__builtin_expect(n == 0, 0))
		return;
	uint64_t v = (uint64_t)value;
	if (__builtin_expect(value < 1, 0)) {
		h->below += n;
		v = 1;
	}
	h->total += n;
	h->sum += (unsigned __int128)v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (__builtin_expect(v > h->highest, 0)) {
		h->above += n;
		v = h->highest;
	}
	h->counts[rb_hist_index(v)] += n;
}

static inline void rb_hist_record(rb_hist *h, int64_t value)
{
	rb_hist_record_n(h, value, 1);
}

/* Add src's values to dst, losslessly: both must have the same layout (the same
 * highest, hence counts_len); otherwise -EINVAL and dst is unchanged. */
int rb_hist_merge(rb_hist *dst, const rb_hist *src);

/* Exact figures; 0 (mean, stddev: 0.0) on an empty histogram. */
uint64_t rb_hist_count(const rb_hist *h);
uint64_t rb_hist_min(const rb_hist *h);
uint64_t rb_hist_max(const rb_hist *h);
uint64_t rb_hist_below(const rb_hist *h); /* values clamped up to 1 */
uint64_t rb_hist_above(const rb_hist *h); /* values clamped down to highest */
uint64_t rb_hist_highest(const rb_hist *h);
double rb_hist_mean(const rb_hist *h);
double rb_hist_stddev(const rb_hist *h); /* population stddev, from the slots */

/* The value at percentile p (0..100; outside is clamped): see above.  0 when
 * empty. */
uint64_t rb_hist_value_at_percentile(const rb_hist *h, double p);

/* Walk the non-empty slots in value order:
 *	rb_hist_iter it;
 *	rb_hist_iter_init(&it, h);
 *	while (rb_hist_iter_next(&it))
 *		use(it.lowest, it.highest, it.count, it.cumulative);
 */
typedef struct rb_hist_iter {
	const rb_hist *h;
	uint32_t idx, end;   /* next slot to look at; one past the last */
	uint64_t lowest;     /* the slot's value range */
	uint64_t highest;    /* (capped at the exact max) */
	uint64_t count;      /* values in the slot */
	uint64_t cumulative; /* values in this and every earlier slot */
} rb_hist_iter;

void rb_hist_iter_init(rb_hist_iter *it, const rb_hist *h);
int rb_hist_iter_next(rb_hist_iter *it); /* 1: a slot; 0: done */

/* A per-interval summary, for per-second series. */
typedef struct rb_hist_summary {
	uint64_t count, min, max, below, above;
	uint64_t p50, p90, p99, p999, p9999;
	double mean, stddev;
} rb_hist_summary;

void rb_hist_summarize(const rb_hist *h, rb_hist_summary *s);

/* End an interval: summarize `interval` into s (if s), merge it into total (if
 * total), reset it.  A worker records into its interval histogram only and
 * rolls once a second (and once at the end); total then holds the whole run.
 * Returns rb_hist_merge()'s result (interval is reset either way). */
int rb_hist_roll(rb_hist *total, rb_hist *interval, rb_hist_summary *s);

/* HdrHistogram's "percentile distribution" text (what wrk2 --latency and
 * HdrHistogram's outputPercentileDistribution print, 5 ticks per half
 * distance), values divided by unit_scale (ns recorded: RB_HIST_SCALE_MS for
 * HdrHistogram's plotter).  Returns 0 or -EIO. */
int rb_hist_write_percentiles(const rb_hist *h, FILE *f, double unit_scale);

#endif
