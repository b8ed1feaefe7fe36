/* The wrk-like summary on standard output. */
#include "result.h"

#include <inttypes.h>
#include <stdio.h>

/* A duration in ns as "812.00us", "1.25ms", "2.10s". */
const char *lg_fmt_ns(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

static const char *lg_fmt_bytes(double b, char *buf, size_t len)
{
	const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.2f%s" : "%.0f%s", b, unit[u]);
	return buf;
}

/* One line of a phase's percentiles (connect, first byte), when it has any. */
static void lg_report_phase(FILE *f, const char *name, const rb_hist *h)
{
	if (!rb_hist_count(h))
		return;
	char a[32], b[32], c[32], d[32];
	fprintf(f, "  %-11s p50 %s  p90 %s  p99 %s  max %s\n", name,
		lg_fmt_ns((double)rb_hist_value_at_percentile(h, 50), a, sizeof(a)),
		lg_fmt_ns((double)rb_hist_value_at_percentile(h, 90), b, sizeof(b)),
		lg_fmt_ns((double)rb_hist_value_at_percentile(h, 99), c, sizeof(c)),
		lg_fmt_ns((double)rb_hist_max(h), d, sizeof(d)));
}

/* rbload-mpi: a line per rank (CPU: its threads' share of their CPUs, and
 * the busiest thread's; skew: how late its window opened, on its clock;
 * offset: its clock against rank 0's). */
static void lg_report_ranks(const lg_result *r, FILE *f)
{
	char a[32], b[32], off[40];
	fprintf(f, "Ranks: %4s  %-20s %7s %11s %12s %5s %5s %7s %9s %9s\n", "rank", "host", "conns",
		"requests", "req/s", "CPU", "max", "errors", "skew", "offset");
	for (uint32_t i = 0; i < r->nranks; i++) {
		const lg_rank *k = &r->ranks[i];
		double secs = k->duration_s > 0 ? k->duration_s : 1;
		double share = k->threads ? k->cpu_s / (secs * k->threads) : 0;
		double ns = k->clock_offset_s * 1e9;
		snprintf(off, sizeof(off), "%s%s", ns < 0 ? "-" : "",
			 lg_fmt_ns(ns < 0 ? -ns : ns, b, sizeof(b)));
		fprintf(f,
			"       %4u  %-20.20s %7u %11" PRIu64 " %12.1f %4.0f%% %4.0f%% %7" PRIu64
			" %9s %9s\n",
			k->rank, k->host, k->connections, k->requests, (double)k->requests / secs,
			share * 100, k->busy_max * 100, k->errors,
			lg_fmt_ns(k->skew_s * 1e9, a, sizeof(a)), off);
		if (k->stopped[0])
			fprintf(f, "         rank %u stopped early: %s\n", k->rank, k->stopped);
	}
}

/* https://: what was agreed, the handshakes, kTLS. */
static void lg_report_tls(const lg_result *r, FILE *f)
{
	const lg_counts *k = &r->counts;
	if (!r->cfg->tls)
		return;
	double secs = r->duration_s > 0 ? r->duration_s : 1;
	fprintf(f,
		"TLS:   %s %s, %" PRIu64 " handshakes (%.1f/s): %" PRIu64 " resumed, %" PRIu64
		" full; ",
		r->tls_version ? r->tls_version : "(none agreed)",
		r->tls_cipher ? r->tls_cipher : "", k->tls_handshakes,
		(double)k->tls_handshakes / secs, k->tls_resumed,
		k->tls_handshakes - k->tls_resumed);
	if (r->ktls || k->ktls_tx || k->ktls_rx)
		fprintf(f, "kTLS TX on %" PRIu64 " sockets, RX on %" PRIu64, k->ktls_tx,
			k->ktls_rx);
	else
		fprintf(f, "kTLS off");
	if (k->ktls_refused || k->ktls_rx_refused)
		fprintf(f, ", refused TX %" PRIu64 " RX %" PRIu64, k->ktls_refused,
			k->ktls_rx_refused);
	fprintf(f, "%s%s\n", r->ktls_why[0] ? ": " : "", r->ktls_why);
	lg_report_phase(f, "Handshake", &r->tls_hs);
}

/* After the rates: CPU, errors, status codes, connections, warnings. */
static void lg_report_tail(const lg_result *r, FILE *f)
{
	const lg_counts *k = &r->counts;
	char a[32];
	double secs = r->duration_s > 0 ? r->duration_s : 1;
	if (r->cpu_user_s + r->cpu_sys_s > 0 && k->requests)
		fprintf(f, "CPU:   %.2fs user, %.2fs sys, %.3f us per request\n", r->cpu_user_s,
			r->cpu_sys_s, (r->cpu_user_s + r->cpu_sys_s) * 1e6 / (double)k->requests);

	uint64_t errs = lg_counts_errors(k);
	uint64_t lost = k->unanswered - k->in_flight_end;
	if (errs || lost) {
		fprintf(f, "Errors:");
		for (int e = 0; e < LG_E__COUNT; e++)
			if (k->errors[e])
				fprintf(f, " %s %" PRIu64, lg_err_names[e], k->errors[e]);
		fprintf(f, "%s; %" PRIu64 " request%s lost unanswered\n", errs ? "" : " none", lost,
			lost == 1 ? "" : "s");
	}
	for (int e = LG_E_TLS_HANDSHAKE; e < LG_E__COUNT; e++)
		if (k->errors[e] && r->tls_why[e - LG_E_TLS_HANDSHAKE][0])
			fprintf(f, "  %s: %s\n", lg_err_names[e],
				r->tls_why[e - LG_E_TLS_HANDSHAKE]);
	if (k->errors[LG_E_STATUS])
		fprintf(f, "  Non-2xx or 3xx responses: %" PRIu64 "\n", k->errors[LG_E_STATUS]);
	/* What makes the run unlike a plain one: forced faults, a queue too small. */
	if (r->env.faults[0])
		fprintf(f, "  RB_FAULTS forced: %s (%" PRIu64 " injected)\n", r->env.faults,
			k->faults_hit);
	if (k->cq_overflows)
		fprintf(f, "  Completion queue overflowed after %" PRIu64 " waits\n",
			k->cq_overflows);
	int any = 0;
	for (int c = 0; c < LG_STATUS_CODES; c++) {
		if (!k->code[c])
			continue;
		fprintf(f, "%s %s %" PRIu64, any ? "," : "  Status codes:",
			c ? (snprintf(a, sizeof(a), "%d", c), a) : "other", k->code[c]);
		any = 1;
	}
	if (any)
		fputc('\n', f);
	any = 0;
	for (int e = 0; e <= LG_ERRNO_MAX; e++) {
		if (!k->sock_errno[e])
			continue;
		fprintf(f, "%s %s %" PRIu64,
			any ? "," : "  Socket errors:", lg_errno_name(e, a, sizeof(a)),
			k->sock_errno[e]);
		any = 1;
	}
	if (any)
		fputc('\n', f);
	if (k->connects || k->closed_by_server || k->closed_by_rbload)
		fprintf(f,
			"  Connections: %" PRIu64 " opened (%.1f/s), %" PRIu64
			" closed by the server, %" PRIu64 " by rbload\n",
			k->connects, (double)k->connects / secs, k->closed_by_server,
			k->closed_by_rbload);
	char warn[512];
	if (lg_saturation(r, warn, sizeof(warn)))
		fprintf(f, "Warning: %s\n", warn);
	if (r->nranks)
		lg_report_ranks(r, f);
}

void lg_report_human(const lg_result *r, FILE *f)
{
	const lg_config *cfg = r->cfg;
	const lg_counts *k = &r->counts;
	char a[32], b[32], c[32], d[32];
	int open = cfg->mode == LG_MODE_OPEN;

	if (r->nranks) /* rbload-mpi: threads are per rank (the first rank's here) */
		fprintf(f, "  %u rank%s of %u thread%s, %u connection%s, pipeline %u", r->nranks,
			r->nranks == 1 ? "" : "s", cfg->threads, cfg->threads == 1 ? "" : "s",
			cfg->connections, cfg->connections == 1 ? "" : "s", cfg->pipeline);
	else
		fprintf(f, "  %u thread%s, %u connection%s, pipeline %u", cfg->threads,
			cfg->threads == 1 ? "" : "s", cfg->connections,
			cfg->connections == 1 ? "" : "s", cfg->pipeline);
	if (open)
		fprintf(f, ", open loop at %.0f req/s", cfg->rate);
	fprintf(f, "; %.2fs measured%s\n", r->duration_s, r->interrupted ? " (interrupted)" : "");
	if (k->requests == 0) {
		fprintf(f, "  No response in the measured window.\n");
		lg_report_tls(r, f);
		lg_report_tail(r, f);
		return;
	}

	fprintf(f, "  Latency %s  %10s %10s %10s %10s\n", open ? "(corrected)  " : "", "mean",
		"stdev", "min", "max");
	fprintf(f, "          %s  %10s %10s %10s %10s\n", open ? "             " : "",
		lg_fmt_ns(rb_hist_mean(&r->corr), a, sizeof(a)),
		lg_fmt_ns(rb_hist_stddev(&r->corr), b, sizeof(b)),
		lg_fmt_ns((double)rb_hist_min(&r->corr), c, sizeof(c)),
		lg_fmt_ns((double)rb_hist_max(&r->corr), d, sizeof(d)));
	if (open) {
		fprintf(f, "  Latency (uncorrected)  %10s %10s %10s %10s\n",
			lg_fmt_ns(rb_hist_mean(&r->uncorr), a, sizeof(a)),
			lg_fmt_ns(rb_hist_stddev(&r->uncorr), b, sizeof(b)),
			lg_fmt_ns((double)rb_hist_min(&r->uncorr), c, sizeof(c)),
			lg_fmt_ns((double)rb_hist_max(&r->uncorr), d, sizeof(d)));
	}
	fprintf(f, "  Latency distribution%s\n", open ? "  corrected  uncorrected" : "");
	static const double pct[] = {50, 75, 90, 99, 99.9, 99.99, 100};
	for (unsigned i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		fprintf(f, "    %7.3f%%  %10s", pct[i],
			lg_fmt_ns((double)rb_hist_value_at_percentile(&r->corr, pct[i]), a,
				  sizeof(a)));
		if (open)
			fprintf(f, "  %10s",
				lg_fmt_ns((double)rb_hist_value_at_percentile(&r->uncorr, pct[i]),
					  b, sizeof(b)));
		fputc('\n', f);
	}
	lg_report_phase(f, "Connect", &r->connect);
	lg_report_phase(f, "First byte", &r->ttfb);
	lg_report_tls(r, f);
	double secs = r->duration_s > 0 ? r->duration_s : 1;
	fprintf(f, "  %" PRIu64 " requests in %.2fs, %s read, %s written\n", k->requests,
		r->duration_s, lg_fmt_bytes((double)k->bytes_read, a, sizeof(a)),
		lg_fmt_bytes((double)k->bytes_written, b, sizeof(b)));
	fprintf(f, "Requests/sec: %12.2f\n", (double)k->requests / secs);
	fprintf(f, "Transfer/sec: %12s\n",
		lg_fmt_bytes((double)k->bytes_read / secs, a, sizeof(a)));
	if (open)
		fprintf(f, "Rate:  %.2f req/s requested, %.2f sent\n", cfg->rate,
			(double)k->sent / secs);
	lg_report_tail(r, f);
}

int lg_report_hgrm(const lg_result *r, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	int rc = rb_hist_write_percentiles(&r->corr, f, RB_HIST_SCALE_MS);
	if (fclose(f) || rc) {
		fprintf(stderr, "rbload: --hgrm %s: write failed\n", path);
		return -1;
	}
	return 0;
}
