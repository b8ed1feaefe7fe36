/* rb_hist_write_percentiles: HdrHistogram's percentile-distribution text,
 * written to memory and parsed back. */
#include "hist_ref.h"

#include <math.h>
#include <stdio.h>

#define MAX_LINES 4096

typedef struct parsed {
	int n;                   /* data lines */
	double value[MAX_LINES]; /* column 1 */
	char value_str[MAX_LINES][32];
	double pct[MAX_LINES];     /* column 2, 0..1 */
	uint64_t count[MAX_LINES]; /* column 3 */
	double inv[MAX_LINES];     /* column 4 (inf on the last line) */
	double mean, stddev, max;
	uint64_t total;
	unsigned buckets, subbuckets;
	int clamped_line; /* the "#[Clamped" line was there */
	uint64_t below, above;
} parsed;

static char *write_text(const rb_hist *h, double scale)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(rb_hist_write_percentiles(h, f, scale), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* Parse text strictly: header, blank line, data lines, three footer lines,
 * the optional clamp line, nothing else. */
static void parse(const char *text, parsed *p)
{
	memset(p, 0, sizeof(*p));
	const char *s = text;
	const char *head = "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n";
	cr_assert_eq(strncmp(s, head, strlen(head)), 0, "header: %.80s", s);
	s += strlen(head);
	while (*s && *s != '#') {
		const char *eol = strchr(s, '\n');
		cr_assert_not_null(eol);
		cr_assert_eq(eol - s, 51, "a data line is 4 columns of 12 and 3 spaces: %.*s",
			     (int)(eol - s), s);
		cr_assert_lt(p->n, MAX_LINES);
		int used = 0;
		char inv[32];
		int got = sscanf(s, "%31s %lf %lu %31s%n", p->value_str[p->n], &p->pct[p->n],
				 &p->count[p->n], inv, &used);
		cr_assert_eq(got, 4, "line: %.*s", (int)(eol - s), s);
		cr_assert_eq(s + used, eol);
		p->value[p->n] = strtod(p->value_str[p->n], NULL);
		p->inv[p->n] = strcmp(inv, "inf") ? strtod(inv, NULL) : INFINITY;
		p->n++;
		s = eol + 1;
	}
	int used = 0;
	int got = sscanf(s,
			 "#[Mean    = %lf, StdDeviation   = %lf]\n"
			 "#[Max     = %lf, Total count    = %lu]\n"
			 "#[Buckets = %u, SubBuckets     = %u]\n%n",
			 &p->mean, &p->stddev, &p->max, &p->total, &p->buckets, &p->subbuckets,
			 &used);
	cr_assert_eq(got, 6, "footer: %s", s);
	cr_assert_gt(used, 0);
	s += used;
	if (*s) {
		double top;
		got = sscanf(s, "#[Clamped: below 1 = %lu, above %lf = %lu]\n%n", &p->below, &top,
			     &p->above, &used);
		cr_assert_eq(got, 3, "clamp line: %s", s);
		p->clamped_line = 1;
		s += used;
	}
	cr_assert_eq(*s, '\0', "trailing text: %s", s);
}

/* What must hold for any histogram's text. */
static void check_text(const rb_hist *h, double scale, const parsed *p)
{
	char want[64];
	cr_assert_gt(p->n, 1);
	for (int i = 0; i < p->n; i++) {
		if (i) {
			cr_assert_geq(p->value[i], p->value[i - 1], "line %d: values", i);
			cr_assert_geq(p->pct[i], p->pct[i - 1], "line %d: percentiles", i);
			cr_assert_geq(p->count[i], p->count[i - 1], "line %d: counts", i);
		}
		cr_assert(p->pct[i] >= 0 && p->pct[i] <= 1);
		if (p->pct[i] < 1) /* both columns are rounded: compare percentiles */
			cr_assert_float_eq(1 - 1 / p->inv[i], p->pct[i],
					   1e-6 + 0.0051 / (p->inv[i] * p->inv[i]), "line %d", i);
		/* The line's count is the cumulative count at a slot, and its value that
		 * slot's reported value. */
		rb_hist_iter it;
		rb_hist_iter_init(&it, h);
		int found = 0;
		while (!found && rb_hist_iter_next(&it))
			if (it.cumulative == p->count[i]) {
				snprintf(want, sizeof(want), "%.3f", (double)it.highest / scale);
				cr_assert_str_eq(p->value_str[i], want, "line %d", i);
				found = 1;
			}
		cr_assert(found, "line %d: count %lu is no slot's cumulative count", i,
			  p->count[i]);
		/* A slot's cumulative count reaches the line's percentile there. */
		cr_assert_geq((double)p->count[i] / (double)h->total + 1e-6, p->pct[i]);
	}
	cr_assert_eq(p->pct[0], 0.0);
	cr_assert_eq(p->pct[p->n - 1], 1.0);
	cr_assert(isinf(p->inv[p->n - 1]));
	cr_assert_eq(p->count[p->n - 1], rb_hist_count(h));
	cr_assert_eq(p->value[p->n - 2], p->value[p->n - 1], "the last slot: once, then at 100%%");

	cr_assert_eq(p->total, rb_hist_count(h));
	cr_assert_float_eq(p->mean, rb_hist_mean(h) / scale, 0.0005 + 1e-12 * p->mean);
	cr_assert_float_eq(p->stddev, rb_hist_stddev(h) / scale, 0.0005 + 1e-12 * p->stddev);
	cr_assert_float_eq(p->max, (double)rb_hist_max(h) / scale, 0.0005 + 1e-12 * p->max);
	cr_assert_eq(p->buckets, h->nbuckets);
	cr_assert_eq(p->subbuckets, 2048u);
	cr_assert_eq(p->clamped_line, rb_hist_below(h) || rb_hist_above(h));
	cr_assert_eq(p->below, rb_hist_below(h));
	cr_assert_eq(p->above, rb_hist_above(h));
}

/* The whole text for one value, byte for byte (what HdrHistogram prints too). */
Test(hist_text, single_value_exact_text)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	rb_hist_record(&h, 1000);
	char *t = write_text(&h, RB_HIST_SCALE_US);
	cr_assert_str_eq(t, "       Value   Percentile   TotalCount 1/(1-Percentile)\n"
			    "\n"
			    "       1.000     0.000000            1         1.00\n"
			    "       1.000     1.000000            1          inf\n"
			    "#[Mean    =        1.000, StdDeviation   =        0.000]\n"
			    "#[Max     =        1.000, Total count    =            1]\n"
			    "#[Buckets =           32, SubBuckets     =         2048]\n");
	free(t);
	rb_hist_free(&h);
}

Test(hist_text, empty)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	char *t = write_text(&h, RB_HIST_SCALE_MS);
	cr_assert_str_eq(t, "       Value   Percentile   TotalCount 1/(1-Percentile)\n"
			    "\n"
			    "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
			    "#[Max     =        0.000, Total count    =            0]\n"
			    "#[Buckets =           32, SubBuckets     =         2048]\n");
	free(t);
	rb_hist_free(&h);
}

/* Uniform 1..100000: every percentile step lands on its own line, so the
 * percentile column is HdrHistogram's tick sequence for 5 ticks per half
 * distance (0, 10, ..., 50, 55, ..., 75, 77.5, ...). */
Test(hist_text, uniform_tick_sequence)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	for (int v = 1; v <= 100000; v++)
		rb_hist_record(&h, v);
	char *t = write_text(&h, 1.0);
	parsed *p = malloc(sizeof(*p));
	parse(t, p);
	check_text(&h, 1.0, p);
	static const double ticks[] = {0,       0.1,   0.2,     0.3,    0.4,     0.5,     0.55,
				       0.6,     0.65,  0.7,     0.75,   0.775,   0.8,     0.825,
				       0.85,    0.875, 0.8875,  0.9,    0.9125,  0.925,   0.9375,
				       0.94375, 0.95,  0.95625, 0.9625, 0.96875, 0.971875};
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++)
		cr_assert_float_eq(p->pct[i], ticks[i], 1e-7, "tick %zu: %f", i, p->pct[i]);
	/* p50 is 50000, in the slot [49984, 50015]: the slot's highest value, and
	 * the count of values up to it. */
	cr_assert_str_eq(p->value_str[5], "50015.000");
	cr_assert_eq(p->count[5], 50015u);
	cr_assert_str_eq(p->value_str[1], "10007.000", "p10 is 10000, in [10000, 10007]");
	cr_assert_str_eq(p->value_str[p->n - 1], "100000.000", "the exact max, not its slot's end");
	free(p);
	free(t);
	rb_hist_free(&h);
}

Test(hist_text, distributions_parse_back)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	parsed *p = malloc(sizeof(*p));
	uint64_t s = 11;

	/* exponential-ish latencies in ns, printed in ms as the plotter wants */
	for (int i = 0; i < 500000; i++) {
		double u = ((double)(ref_rand(&s) >> 11) + 1) / 9007199254740993.0;
		rb_hist_record(&h, 1 + (int64_t)(-log(u) * (i % 1000 ? 150e3 : 20e6)));
	}
	char *t = write_text(&h, RB_HIST_SCALE_MS);
	parse(t, p);
	check_text(&h, RB_HIST_SCALE_MS, p);
	cr_assert_gt(p->n, 50);
	free(t);

	/* two spikes, printed in us */
	rb_hist_reset(&h);
	rb_hist_record_n(&h, 250000, 9990);
	rb_hist_record_n(&h, 2000000000, 10);
	t = write_text(&h, RB_HIST_SCALE_US);
	parse(t, p);
	check_text(&h, RB_HIST_SCALE_US, p);
	free(t);

	/* clamped values at both ends: the extra comment line */
	rb_hist_record(&h, 0);
	rb_hist_record_n(&h, 2 * (int64_t)rb_hist_highest(&h), 2);
	t = write_text(&h, RB_HIST_SCALE_MS);
	parse(t, p);
	check_text(&h, RB_HIST_SCALE_MS, p);
	cr_assert_eq(p->below, 1u);
	cr_assert_eq(p->above, 2u);
	free(t);

	free(p);
	rb_hist_free(&h);
}
