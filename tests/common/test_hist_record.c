/* rb_hist: the layout, the 0.1% error bound over the whole range, clamping at
 * both ends, and the exact figures (count, min, max, mean) beside the slots. */
#include "hist_ref.h"

#include <errno.h>
#include <math.h>

Test(hist_record, init_sizes)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(h.nbuckets, 32u);
	cr_assert_eq(h.counts_len, 33u * 1024);
	cr_assert_eq(rb_hist_highest(&h), (1ull << 42) - 1);
	cr_assert_geq(rb_hist_highest(&h), (uint64_t)RB_HIST_HOUR_NS, "at least one hour");
	cr_assert_eq(rb_hist_memory_size(&h), sizeof(h) + 33u * 1024 * 8);
	cr_assert_eq((uintptr_t)h.counts % 64, 0u, "cache-line aligned");
	cr_assert_eq(rb_hist_count(&h), 0u);
	rb_hist_free(&h);
	rb_hist_free(&h); /* twice is harmless */

	cr_assert_eq(rb_hist_init(&h, 2), 0, "the smallest layout");
	cr_assert_eq(h.nbuckets, 1u);
	cr_assert_eq(rb_hist_highest(&h), 2047u);
	rb_hist_free(&h);
	cr_assert_eq(rb_hist_init(&h, 4096), 0, "rounded up to the end of its bucket");
	cr_assert_eq(rb_hist_highest(&h), 8191u);
	rb_hist_free(&h);
	cr_assert_eq(rb_hist_init(&h, UINT64_MAX), 0, "every int64_t value");
	cr_assert_eq(h.nbuckets, (unsigned)RB_HIST_MAX_BUCKETS);
	cr_assert_eq(rb_hist_highest(&h), (uint64_t)INT64_MAX);
	rb_hist_free(&h);
	cr_assert_eq(rb_hist_init(&h, 1), -EINVAL);
	cr_assert_eq(rb_hist_init(&h, 0), -EINVAL);
	rb_hist_free(&h); /* a failed init leaves a freeable histogram */
}

/* Every slot: its lowest and highest value map back to it, and the slots tile
 * 0..highest with no gap and no overlap. */
Test(hist_record, slots_tile_the_range)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, UINT64_MAX), 0);
	uint64_t next = 0;
	for (uint32_t i = 0; i < h.counts_len; i++) {
		uint64_t lo = rb_hist_slot_lowest(i), w = rb_hist_slot_width(i);
		cr_assert_eq(lo, next, "slot %u starts at %lu, expected %lu", i, lo, next);
		cr_assert_eq(rb_hist_index(lo), i);
		cr_assert_eq(rb_hist_index(lo + w - 1), i);
		cr_assert_eq(rb_hist_lowest_equivalent(lo + w - 1), lo);
		cr_assert_eq(rb_hist_highest_equivalent(lo), lo + w - 1);
		if (lo < 2048)
			cr_assert_eq(w, 1u, "values below 2048 are exact");
		else
			cr_assert_leq(w * 1024, lo, "slot %u: width %lu at %lu", i, w, lo);
		next = lo + w;
	}
	cr_assert_eq(next - 1, rb_hist_highest(&h), "the last slot ends at highest");
	rb_hist_free(&h);
}

static void check_bound(uint64_t v)
{
	uint64_t lo = rb_hist_lowest_equivalent(v), hi = rb_hist_highest_equivalent(v);
	cr_assert(lo <= v && v <= hi, "%lu outside its slot [%lu, %lu]", v, lo, hi);
	/* Any value of the slot stands for v within 0.1% (in fact 1/1024). */
	cr_assert_leq((unsigned __int128)(hi - lo) * 1000, v, "%lu: slot [%lu, %lu]", v, lo, hi);
}

/* The 0.1% bound for every value 1..200000, around every power of two, and
 * for a million values spread log-uniformly over 1 ns .. 2^62 ns. */
Test(hist_record, relative_error_bound)
{
	for (uint64_t v = 1; v <= 200000; v++)
		check_bound(v);
	for (int k = 1; k < 63; k++) {
		uint64_t p = 1ull << k;
		for (uint64_t d = 0; d < 4; d++) {
			check_bound(p + d);
			check_bound(p - d);
		}
	}
	uint64_t s = 42;
	for (int i = 0; i < 1000000; i++) {
		uint64_t r = ref_rand(&s);
		int bits = (int)(r % 62) + 1;
		uint64_t v = (r >> 6) & ((1ull << bits) - 1);
		check_bound(v ? v : 1);
	}
}

/* The value reported for a recorded value, seen through the histogram: p50 of
 * {v, v, highest} is the highest value of v's slot, within 0.1% of v. */
Test(hist_record, recorded_values_within_bound)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	uint64_t s = 7;
	for (int i = 0; i < 20000; i++) {
		uint64_t r = ref_rand(&s);
		uint64_t v = (r >> 6) & ((1ull << (1 + r % 42)) - 1); /* log-uniform, <= highest */
		v = v ? v : 1;
		rb_hist_reset(&h);
		rb_hist_record_n(&h, (int64_t)v, 2);
		rb_hist_record(&h, (int64_t)rb_hist_highest(&h));
		uint64_t got = rb_hist_value_at_percentile(&h, 50);
		cr_assert_eq(got, rb_hist_highest_equivalent(v));
		cr_assert_leq((got - v) * 1000, v, "v %lu reported as %lu", v, got);
	}
	rb_hist_free(&h);
}

Test(hist_record, empty)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_count(&h), 0u);
	cr_assert_eq(rb_hist_min(&h), 0u);
	cr_assert_eq(rb_hist_max(&h), 0u);
	cr_assert_eq(rb_hist_mean(&h), 0.0);
	cr_assert_eq(rb_hist_stddev(&h), 0.0);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 50), 0u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 100), 0u);
	rb_hist_free(&h);
}

/* 0 and negative values: clamped to 1 and counted; never a crash. */
Test(hist_record, below_lowest_clamped_and_counted)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	rb_hist_record(&h, 0);
	rb_hist_record(&h, -5);
	rb_hist_record(&h, INT64_MIN);
	cr_assert_eq(rb_hist_below(&h), 3u);
	cr_assert_eq(rb_hist_above(&h), 0u);
	cr_assert_eq(rb_hist_count(&h), 3u);
	cr_assert_eq(rb_hist_min(&h), 1u);
	cr_assert_eq(rb_hist_max(&h), 1u);
	cr_assert_eq(rb_hist_mean(&h), 1.0);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 100), 1u);
	cr_assert_eq(h.counts[1], 3u);
	rb_hist_record(&h, 1);
	cr_assert_eq(rb_hist_below(&h), 3u, "1 is the lowest trackable value, not clamped");
	cr_assert_eq(h.counts[1], 4u);
	rb_hist_free(&h);
}

/* Above highest: the top slot, counted; min, max and mean keep the exact value. */
Test(hist_record, above_highest_clamped_and_counted)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	uint64_t top = rb_hist_highest(&h);
	rb_hist_record(&h, (int64_t)top);
	cr_assert_eq(rb_hist_above(&h), 0u, "highest itself is trackable");
	cr_assert_eq(h.counts[h.counts_len - 1], 1u);
	rb_hist_record(&h, (int64_t)top + 1);
	rb_hist_record(&h, INT64_MAX);
	cr_assert_eq(rb_hist_above(&h), 2u);
	cr_assert_eq(rb_hist_below(&h), 0u);
	cr_assert_eq(h.counts[h.counts_len - 1], 3u, "all three in the top slot");
	cr_assert_eq(rb_hist_count(&h), 3u);
	cr_assert_eq(rb_hist_min(&h), top);
	cr_assert_eq(rb_hist_max(&h), (uint64_t)INT64_MAX, "the exact max");
	long double sum = (long double)top + (long double)top + 1 + (long double)INT64_MAX;
	cr_assert_eq(rb_hist_mean(&h), (double)(sum / 3), "the exact mean");
	cr_assert_eq(rb_hist_value_at_percentile(&h, 100), top, "percentiles stop at highest");
	cr_assert_eq(rb_hist_value_at_percentile(&h, 0), top, "p0 is the exact min");
	rb_hist_free(&h);
}

/* The smallest layout tracks 1..2047 exactly; 2048 is already above. */
Test(hist_record, smallest_layout_edges)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, 2), 0);
	rb_hist_record(&h, 1);
	rb_hist_record(&h, 2047);
	rb_hist_record(&h, 2048);
	cr_assert_eq(rb_hist_above(&h), 1u);
	cr_assert_eq(h.counts[2047], 2u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 50), 2047u);
	cr_assert_eq(rb_hist_max(&h), 2048u);
	rb_hist_free(&h);
}

/* min, max, mean exact for values the slots round; the sum does not overflow
 * 64 bits. */
Test(hist_record, exact_min_max_mean)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, UINT64_MAX), 0);
	uint64_t s = 99, n = 0, mn = UINT64_MAX, mx = 0;
	unsigned __int128 sum = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = 1 + ref_rand(&s) % 987654321987ull;
		rb_hist_record(&h, (int64_t)v);
		sum += v;
		n++;
		mn = v < mn ? v : mn;
		mx = v > mx ? v : mx;
	}
	cr_assert_eq(rb_hist_count(&h), n);
	cr_assert_eq(rb_hist_min(&h), mn);
	cr_assert_eq(rb_hist_max(&h), mx);
	cr_assert(h.sum == sum);
	cr_assert_eq(rb_hist_mean(&h), (double)((long double)sum / n));

	rb_hist_reset(&h);
	rb_hist_record_n(&h, INT64_MAX, 1000); /* sum 1000 * (2^63 - 1): past 2^64 */
	cr_assert(h.sum == (unsigned __int128)INT64_MAX * 1000);
	cr_assert_eq(rb_hist_mean(&h), (double)INT64_MAX);
	rb_hist_free(&h);
}

Test(hist_record, record_n_equals_repeated_record)
{
	rb_hist a, b;
	cr_assert_eq(rb_hist_init(&a, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&b, RB_HIST_HOUR_NS), 0);
	int64_t vals[] = {0, 1, 2047, 2048, 123456, 999999999, RB_HIST_HOUR_NS * 2};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		rb_hist_record_n(&a, vals[i], 1000);
		for (int k = 0; k < 1000; k++)
			rb_hist_record(&b, vals[i]);
	}
	ref_assert_same(&a, &b);
	rb_hist_record_n(&a, 5, 0);
	ref_assert_same(&a, &b); /* n == 0 records nothing, not even a min */
	rb_hist_free(&a);
	rb_hist_free(&b);
}

/* stddev: exact where the slots are (values below 2048), within 0.1% elsewhere. */
Test(hist_record, stddev)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	rb_hist_record_n(&h, 1234567, 10);
	cr_assert_eq(rb_hist_stddev(&h), 0.0, "one value");
	rb_hist_reset(&h);
	rb_hist_record(&h, 1000);
	rb_hist_record(&h, 2000);
	cr_assert_eq(rb_hist_stddev(&h), 500.0);
	rb_hist_reset(&h);
	for (int v = 1; v <= 2000; v++)
		rb_hist_record(&h, v);
	double want = sqrt((2000.0 * 2000.0 - 1) / 12); /* uniform 1..n */
	cr_assert_float_eq(rb_hist_stddev(&h), want, 1e-9 * want);
	rb_hist_reset(&h);
	for (int v = 1; v <= 200000; v++)
		rb_hist_record(&h, (int64_t)v * 1000);
	want = 1000 * sqrt((200000.0 * 200000.0 - 1) / 12);
	cr_assert_float_eq(rb_hist_stddev(&h), want, 1e-3 * want);
	rb_hist_free(&h);
}
