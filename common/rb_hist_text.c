/*
 * HdrHistogram's "percentile distribution" text, the format wrk2 --latency
 * prints and HdrHistogram's plotter (and hdr-plot) read:
 *
 *	       Value   Percentile   TotalCount 1/(1-Percentile)
 *	<blank line>
 *	      12.345     0.000000            1         1.00
 *	...
 *	#[Mean    =       12.345, StdDeviation   =        0.123]
 *	#[Max     =       12.345, Total count    =         1000]
 *	#[Buckets =           32, SubBuckets     =         2048]
 *
 * Lines come from HdrHistogram's percentile iteration: the reported percentile
 * starts at 0 and steps by 100 / (ticks * 2^k), where 2^k is the smallest power
 * of two above 100 / (100 - percentile), so every halving of the distance to
 * 100% gets `ticks` lines.  A line is printed at a slot once the cumulative
 * count there reaches the percentile (several lines may share a slot); the
 * last slot gets one such line and then the 100% line.  Values are the slot's
 * highest value capped at the exact max, as rb_hist_value_at_percentile()
 * reports them.  Max is the exact max.  When values were clamped, one more
 * comment line follows the footer (plotters skip '#' lines).
 */
#include "rb_hist.h"

#include <errno.h>
#include <inttypes.h>

#define RB_HIST_TICKS_PER_HALF 5

/* The next percentile to report after p (< 100). */
static double rb_hist_next_percentile(double p)
{
	/* HdrHistogram: half_distance = 2^(floor(log2(100 / (100 - p))) + 1),
	 * the smallest power of two above 100 / (100 - p), found without libm. */
	double r = 100.0 / (100.0 - p), half = 1;
	while (half <= r && half < 0x1p62)
		half *= 2;
	return p + 100.0 / (RB_HIST_TICKS_PER_HALF * half);
}

static int rb_hist_line(FILE *f, double value, double p, uint64_t cum)
{
	double q = p / 100.0;
	return fprintf(f, "%12.3f %12f %12" PRIu64 " %12.2f\n", value, q, cum, 1.0 / (1.0 - q));
}

int rb_hist_write_percentiles(const rb_hist *h, FILE *f, double unit_scale)
{
	if (!(unit_scale > 0))
		unit_scale = 1.0;
	if (fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
		    "1/(1-Percentile)") < 0)
		return -EIO;

	if (h->total) {
		rb_hist_iter it;
		rb_hist_iter_init(&it, h); /* for the slot range */
		uint32_t i = it.idx;
		uint64_t cum = h->counts[i];
		double p = 0.0;
		for (;;) {
			if (h->counts[i] && p <= 100.0 * (double)cum / (double)h->total) {
				double v = (double)rb_hist_slot_value(h, i) / unit_scale;
				if (rb_hist_line(f, v, p, cum) < 0)
					return -EIO;
				if (cum >= h->total)
					break;
				p = rb_hist_next_percentile(p);
				continue;
			}
			if (cum >= h->total || i + 1 >= it.end)
				break; /* not reached: the last slot prints */
			cum += h->counts[++i];
		}
		if (rb_hist_line(f, (double)rb_hist_slot_value(h, i) / unit_scale, 100.0, cum) < 0)
			return -EIO;
	}

	if (fprintf(f,
		    "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
		    "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n"
		    "#[Buckets = %12u, SubBuckets     = %12u]\n",
		    rb_hist_mean(h) / unit_scale, rb_hist_stddev(h) / unit_scale,
		    (double)rb_hist_max(h) / unit_scale, h->total, h->nbuckets,
		    RB_HIST_SUB_COUNT) < 0)
		return -EIO;
	if ((h->below || h->above) &&
	    fprintf(f, "#[Clamped: below 1 = %" PRIu64 ", above %.3f = %" PRIu64 "]\n", h->below,
		    (double)h->highest / unit_scale, h->above) < 0)
		return -EIO;
	return 0;
}
