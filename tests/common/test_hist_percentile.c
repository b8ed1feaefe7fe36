/* rb_hist percentiles against exact answers: every value is also kept in a
 * sorted array, whose percentile (the smallest value such that at least p% of
 * the values are <= it) must fall in the slot the histogram reports. */
#include "hist_ref.h"

#include <math.h>

/* Percentiles to check, in thousandths of a percent (exact decimals). */
static const uint64_t milli[] = {0,     1,     10,    100,   1000,  10000, 25000, 50000, 50010,
				 75000, 90000, 95000, 99000, 99500, 99900, 99990, 99999, 100000};

/* Record v[0..n) into a fresh histogram and check every percentile in milli[],
 * and p = 0.5% .. 100% in 0.5% steps. */
static void check_distribution(uint64_t *v, size_t n, const char *name)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	for (size_t i = 0; i < n; i++)
		rb_hist_record(&h, (int64_t)v[i]);
	ref_sort(v, n);
	cr_assert_eq(rb_hist_count(&h), n);
	cr_assert_eq(rb_hist_min(&h), v[0], "%s: min", name);
	cr_assert_eq(rb_hist_max(&h), v[n - 1], "%s: max", name);
	for (size_t i = 0; i < sizeof(milli) / sizeof(milli[0]); i++) {
		double p = (double)milli[i] / 1000;
		uint64_t exact = ref_percentile(v, n, milli[i]);
		uint64_t want = milli[i] ? ref_expected(&h, exact) : exact;
		uint64_t got = rb_hist_value_at_percentile(&h, p);
		cr_assert_eq(got, want, "%s: p%g: got %lu, want %lu (exact %lu)", name, p, got,
			     want, exact);
		cr_assert_leq((got - exact) * 1000, exact, "%s: p%g off by more than 0.1%%", name,
			      p);
	}
	for (uint64_t m = 500; m <= 100000; m += 500) {
		uint64_t want = ref_expected(&h, ref_percentile(v, n, m));
		cr_assert_eq(rb_hist_value_at_percentile(&h, (double)m / 1000), want, "%s: p%g",
			     name, (double)m / 1000);
	}
	cr_assert_eq(rb_hist_value_at_percentile(&h, 100), v[n - 1], "%s: p100 is the max", name);
	rb_hist_free(&h);
}

/* Uniform 1..1000: the textbook answers, in the exact range (every slot is one value). */
Test(hist_percentile, uniform_1000_exact_answers)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	for (int v = 1; v <= 1000; v++)
		rb_hist_record(&h, v);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 0), 1u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 0.05), 1u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 0.1), 1u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 0.11), 2u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 50), 500u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 50.01), 501u, "at least p%%: rounds up");
	cr_assert_eq(rb_hist_value_at_percentile(&h, 90), 900u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 99), 990u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 99.9), 999u, "99.9 is not 99.9000000001");
	cr_assert_eq(rb_hist_value_at_percentile(&h, 99.99), 1000u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 100), 1000u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 150), 1000u, "clamped to 100");
	cr_assert_eq(rb_hist_value_at_percentile(&h, -1), 1u, "clamped to 0");
	cr_assert_eq(rb_hist_value_at_percentile(&h, NAN), 1u);
	rb_hist_free(&h);
}

Test(hist_percentile, uniform)
{
	static const size_t sizes[] = {1000, 10000, 100003};
	for (size_t k = 0; k < 3; k++) {
		size_t n = sizes[k];
		uint64_t *v = malloc(n * sizeof(*v));
		for (size_t i = 0; i < n; i++)
			v[i] = n - i; /* recorded in descending order */
		check_distribution(v, n, "uniform 1..n");
		for (size_t i = 0; i < n; i++)
			v[i] = (i + 1) * 1000; /* 1 us .. n us, in ns: rounded slots */
		check_distribution(v, n, "uniform us");
		free(v);
	}
}

Test(hist_percentile, single_value)
{
	static const int64_t vals[] = {1, 2047, 2048, 123457, 1000000007, RB_HIST_HOUR_NS};
	for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		rb_hist h;
		cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
		rb_hist_record_n(&h, vals[k], 777);
		for (size_t i = 0; i < sizeof(milli) / sizeof(milli[0]); i++)
			cr_assert_eq(rb_hist_value_at_percentile(&h, (double)milli[i] / 1000),
				     (uint64_t)vals[k], "every percentile is the value itself");
		cr_assert_eq(rb_hist_mean(&h), (double)vals[k]);
		rb_hist_free(&h);
	}
}

/* 90% at 1 ms and 10% at 1 s: the step between p90 and p90.001. */
Test(hist_percentile, two_spikes)
{
	size_t n = 10000;
	uint64_t *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = i % 10 == 3 ? 1000000000 : 1000000;
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	for (size_t i = 0; i < n; i++)
		rb_hist_record(&h, (int64_t)v[i]);
	uint64_t ms = rb_hist_highest_equivalent(1000000);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 50), ms);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 90), ms);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 90.001), 1000000000u);
	cr_assert_eq(rb_hist_value_at_percentile(&h, 99.99), 1000000000u);
	cr_assert_eq(rb_hist_min(&h), 1000000u);
	cr_assert_eq(rb_hist_mean(&h), (0.9 * 1e6 + 0.1 * 1e9));
	rb_hist_free(&h);
	check_distribution(v, n, "two spikes");
	free(v);
}

/* Exponential around 200 us with a 1% tail around 50 ms: what a server with
 * an occasional stall looks like. */
Test(hist_percentile, exponential_with_tail)
{
	size_t n = 300000;
	uint64_t *v = malloc(n * sizeof(*v)), s = 12345;
	for (size_t i = 0; i < n; i++) {
		double u = ((double)(ref_rand(&s) >> 11) + 1) / 9007199254740993.0; /* (0, 1] */
		double mean = i % 100 == 0 ? 50e6 : 200e3;
		v[i] = 1 + (uint64_t)(-log(u) * mean);
	}
	check_distribution(v, n, "exponential");
	free(v);
}

/* Log-uniform over the whole trackable range, 1 ns .. 1 h. */
Test(hist_percentile, log_uniform_whole_range)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v)), s = 777;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = ref_rand(&s);
		uint64_t x = (r >> 6) & ((1ull << (1 + r % 41)) - 1);
		v[i] = x ? x : 1;
	}
	check_distribution(v, n, "log-uniform");
	free(v);
}
