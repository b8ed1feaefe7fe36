/*
 * rbload merge: interval logs summed in 1-second bins of absolute time.
 *
 * Two passes over the logs: the first reads the header lines and interval
 * stamps only (the earliest start is bin 0's start, and whether a log has
 * Tag=uncorrected lines), the second decodes every histogram into its bin
 * (an interval counts in the bin where it starts), the input's total and the
 * merged totals.  A log without uncorrected lines (closed loop) gives its
 * untagged values to the uncorrected sums too, as rbload's run reports them.
 */
#include "merge.h"

#include "hlog.h"
#include "hsum.h"
#include "result.h"

#include "rb_hist.h"
#include "rb_version.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most seconds a merge spans: a week of 1-second bins. */
#define LG_MERGE_MAX_SPAN_S (7 * 86400.0)

typedef struct lg_minput {
	const char *path;
	lg_hlog_info info;
	int has_unc;           /* some line is tagged uncorrected */
	unsigned long skipped; /* lines with other tags */
	double first_abs;      /* earliest interval start (epoch s) */
	double end_abs;        /* latest interval end */
	rb_hist total;         /* its untagged values */
} lg_minput;

typedef struct lg_merge {
	lg_minput *in;
	int nin;
	double origin, end; /* bin 0's start; the latest interval end */
	lg_hsum corr, unc;
	rb_hist total_corr, total_unc, scratch;
	int any_unc;
	lg_minput *cur; /* the log being read */
	char err[768];
} lg_merge;

static void lg_merge_usage(FILE *f)
{
	fprintf(f,
		"Usage: rbload merge FILE.hlog... [--json FILE] [--hgrm FILE] [--hlog FILE] [-q]\n"
		"\n"
		"Sums HdrHistogram interval logs (rbload --hlog's, or any integer histogram log\n"
		"whose buckets map exactly into rbload's: 1 ns, 3 significant digits, up to\n"
		"73 min) interval by interval in 1-second bins of absolute time (bin 0 starts at\n"
		"the earliest interval; an interval counts in the bin where it starts), and in\n"
		"total; untagged lines and Tag=uncorrected lines are summed apart (a log without\n"
		"uncorrected lines counts its untagged values as uncorrected too). Prints the\n"
		"summary of a run: count, rate, percentiles, the per-second series, each input.\n"
		"\n"
		"      --json FILE       the merged report as JSON (- for standard output):\n"
		"                        latency_us, series, inputs (docs/loadgen.md)\n"
		"      --hgrm FILE       percentile distribution of the merged latencies, in ms\n"
		"      --hlog FILE       the merged interval log, one line per bin\n"
		"  -q, --quiet           no summary on standard output\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 merged; 1 a log cannot be read, is corrupt (the message names\n"
		"the file and line) or has buckets that cannot be merged exactly, or a report\n"
		"cannot be written; 2 a bad command line.\n");
}

static int lg_merge_flag_error(const char *msg, const char *arg)
{
	fprintf(stderr, "rbload merge: %s%s%s (see rbload merge --help)\n", msg, arg ? " " : "",
		arg ? arg : "");
	return 2;
}

/* Pass 1: stamps and tags. */
static int lg_merge_scan(void *arg, const lg_hlog_line *l)
{
	lg_merge *m = arg;
	lg_minput *in = m->cur;
	if (l->tag && !strcmp(l->tag, LG_HLOG_TAG_UNCORRECTED))
		in->has_unc = 1;
	else if (l->tag)
		return 0;
	if (l->start_abs < in->first_abs)
		in->first_abs = l->start_abs;
	if (l->start_abs + l->length_s > in->end_abs)
		in->end_abs = l->start_abs + l->length_s;
	return 0;
}

/* Pass 2: each histogram into its bin and the totals. */
static int lg_merge_add(void *arg, const lg_hlog_line *l)
{
	lg_merge *m = arg;
	lg_minput *in = m->cur;
	int unc = l->tag && !strcmp(l->tag, LG_HLOG_TAG_UNCORRECTED);
	if (l->tag && !unc) {
		in->skipped++;
		return 0;
	}
	if (lg_hlog_decode(l, &m->scratch, m->err, sizeof(m->err)))
		return -1;
	/* The bin where it starts; stamps are written to the ms. */
	double off = l->start_abs - m->origin;
	int64_t k = (int64_t)floor(off + 0.0005);
	double len = off - (double)k + l->length_s;
	len = len > 1.0 ? 1.0 : len < 0 ? 0 : len;
	int rc = 0;
	if (!unc) {
		rc = lg_hsum_add(&m->corr, k, len, &m->scratch) ||
		     rb_hist_merge(&in->total, &m->scratch) ||
		     rb_hist_merge(&m->total_corr, &m->scratch);
	}
	if (!rc && (unc || !in->has_unc))
		rc = lg_hsum_add(&m->unc, k, len, &m->scratch) ||
		     rb_hist_merge(&m->total_unc, &m->scratch);
	if (rc) {
		snprintf(m->err, sizeof(m->err), "%s:%lu: no memory for the sums", l->path,
			 l->lineno);
		return -1;
	}
	return 0;
}

static void lg_merge_pcts(FILE *f, const rb_hist *h)
{
	char a[32], b[32], c[32];
	fprintf(f, "p50 %9s  p99 %9s  max %9s",
		lg_fmt_ns((double)rb_hist_value_at_percentile(h, 50), a, sizeof(a)),
		lg_fmt_ns((double)rb_hist_value_at_percentile(h, 99), b, sizeof(b)),
		lg_fmt_ns((double)rb_hist_max(h), c, sizeof(c)));
}

static void lg_merge_human(lg_merge *m, FILE *f)
{
	char a[32], b[32], c[32], d[32], when[64];
	double secs = m->end - m->origin;
	uint64_t n = rb_hist_count(&m->total_corr);
	lg_fmt_epoch(m->origin, when, sizeof(when));
	fprintf(f, "rbload merge: %d log%s, %zu second%s from %s\n", m->nin, m->nin == 1 ? "" : "s",
		m->corr.n ? (size_t)(m->corr.bins[m->corr.n - 1].key - m->corr.bins[0].key + 1)
			  : (size_t)0,
		m->corr.n == 1 ? "" : "s", when);
	fprintf(f, "  Latency %s  %10s %10s %10s %10s\n", m->any_unc ? "(corrected)  " : "", "mean",
		"stdev", "min", "max");
	const rb_hist *hs[2] = {&m->total_corr, &m->total_unc};
	for (int i = 0; i < 1 + m->any_unc; i++)
		fprintf(f, "  %s  %10s %10s %10s %10s\n",
			m->any_unc ? (i ? "Latency (uncorrected)" : "                     ")
				   : "        ",
			lg_fmt_ns(rb_hist_mean(hs[i]), a, sizeof(a)),
			lg_fmt_ns(rb_hist_stddev(hs[i]), b, sizeof(b)),
			lg_fmt_ns((double)rb_hist_min(hs[i]), c, sizeof(c)),
			lg_fmt_ns((double)rb_hist_max(hs[i]), d, sizeof(d)));
	fprintf(f, "  Latency distribution%s\n", m->any_unc ? "  corrected  uncorrected" : "");
	static const double pct[] = {50, 75, 90, 99, 99.9, 99.99, 100};
	for (unsigned i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		fprintf(f, "    %7.3f%%  %10s", pct[i],
			lg_fmt_ns((double)rb_hist_value_at_percentile(&m->total_corr, pct[i]), a,
				  sizeof(a)));
		if (m->any_unc)
			fprintf(f, "  %10s",
				lg_fmt_ns((double)rb_hist_value_at_percentile(&m->total_unc,
									      pct[i]),
					  b, sizeof(b)));
		fputc('\n', f);
	}
	fprintf(f, "  %" PRIu64 " requests in %.2fs\n", n, secs);
	fprintf(f, "Requests/sec: %12.2f\n", secs > 0 ? (double)n / secs : 0.0);
	fprintf(f, "  Per second (corrected):\n");
	for (size_t i = 0; i < m->corr.n; i++) {
		lg_hsum_get(&m->corr, i, &m->scratch);
		fprintf(f, "    %4" PRId64 "  %10" PRIu64 "  ", m->corr.bins[i].key + 1,
			rb_hist_count(&m->scratch));
		lg_merge_pcts(f, &m->scratch);
		fputc('\n', f);
	}
	fprintf(f, "  Inputs:\n");
	for (int i = 0; i < m->nin; i++) {
		lg_minput *in = &m->in[i];
		lg_fmt_epoch(in->info.start_time, when, sizeof(when));
		fprintf(f, "    %s: StartTime %s, %lu intervals, %" PRIu64 " requests, ", in->path,
			when, in->info.intervals, rb_hist_count(&in->total));
		lg_merge_pcts(f, &in->total);
		if (in->skipped)
			fprintf(f, " (%lu lines of other tags skipped)", in->skipped);
		fputc('\n', f);
	}
}

static int lg_merge_json(lg_merge *m, const char *path)
{
	int to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "rbload merge: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	double secs = m->end - m->origin;
	uint64_t n = rb_hist_count(&m->total_corr);
	fprintf(f,
		"{\n  \"tool\": \"rbload\", \"command\": \"merge\", \"version\": \"%s\", \"commit\": "
		"\"%s%s\", \"schema\": 1,\n",
		RB_VERSION, RB_GIT_COMMIT, RB_GIT_DIRTY ? "-dirty" : "");
	fprintf(f, "  \"start_time\": %.3f,\n  \"requests\": %" PRIu64 ",\n", m->origin, n);
	fprintf(f, "  \"duration_s\": %.6f,\n  \"requests_per_s\": %.3f,\n", secs,
		secs > 0 ? (double)n / secs : 0.0);
	fprintf(f, "  \"latency_us\": {\n    \"corrected\": ");
	lg_json_latency(f, &m->total_corr);
	fprintf(f, ",\n    \"uncorrected\": ");
	lg_json_latency(f, &m->total_unc);
	fprintf(f, "\n  },\n  \"series\": [");
	/* One entry per second from the first bin to the last, empty ones too. */
	int64_t last = m->corr.n ? m->corr.bins[m->corr.n - 1].key : -1;
	size_t i = 0;
	for (int64_t k = 0; k <= last; k++) {
		rb_hist_reset(&m->scratch);
		if (i < m->corr.n && m->corr.bins[i].key == k)
			lg_hsum_get(&m->corr, i++, &m->scratch);
		fprintf(f,
			"%s\n    {\"t\": %" PRId64 ", \"requests\": %" PRIu64
			", \"p50_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f}",
			k ? "," : "", k + 1, rb_hist_count(&m->scratch),
			(double)rb_hist_value_at_percentile(&m->scratch, 50) / 1e3,
			(double)rb_hist_value_at_percentile(&m->scratch, 99) / 1e3,
			(double)rb_hist_max(&m->scratch) / 1e3);
	}
	fprintf(f, "%s],\n  \"inputs\": [", last >= 0 ? "\n  " : "");
	for (int j = 0; j < m->nin; j++) {
		lg_minput *in = &m->in[j];
		fprintf(f, "%s\n    {\"file\": ", j ? "," : "");
		lg_json_str(f, in->path);
		fprintf(f,
			", \"start_time\": %.3f, \"intervals\": %lu, \"requests\": %" PRIu64
			", \"p50_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f, \"uncorrected\": %s"
			", \"skipped_lines\": %lu}",
			in->info.start_time, in->info.intervals, rb_hist_count(&in->total),
			(double)rb_hist_value_at_percentile(&in->total, 50) / 1e3,
			(double)rb_hist_value_at_percentile(&in->total, 99) / 1e3,
			(double)rb_hist_max(&in->total) / 1e3, in->has_unc ? "true" : "false",
			in->skipped);
	}
	fprintf(f, "\n  ]\n}\n");
	int bad = ferror(f);
	if (to_stdout ? fflush(f) : fclose(f))
		bad = 1;
	if (bad) {
		fprintf(stderr, "rbload merge: --json %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static int lg_merge_hgrm(lg_merge *m, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "rbload merge: --hgrm %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = rb_hist_write_percentiles(&m->total_corr, f, RB_HIST_SCALE_MS);
	if (fclose(f) || rc) {
		fprintf(stderr, "rbload merge: --hgrm %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static void lg_merge_free(lg_merge *m)
{
	for (int i = 0; m->in && i < m->nin; i++)
		rb_hist_free(&m->in[i].total);
	free(m->in);
	lg_hsum_free(&m->corr);
	lg_hsum_free(&m->unc);
	rb_hist_free(&m->total_corr);
	rb_hist_free(&m->total_unc);
	rb_hist_free(&m->scratch);
}

int lg_merge_main(int argc, char **argv)
{
	const char *json = NULL, *hgrm = NULL, *hlog = NULL;
	int quiet = 0;
	lg_merge m;
	memset(&m, 0, sizeof(m));
	m.in = calloc((size_t)argc, sizeof(*m.in));
	if (!m.in) {
		fprintf(stderr, "rbload merge: no memory\n");
		return 1;
	}
	int rc = 0;
	for (int i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			lg_merge_usage(stdout);
			free(m.in);
			return 0;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		} else if (!strncmp(a, "--json", 6)) {
			dst = &json;
		} else if (!strncmp(a, "--hgrm", 6)) {
			dst = &hgrm;
		} else if (!strncmp(a, "--hlog", 6)) {
			dst = &hlog;
		} else if (a[0] == '-' && a[1]) {
			rc = lg_merge_flag_error("unknown flag", a);
			break;
		} else {
			m.in[m.nin++].path = a;
			continue;
		}
		const char *v = NULL;
		if (a[6] == '=')
			v = a + 7;
		else if (a[6])
			rc = lg_merge_flag_error("unknown flag", a);
		else if (i + 1 < argc)
			v = argv[++i];
		else
			rc = lg_merge_flag_error(a, "needs a value");
		if (v && !*v)
			rc = lg_merge_flag_error(a, "needs a file name");
		*dst = v;
	}
	if (!rc && m.nin == 0)
		rc = lg_merge_flag_error("no log given; usage: rbload merge FILE.hlog...", NULL);
	if (rc) {
		free(m.in);
		return rc;
	}

	if (lg_hsum_init(&m.corr, RB_HIST_HOUR_NS) || lg_hsum_init(&m.unc, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&m.total_corr, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&m.total_unc, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&m.scratch, RB_HIST_HOUR_NS)) {
		fprintf(stderr, "rbload merge: no memory\n");
		rc = 1;
		goto out;
	}
	/* Pass 1: where each log starts and ends, and its tags. */
	m.origin = INFINITY;
	m.end = -INFINITY;
	for (int i = 0; i < m.nin; i++) {
		lg_minput *in = &m.in[i];
		in->first_abs = INFINITY;
		in->end_abs = -INFINITY;
		if (rb_hist_init(&in->total, RB_HIST_HOUR_NS)) {
			fprintf(stderr, "rbload merge: no memory\n");
			rc = 1;
			goto out;
		}
		m.cur = in;
		if (lg_hlog_read(in->path, lg_merge_scan, &m, &in->info, m.err, sizeof(m.err))) {
			fprintf(stderr, "rbload merge: %s\n", m.err);
			rc = 1;
			goto out;
		}
		if (!in->info.intervals) {
			fprintf(stderr,
				"rbload merge: %s: no interval lines (not an interval log?)\n",
				in->path);
			rc = 1;
			goto out;
		}
		m.any_unc |= in->has_unc;
		if (in->first_abs < m.origin)
			m.origin = in->first_abs;
		if (in->end_abs > m.end)
			m.end = in->end_abs;
	}
	if (!isfinite(m.origin)) {
		fprintf(stderr, "rbload merge: no untagged or uncorrected interval in the logs\n");
		rc = 1;
		goto out;
	}
	if (m.end - m.origin > LG_MERGE_MAX_SPAN_S) {
		/* one bin a second: logs years apart would make a series of millions */
		char a[64], b[64];
		const lg_minput *first = m.in, *last = m.in;
		for (int i = 0; i < m.nin; i++) {
			if (m.in[i].first_abs < first->first_abs)
				first = &m.in[i];
			if (m.in[i].end_abs > last->end_abs)
				last = &m.in[i];
		}
		lg_fmt_epoch(m.origin, a, sizeof(a));
		lg_fmt_epoch(m.end, b, sizeof(b));
		fprintf(stderr,
			"rbload merge: the logs span %.0f s, from %s (%s) to %s (%s); allowed: at "
			"most %.0f s (are they of one run?)\n",
			m.end - m.origin, a, first->path, b, last->path, LG_MERGE_MAX_SPAN_S);
		rc = 1;
		goto out;
	}
	/* Pass 2: the histograms. */
	for (int i = 0; i < m.nin; i++) {
		lg_minput *in = &m.in[i];
		m.cur = in;
		lg_hlog_info again;
		if (lg_hlog_read(in->path, lg_merge_add, &m, &again, m.err, sizeof(m.err))) {
			fprintf(stderr, "rbload merge: %s\n", m.err);
			rc = 1;
			goto out;
		}
	}

	if (!quiet)
		lg_merge_human(&m, stdout);
	if (json && lg_merge_json(&m, json))
		rc = 1;
	if (hgrm && lg_merge_hgrm(&m, hgrm))
		rc = 1;
	if (hlog) {
		char comment[64];
		snprintf(comment, sizeof(comment), "rbload %s merge of %d logs", RB_VERSION, m.nin);
		if (lg_hlog_write_file(hlog, "merge --hlog", comment, m.origin, 0, &m.corr,
				       m.any_unc ? &m.unc : NULL))
			rc = 1;
	}
out:
	lg_merge_free(&m);
	return rc;
}
