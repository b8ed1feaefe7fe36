/* The JSON report: the schema is in docs/loadgen.md. */
#include "result.h"

#include "rb_version.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void lg_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* key, then v with `decimals` places (integers up to 2^53 print exactly), or
 * null when the setting is absent. */
static void lg_json_num(FILE *f, const char *key, int present, int decimals, double v)
{
	fputs(key, f);
	if (present)
		fprintf(f, "%.*f", decimals, v);
	else
		fputs("null", f);
}

void lg_json_latency(FILE *f, const rb_hist *h)
{
	static const struct {
		const char *key;
		double p;
	} pct[] = {{"p50", 50},    {"p75", 75},      {"p90", 90},  {"p99", 99},
		   {"p999", 99.9}, {"p9999", 99.99}, {"p100", 100}};
	fprintf(f, "{\"min\": %.3f, \"mean\": %.3f, \"stddev\": %.3f, \"max\": %.3f",
		(double)rb_hist_min(h) / 1e3, rb_hist_mean(h) / 1e3, rb_hist_stddev(h) / 1e3,
		(double)rb_hist_max(h) / 1e3);
	for (unsigned i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		fprintf(f, ", \"%s\": %.3f", pct[i].key,
			(double)rb_hist_value_at_percentile(h, pct[i].p) / 1e3);
	fprintf(f, ", \"count\": %" PRIu64 "}", rb_hist_count(h));
}

/* How the event loop ran: its counters, the fallbacks it took, the faults
 * RB_FAULTS forced (an array of names). */
/* "tls": null for http://; else what was agreed, the handshakes, each TLS
 * error kind's first reason, kTLS. */
static void lg_json_tls(const lg_result *r, FILE *f)
{
	const lg_counts *k = &r->counts;
	if (!r->cfg->tls) {
		fprintf(f, "  \"tls\": null,\n");
		return;
	}
	double secs = r->duration_s;
	fprintf(f, "  \"tls\": {\"version\": ");
	if (r->tls_version)
		lg_json_str(f, r->tls_version);
	else
		fprintf(f, "null");
	fprintf(f, ", \"cipher\": ");
	if (r->tls_cipher)
		lg_json_str(f, r->tls_cipher);
	else
		fprintf(f, "null");
	fprintf(f, ", \"sni\": ");
	lg_json_str(f, r->cfg->sni ? r->cfg->sni : r->cfg->host_name);
	fprintf(f,
		", \"verify\": %s, \"resume\": %s,\n    \"handshakes\": %" PRIu64
		", \"handshakes_per_s\": %.3f, \"resumed\": %" PRIu64 ", \"full\": %" PRIu64
		",\n    \"handshake_us\": ",
		r->cfg->insecure ? "false" : "true", r->cfg->tls_resume ? "true" : "false",
		k->tls_handshakes, secs > 0 ? (double)k->tls_handshakes / secs : 0.0,
		k->tls_resumed, k->tls_handshakes - k->tls_resumed);
	lg_json_latency(f, &r->tls_hs);
	fprintf(f, ",\n    \"error_reasons\": {");
	int any = 0;
	for (int e = LG_E_TLS_HANDSHAKE; e < LG_E__COUNT; e++) {
		const char *why = r->tls_why[e - LG_E_TLS_HANDSHAKE];
		if (!k->errors[e] || !why[0])
			continue;
		fprintf(f, "%s\"%s\": ", any ? ", " : "", lg_err_names[e]);
		lg_json_str(f, why);
		any = 1;
	}
	/* ktls: some socket's TX or RX went to the kernel (from the counts
	 * too: rbload-mpi sums them over ranks); ktls_tx/_rx: how many sockets;
	 * ktls_refused: TX hand-overs refused; ktls_rx_*: the RX hand-over's
	 * tries, refusals, give-ups, tickets dropped; ktls_why: the probe's
	 * reason, or the first refusal, "" if none. */
	fprintf(f,
		"},\n    \"ktls\": %s, \"ktls_tx\": %" PRIu64 ", \"ktls_rx\": %" PRIu64
		", \"ktls_refused\": %" PRIu64 ", \"ktls_rx_tries\": %" PRIu64
		", \"ktls_rx_refused\": %" PRIu64 ", \"ktls_rx_unclean\": %" PRIu64
		", \"ktls_rx_tickets\": %" PRIu64 ", \"ktls_why\": ",
		r->ktls || k->ktls_tx || k->ktls_rx ? "true" : "false", k->ktls_tx, k->ktls_rx,
		k->ktls_refused, k->ktls_rx_tries, k->ktls_rx_refused, k->ktls_rx_unclean,
		k->ktls_rx_tickets);
	lg_json_str(f, r->ktls_why);
	fprintf(f, "},\n");
}

static void lg_json_ring(const lg_result *r, FILE *f)
{
	const lg_counts *k = &r->counts;
	fprintf(f,
		"  \"ring\": {\"enobufs\": %" PRIu64 ", \"cq_overflows\": %" PRIu64
		", \"sq_full\": %" PRIu64 ", \"stashed\": %" PRIu64 ", \"faults_hit\": %" PRIu64
		",\n    \"flags\": ",
		k->enobufs, k->cq_overflows, k->sq_full, k->stashed, k->faults_hit);
	lg_json_str(f, r->env.ring_flags);
	fprintf(f, ", \"sq_entries\": %u, \"cq_entries\": %u", r->env.sq_entries,
		r->env.cq_entries);
	fprintf(f, ", \"recv_buffers\": %u, \"recv_buffer_size\": %u", r->cfg->recv_buffers,
		r->cfg->recv_buffer_size);
	fprintf(f,
		", \"multishot_recv\": %s, \"buffers\": \"%s\", \"cancel_fd\": %s, \"faults\": [",
		r->env.multishot_recv ? "true" : "false", r->env.legacy_buffers ? "legacy" : "ring",
		r->env.cancel_fd ? "true" : "false");
	const char *p = r->env.faults;
	for (int first = 1; *p; first = 0) {
		size_t n = strcspn(p, " ");
		fprintf(f, "%s\"%.*s\"", first ? "" : ", ", (int)n, p);
		p += n;
		p += *p == ' ';
	}
	fprintf(f, "]},\n");
}

/* rbload-mpi: one object per rank, so a saturated or failing load host shows. */
static void lg_json_ranks(const lg_result *r, FILE *f)
{
	fprintf(f, ",\n  \"ranks\": [");
	for (uint32_t i = 0; i < r->nranks; i++) {
		const lg_rank *k = &r->ranks[i];
		double secs = k->duration_s > 0 ? k->duration_s : 0;
		fprintf(f, "%s\n    {\"rank\": %u, \"host\": ", i ? "," : "", k->rank);
		lg_json_str(f, k->host);
		fprintf(f,
			", \"connections\": %u, \"threads\": %u, \"cpus_allowed\": %u, "
			"\"requests\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"errors\": %" PRIu64
			", \"duration_s\": %.6f, \"requests_per_s\": %.3f",
			k->connections, k->threads, k->cpus_allowed, k->requests, k->sent,
			k->errors, secs, secs > 0 ? (double)k->requests / secs : 0.0);
		lg_json_num(f, ", \"rate_requested\": ", k->rate_requested > 0, 3,
			    k->rate_requested);
		fprintf(f,
			",\n     \"cpu_s\": %.6f, \"cpu_share\": %.4f, \"busy_max\": %.4f, "
			"\"start_skew_us\": %.3f, \"clock_offset_us\": %.3f, \"clock_rtt_us\": %.3f, "
			"\"clock_corrected\": %s, \"stopped_early\": ",
			k->cpu_s, secs > 0 && k->threads ? k->cpu_s / (secs * k->threads) : 0.0,
			k->busy_max, k->skew_s * 1e6, k->clock_offset_s * 1e6, k->clock_rtt_s * 1e6,
			k->clock_corrected ? "true" : "false");
		if (k->stopped[0])
			lg_json_str(f, k->stopped);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "\n  ]");
}

static void lg_json_body(const lg_result *r, FILE *f)
{
	const lg_config *cfg = r->cfg;
	const lg_counts *k = &r->counts;
	char when[32];
	struct tm tm;
	gmtime_r(&r->started_at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	double secs = r->duration_s > 0 ? r->duration_s : 0;

	fprintf(f,
		"{\n  \"tool\": \"rbload\", \"version\": \"%s\", \"commit\": \"%s%s\", "
		"\"schema\": 1,\n  \"started_at\": \"%s\",\n",
		RB_VERSION, RB_GIT_COMMIT, RB_GIT_DIRTY ? "-dirty" : "", when);

	fprintf(f, "  \"config\": {\"urls\": [");
	for (uint32_t i = 0; i < cfg->nurls; i++) {
		fprintf(f, i ? ", " : "");
		lg_json_str(f, cfg->urls[i].text);
	}
	fprintf(f, "], \"weights\": [");
	for (uint32_t i = 0; i < cfg->nurls; i++)
		fprintf(f, "%s%u", i ? ", " : "", cfg->urls[i].weight);
	fprintf(f, "], \"method\": ");
	lg_json_str(f, cfg->method);
	fprintf(f, ", \"headers\": [");
	for (uint32_t i = 0; i < cfg->nheaders; i++) {
		fprintf(f, i ? ", " : "");
		lg_json_str(f, cfg->headers[i]);
	}
	fprintf(f, "], \"body_bytes\": %zu,\n    \"connections\": %u, \"threads\": %u, \"cpus\": [",
		cfg->body ? cfg->body_len : 0, cfg->connections, cfg->threads);
	for (uint32_t i = 0; i < cfg->threads; i++)
		fprintf(f, "%s%d", i ? ", " : "", cfg->cpus[i % cfg->ncpus]);
	fprintf(f, "], \"pipeline\": %u, \"mode\": \"%s\"", cfg->pipeline,
		cfg->mode == LG_MODE_OPEN    ? "open"
		: cfg->mode == LG_MODE_CLOSE ? "close"
					     : "closed");
	lg_json_num(f, ", \"rate\": ", cfg->mode == LG_MODE_OPEN, 3, cfg->rate);
	lg_json_num(f, ",\n    \"duration_s\": ", cfg->duration_ns > 0, 3,
		    (double)cfg->duration_ns / 1e9);
	lg_json_num(f, ", \"requests_limit\": ", cfg->requests > 0, 0, (double)cfg->requests);
	fprintf(f, ", \"warmup_s\": %.3f, \"ramp_s\": %.3f, \"timeout_s\": %.3f",
		(double)cfg->warmup_ns / 1e9, (double)cfg->ramp_ns / 1e9,
		(double)cfg->timeout_ns / 1e9);
	fprintf(f, ",\n    \"host\": ");
	lg_json_str(f, cfg->host_name);
	fprintf(f, ", \"address\": ");
	lg_json_str(f, cfg->address);
	fprintf(f, ", \"resolved\": %s, \"source\": ", cfg->resolved ? "true" : "false");
	if (cfg->source_text)
		lg_json_str(f, cfg->source_text);
	else
		fprintf(f, "null");
	fprintf(f, ", \"source_addresses\": %" PRIu64,
		cfg->sources.family ? cfg->sources.count : 0);
	lg_json_num(f, ", \"conn_rate\": ", cfg->conn_rate > 0, 3, cfg->conn_rate);
	lg_json_num(f, ", \"conn_requests\": ", cfg->conn_requests > 0, 0,
		    (double)cfg->conn_requests);
	lg_json_num(f, ", \"slow_send_bps\": ", cfg->slow_send_bps > 0, 0,
		    (double)cfg->slow_send_bps);
	lg_json_num(f, ", \"slow_recv_bps\": ", cfg->slow_recv_bps > 0, 0,
		    (double)cfg->slow_recv_bps);
	lg_json_num(f, ", \"start_at\": ", cfg->start_at > 0, 3, cfg->start_at);
	if (r->nranks)
		fprintf(f, ", \"ranks\": %u", r->nranks);
	fprintf(f, "},\n");

	fprintf(f, "  \"environment\": {\"kernel\": ");
	lg_json_str(f, r->env.kernel);
	fprintf(f, ", \"cpu_model\": ");
	lg_json_str(f, r->env.cpu_model);
	fprintf(f, ", \"cpus_online\": %ld, \"memory_bytes\": %llu,\n    \"ring_flags\": ",
		r->env.cpus_online, r->env.memory_bytes);
	lg_json_str(f, r->env.ring_flags);
	fprintf(f, ", \"sq_entries\": %u, \"cq_entries\": %u", r->env.sq_entries,
		r->env.cq_entries);
	fprintf(f, ", \"multishot_recv\": %s, \"parser_variant\": ",
		r->env.multishot_recv ? "true" : "false");
	lg_json_str(f, r->env.parser_variant);
	fprintf(f, "},\n");

	fprintf(f, "  \"requests\": %" PRIu64 ",\n  \"sent\": %" PRIu64 ",\n", k->requests,
		k->sent);
	fprintf(f, "  \"window_start\": %.6f,\n", r->run->measure_start_wall);
	fprintf(f, "  \"duration_s\": %.6f,\n  \"requests_per_s\": %.3f,\n", secs,
		secs > 0 ? (double)k->requests / secs : 0.0);
	fprintf(f, "  \"interrupted\": %s,\n", r->interrupted ? "true" : "false");
	fprintf(f, "  \"bytes\": {\"read\": %" PRIu64 ", \"written\": %" PRIu64 "},\n",
		k->bytes_read, k->bytes_written);
	fprintf(f, "  \"bytes_read_per_s\": %.3f,\n",
		secs > 0 ? (double)k->bytes_read / secs : 0.0);
	fprintf(f,
		"  \"status\": {\"1xx\": %" PRIu64 ", \"2xx\": %" PRIu64 ", \"3xx\": %" PRIu64
		", \"4xx\": %" PRIu64 ", \"5xx\": %" PRIu64 ", \"other\": %" PRIu64 "},\n",
		k->status[1], k->status[2], k->status[3], k->status[4], k->status[5], k->status[0]);
	fprintf(f, "  \"status_codes\": {");
	int any = 0;
	for (int c = 0; c < LG_STATUS_CODES; c++) {
		if (!k->code[c])
			continue;
		if (c)
			fprintf(f, "%s\"%d\": %" PRIu64, any ? ", " : "", c, k->code[c]);
		else
			fprintf(f, "%s\"other\": %" PRIu64, any ? ", " : "", k->code[c]);
		any = 1;
	}
	fprintf(f, "},\n  \"socket_errors\": {");
	any = 0;
	for (int e = 0; e <= LG_ERRNO_MAX; e++) {
		char name[32];
		if (!k->sock_errno[e])
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, any ? ", " : "",
			lg_errno_name(e, name, sizeof(name)), k->sock_errno[e]);
		any = 1;
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"errors\": {");
	for (int e = 0; e < LG_E__COUNT; e++)
		fprintf(f, "%s\"%s\": %" PRIu64, e ? ", " : "", lg_err_names[e], k->errors[e]);
	fprintf(f, "},\n  \"unanswered\": %" PRIu64 ", \"in_flight_at_end\": %" PRIu64 ",\n",
		k->unanswered, k->in_flight_end);
	fprintf(f,
		"  \"connections\": {\"opened\": %" PRIu64 ", \"reopened\": %" PRIu64
		", \"established\": %" PRIu64 ", \"per_s\": %.3f, \"closed_by_server\": %" PRIu64
		", \"closed_by_rbload\": %" PRIu64 "},\n",
		k->opened, k->reopened, k->connects, secs > 0 ? (double)k->connects / secs : 0.0,
		k->closed_by_server, k->closed_by_rbload);
	char warn[512];
	int warned = lg_saturation(r, warn, sizeof(warn));
	fprintf(f,
		"  \"saturation\": {\"busy_max\": %.4f, \"late_sends\": %" PRIu64 ", \"warning\": ",
		r->busy_max, k->late_sends);
	if (warned)
		lg_json_str(f, warn);
	else
		fprintf(f, "null");
	fprintf(f, "},\n");
	lg_json_num(f, "  \"rate\": {\"requested\": ", cfg->mode == LG_MODE_OPEN, 3, cfg->rate);
	fprintf(f, ", \"achieved\": %.3f},\n", secs > 0 ? (double)k->sent / secs : 0.0);
	fprintf(f, "  \"cpu\": {\"user_s\": %.6f, \"sys_s\": %.6f, \"us_per_request\": %.6f},\n",
		r->cpu_user_s, r->cpu_sys_s,
		k->requests ? (r->cpu_user_s + r->cpu_sys_s) * 1e6 / (double)k->requests : 0.0);
	fprintf(f, "  \"memory\": {\"max_rss_bytes\": %ld},\n", r->max_rss_bytes);
	lg_json_ring(r, f);
	lg_json_tls(r, f);
	fprintf(f, "  \"latency_us\": {\n    \"corrected\": ");
	lg_json_latency(f, &r->corr);
	fprintf(f, ",\n    \"uncorrected\": ");
	lg_json_latency(f, &r->uncorr);
	fprintf(f, ",\n    \"connect\": ");
	lg_json_latency(f, &r->connect);
	fprintf(f, ",\n    \"ttfb\": ");
	lg_json_latency(f, &r->ttfb);
	fprintf(f, "\n  },\n  \"series\": [");
	for (uint64_t i = 0; i < r->run->nseries; i++) {
		const lg_series_point *p = &r->run->series[i];
		fprintf(f,
			"%s\n    {\"t\": %" PRIu64 ", \"requests\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"connections\": %" PRIu64
			", \"p50_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f}",
			i ? "," : "", i + 1, p->requests, p->errors, p->connects,
			(double)p->p50_ns / 1e3, (double)p->p99_ns / 1e3, (double)p->max_ns / 1e3);
	}
	fprintf(f, "%s]", r->run->nseries ? "\n  " : "");
	if (r->nranks)
		lg_json_ranks(r, f);
	fprintf(f, "\n}\n");
}

int lg_report_json(const lg_result *r, const char *path)
{
	int to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "rbload: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	lg_json_body(r, f);
	int bad = ferror(f);
	if (to_stdout ? fflush(f) : fclose(f))
		bad = 1;
	if (bad) {
		fprintf(stderr, "rbload: --json %s: write failed\n", path);
		return -1;
	}
	return 0;
}
