/* A finished run, summed over the workers: what the reports print. */
#ifndef LG_RESULT_H
#define LG_RESULT_H

#include "config.h"
#include "counts.h"
#include "run.h"

#include "rb_hist.h"

#include <stdio.h>
#include <time.h>

typedef struct lg_env {
	char kernel[128];
	char cpu_model[128];
	long cpus_online;
	unsigned long long memory_bytes;
	char ring_flags[160];
	unsigned sq_entries, cq_entries; /* the first worker's ring */
	char faults[160];                /* RB_FAULTS in force, space separated */
	int multishot_recv;              /* 0: some worker's kernel refused it, or RB_FAULTS */
	int legacy_buffers;              /* some worker had no provided-buffer ring */
	int cancel_fd; /* 0: some worker's kernel refused IORING_ASYNC_CANCEL_FD */
	const char *parser_variant;
} lg_env;

/* rbload-mpi: one rank's part of the run (the report's `ranks`). */
typedef struct lg_rank {
	char host[64];
	uint32_t rank;
	uint32_t connections, threads; /* its share, and its threads */
	uint32_t cpus_allowed;         /* CPUs in its affinity mask */
	double rate_requested;         /* open loop: its share of -R; 0 otherwise */
	uint64_t requests, sent, errors;
	double duration_s, cpu_s, busy_max;
	double skew_s;            /* its last thread saw the window open this late (its clock) */
	double clock_offset_s;    /* its wall clock minus rank 0's, measured before the start */
	double clock_rtt_s;       /* the round trip that measure was taken over */
	uint32_t clock_corrected; /* its start was moved by the offset (another host, a
				   * larger offset than half the round trip) */
	char stopped[192];        /* why its run stopped early, "" if it did not */
} lg_rank;

typedef struct lg_result {
	const lg_config *cfg;
	const lg_run *run;
	lg_env env;
	time_t started_at;
	lg_counts counts;
	rb_hist corr, uncorr;
	rb_hist connect, ttfb; /* connect time; time to a response's first byte */
	/* https://: handshake times, the version and cipher first agreed (NULL:
	 * none), each TLS error kind's first reason ("" if none), kTLS and why not */
	rb_hist tls_hs;
	const char *tls_version, *tls_cipher;
	char tls_why[LG_E__COUNT - LG_E_TLS_HANDSHAKE][200];
	int ktls;
	char ktls_why[256];
	double duration_s;
	double cpu_user_s, cpu_sys_s;
	double busy_max; /* the busiest thread's CPU time over the window */
	long max_rss_bytes;
	int interrupted;      /* SIGINT/SIGTERM ended it early */
	const lg_rank *ranks; /* rbload-mpi: every rank's part, rank order */
	uint32_t nranks;      /* 0: a plain rbload run */
} lg_result;

void lg_env_read(lg_env *e);

/* The saturation warning, when there is one: rbload's busiest thread over
 * LG_BUSY_WARN of the window, or open-loop sends over LG_LATE_WARN late.
 * Writes one sentence into buf and returns 1, else returns 0. */
#define LG_BUSY_WARN 0.95
#define LG_LATE_WARN 0.01
int lg_saturation(const lg_result *r, char *buf, size_t len);

/* "ECONNREFUSED" for errno value e (or "E<number>"). */
const char *lg_errno_name(int e, char *buf, size_t len);

/* The human summary (stdout), the JSON report, the HdrHistogram text.
 * Each returns 0 or -1 after printing why. */
void lg_report_human(const lg_result *r, FILE *f);
int lg_report_json(const lg_result *r, const char *path);
int lg_report_hgrm(const lg_result *r, const char *path);

/* Shared with rbload merge: a JSON string; a latency object (min, mean,
 * stddev, max, p50 ... p100 in us, count); a duration in ns as "812.00us". */
void lg_json_str(FILE *f, const char *s);
void lg_json_latency(FILE *f, const rb_hist *h);
const char *lg_fmt_ns(double ns, char *buf, size_t len);

#endif
