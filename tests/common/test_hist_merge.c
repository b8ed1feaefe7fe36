/* rb_hist merge (lossless: the same as recording everything into one), reset,
 * per-interval rolling, and iteration over the slots. */
#include "hist_ref.h"

#include <errno.h>

static int64_t any_value(uint64_t *s)
{
	uint64_t r = ref_rand(s);
	switch (r % 16) {
	case 0:
		return 0; /* clamped below */
	case 1:
		return 3 * RB_HIST_HOUR_NS; /* clamped above */
	default:
		return (int64_t)((r >> 8) & ((1ull << (1 + r % 40)) - 1));
	}
}

Test(hist_merge, equals_recording_into_one)
{
	rb_hist part[4], all, merged;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(rb_hist_init(&part[i], RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&all, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&merged, RB_HIST_HOUR_NS), 0);
	uint64_t s = 2024;
	for (int i = 0; i < 200000; i++) {
		int64_t v = any_value(&s);
		int t = (int)(ref_rand(&s) % 4);
		if (t == 3 && i % 2) /* part 3 gets its own range: small values only */
			v = v % 5000;
		rb_hist_record(&part[t], v);
		rb_hist_record(&all, v);
	}
	for (int i = 0; i < 4; i++)
		cr_assert_eq(rb_hist_merge(&merged, &part[i]), 0);
	ref_assert_same(&merged, &all);
	cr_assert_gt(rb_hist_below(&merged), 0u);
	cr_assert_gt(rb_hist_above(&merged), 0u);
	for (double p = 0; p <= 100; p += 0.25)
		cr_assert_eq(rb_hist_value_at_percentile(&merged, p),
			     rb_hist_value_at_percentile(&all, p));
	cr_assert_eq(rb_hist_mean(&merged), rb_hist_mean(&all));
	cr_assert_eq(rb_hist_stddev(&merged), rb_hist_stddev(&all));

	/* Merging into a non-empty histogram, and merging an empty one. */
	rb_hist_reset(&merged);
	cr_assert_eq(rb_hist_merge(&merged, &part[0]), 0);
	rb_hist_reset(&part[0]);
	cr_assert_eq(rb_hist_merge(&merged, &part[0]), 0, "empty src");
	for (int i = 1; i < 4; i++)
		cr_assert_eq(rb_hist_merge(&merged, &part[i]), 0);
	cr_assert_eq(rb_hist_merge(&merged, &part[0]), 0);
	ref_assert_same(&merged, &all);

	for (int i = 0; i < 4; i++)
		rb_hist_free(&part[i]);
	rb_hist_free(&all);
	rb_hist_free(&merged);
}

Test(hist_merge, different_layouts_refused)
{
	rb_hist a, b;
	cr_assert_eq(rb_hist_init(&a, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&b, RB_HIST_SEC_NS), 0);
	rb_hist_record(&a, 5);
	rb_hist_record(&b, 7);
	cr_assert_eq(rb_hist_merge(&a, &b), -EINVAL);
	cr_assert_eq(rb_hist_merge(&b, &a), -EINVAL);
	cr_assert_eq(rb_hist_count(&a), 1u, "dst unchanged");
	cr_assert_eq(rb_hist_max(&a), 5u);
	cr_assert_eq(rb_hist_count(&b), 1u);
	rb_hist_free(&a);
	rb_hist_free(&b);
}

static void assert_all_zero(const rb_hist *h)
{
	for (uint32_t i = 0; i < h->counts_len; i++)
		cr_assert_eq(h->counts[i], 0u, "slot %u not cleared", i);
	cr_assert_eq(h->total, 0u);
	cr_assert_eq(h->min, UINT64_MAX);
	cr_assert_eq(h->max, 0u);
	cr_assert_eq(h->below, 0u);
	cr_assert_eq(h->above, 0u);
	cr_assert(h->sum == 0);
}

Test(hist_merge, reset)
{
	rb_hist h, fresh;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&fresh, RB_HIST_HOUR_NS), 0);
	rb_hist_reset(&h); /* empty */
	assert_all_zero(&h);
	uint64_t s = 5;
	for (int i = 0; i < 10000; i++)
		rb_hist_record(&h, any_value(&s));
	rb_hist_reset(&h);
	assert_all_zero(&h);
	/* only values above highest: min and max both past the top slot */
	rb_hist_record_n(&h, INT64_MAX, 3);
	rb_hist_reset(&h);
	assert_all_zero(&h);
	/* usable again, and the same as a fresh one */
	for (int i = 0; i < 1000; i++) {
		int64_t v = any_value(&s);
		rb_hist_record(&h, v);
		rb_hist_record(&fresh, v);
	}
	ref_assert_same(&h, &fresh);
	rb_hist_free(&h);
	rb_hist_free(&fresh);
}

/* A per-second series: each interval's summary describes that interval alone,
 * and the total after the last roll holds every value. */
Test(hist_merge, roll_intervals)
{
	rb_hist total, interval, all, one;
	cr_assert_eq(rb_hist_init(&total, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&interval, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&all, RB_HIST_HOUR_NS), 0);
	cr_assert_eq(rb_hist_init(&one, RB_HIST_HOUR_NS), 0);
	uint64_t s = 31;
	for (int sec = 0; sec < 5; sec++) {
		int n = sec == 2 ? 0 : 1000 * (sec + 1); /* second 2: nothing answered */
		for (int i = 0; i < n; i++) {
			int64_t v = (int64_t)(1 + ref_rand(&s) % 1000000) * (sec + 1);
			rb_hist_record(&interval, v);
			rb_hist_record(&all, v);
			rb_hist_record(&one, v);
		}
		rb_hist_summary sum;
		cr_assert_eq(rb_hist_roll(&total, &interval, &sum), 0);
		cr_assert_eq(sum.count, (uint64_t)n);
		cr_assert_eq(sum.min, rb_hist_min(&one));
		cr_assert_eq(sum.max, rb_hist_max(&one));
		cr_assert_eq(sum.p50, rb_hist_value_at_percentile(&one, 50));
		cr_assert_eq(sum.p99, rb_hist_value_at_percentile(&one, 99));
		cr_assert_eq(sum.p9999, rb_hist_value_at_percentile(&one, 99.99));
		cr_assert_eq(sum.mean, rb_hist_mean(&one));
		cr_assert_eq(rb_hist_count(&interval), 0u, "reset by the roll");
		rb_hist_reset(&one);
	}
	ref_assert_same(&total, &all);

	/* Without a total or a summary: just a reset.  A total of another layout
	 * is refused, and the interval is reset all the same. */
	rb_hist_record(&interval, 5);
	cr_assert_eq(rb_hist_roll(NULL, &interval, NULL), 0);
	cr_assert_eq(rb_hist_count(&interval), 0u);
	rb_hist small;
	cr_assert_eq(rb_hist_init(&small, RB_HIST_SEC_NS), 0);
	rb_hist_record(&interval, 5);
	cr_assert_eq(rb_hist_roll(&small, &interval, NULL), -EINVAL);
	cr_assert_eq(rb_hist_count(&interval), 0u);
	cr_assert_eq(rb_hist_count(&small), 0u);
	rb_hist_free(&small);

	rb_hist_free(&total);
	rb_hist_free(&interval);
	rb_hist_free(&all);
	rb_hist_free(&one);
}

Test(hist_merge, iterate_slots)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	rb_hist_iter it;
	rb_hist_iter_init(&it, &h);
	cr_assert_eq(rb_hist_iter_next(&it), 0, "empty: no slot");
	uint64_t s = 3, distinct = 0;
	for (int i = 0; i < 50000; i++)
		rb_hist_record(&h, any_value(&s));
	for (uint32_t i = 0; i < h.counts_len; i++)
		distinct += h.counts[i] != 0;
	uint64_t slots = 0, last = 0;
	rb_hist_iter_init(&it, &h);
	while (rb_hist_iter_next(&it)) {
		cr_assert_gt(it.count, 0u);
		cr_assert(slots == 0 || it.lowest > last, "in value order");
		cr_assert_leq(it.lowest, it.highest);
		cr_assert_eq(h.counts[rb_hist_index(it.lowest)], it.count);
		last = it.highest;
		slots++;
	}
	cr_assert_eq(slots, distinct);
	cr_assert_eq(it.cumulative, rb_hist_count(&h));
	cr_assert_eq(last, rb_hist_highest(&h), "the top slot holds the clamped values");
	rb_hist_free(&h);
}
