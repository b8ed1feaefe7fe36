/*
 * One run: flags -> workers (one pinned thread and ring each) -> a progress
 * line once a second -> the summary and the reports; with hooks, a share of
 * a run of several processes (drive.h).
 */
#include "drive.h"

#include "config.h"
#include "hlog.h"
#include "limits.h"
#include "result.h"
#include "run.h"
#include "worker.h"

#include "rb_clock.h"
#include "rb_faults.h"
#include "rb_log.h"
#include "rb_ring.h"
#include "rb_signals.h"
#include "rb_tls.h"
#include "rb_version.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const char *const lg_err_names[LG_E__COUNT] = {
	[LG_E_CONNECT] = "connect",
	[LG_E_RESET] = "reset",
	[LG_E_READ] = "read",
	[LG_E_WRITE] = "write",
	[LG_E_CLOSED] = "closed",
	[LG_E_TIMEOUT] = "timeout",
	[LG_E_PARSE] = "parse",
	[LG_E_STATUS] = "status",
	[LG_E_TLS_HANDSHAKE] = "tls-handshake",
	[LG_E_TLS_CERTIFICATE] = "tls-certificate",
	[LG_E_TLS_ALERT] = "tls-alert",
	[LG_E_TLS_IO] = "tls-io",
};

static void lg_fmt_count(double v, char *out, size_t len)
{
	if (v >= 1e6)
		snprintf(out, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, len, "%.1fk", v / 1e3);
	else
		snprintf(out, len, "%.0f", v);
}

/* How the workers' loops run: the first one's ring flags (every worker
 * asks for the same), and each fallback if any worker took it. */
static void lg_env_loops(lg_env *e, const lg_worker *ws, uint32_t n)
{
	rb_ring_flag_names(ws[0].loop.info.flags, e->ring_flags, sizeof(e->ring_flags));
	e->sq_entries = ws[0].loop.info.sq_entries;
	e->cq_entries = ws[0].loop.info.cq_entries;
	rb_faults_names(rb_faults(), e->faults, sizeof(e->faults));
	e->multishot_recv = e->cancel_fd = 1;
	for (uint32_t i = 0; i < n; i++) {
		if (ws[i].loop.single[RB_ARM_RECV])
			e->multishot_recv = 0;
		if (!ws[i].loop.bufs.br)
			e->legacy_buffers = 1;
		if (!ws[i].cancel_fd)
			e->cancel_fd = 0;
	}
}

/* The once-a-second status line (stderr, a terminal). */
static void lg_progress(const lg_run *run, lg_worker *ws, uint32_t n, uint64_t now,
			uint64_t *last_req, uint64_t *last_ns)
{
	uint64_t req = 0, err = 0;
	for (uint32_t i = 0; i < n; i++) {
		req += atomic_load_explicit(&ws[i].live_requests, memory_order_relaxed);
		err += atomic_load_explicit(&ws[i].live_errors, memory_order_relaxed);
	}
	char rate[32];
	double dt = (double)(now - *last_ns) / 1e9;
	lg_fmt_count(dt > 0 ? (double)(req - *last_req) / dt : 0, rate, sizeof(rate));
	*last_req = req;
	*last_ns = now;
	if (run->t0 >= LG_HELD) {
		fprintf(stderr, "\r\033[K  opening connections: %u of %u open",
			atomic_load(&run->conns_up), run->cfg->connections);
	} else if (now < run->t0) {
		fprintf(stderr, "\r\033[K  --start-at: the window opens in %.1f s",
			(double)(run->measure_start - now) / 1e9);
	} else if (now < run->measure_start) {
		fprintf(stderr, "\r\033[K  warm-up: %.1f s left",
			(double)(run->measure_start - now) / 1e9);
	} else {
		double el = (double)(now - run->measure_start) / 1e9;
		if (run->measure_end != UINT64_MAX)
			fprintf(stderr,
				"\r\033[K  %5.1f / %.1f s  %s req/s  %llu responses  %llu errors",
				el, (double)(run->measure_end - run->measure_start) / 1e9, rate,
				(unsigned long long)req, (unsigned long long)err);
		else
			fprintf(stderr,
				"\r\033[K  %5.1f s  %s req/s  %llu / %llu responses  %llu errors",
				el, rate, (unsigned long long)req,
				(unsigned long long)run->cfg->requests, (unsigned long long)err);
	}
	fflush(stderr);
}

/* Around the command line's parse, with hooks: stdout to /dev/null where
 * another process prints --help (mute), stderr into a temporary file where
 * the processes must agree on errors first (capture): hooks->agree says
 * them, once. */
typedef struct lg_quiet {
	int saved[2]; /* the real stdout and stderr, or -1 */
	FILE *cap;    /* stderr meanwhile */
} lg_quiet;

static void lg_quiet_begin(lg_quiet *q, int mute, int capture)
{
	q->saved[0] = q->saved[1] = -1;
	q->cap = NULL;
	fflush(stdout);
	fflush(stderr);
	if (mute) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			q->saved[0] = dup(STDOUT_FILENO);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	if (capture && (q->cap = tmpfile())) {
		q->saved[1] = dup(STDERR_FILENO);
		dup2(fileno(q->cap), STDERR_FILENO);
	}
}

/* Back to the real streams; what stderr got, in text[len] ("" if none). */
static void lg_quiet_end(lg_quiet *q, char *text, size_t len)
{
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		if (q->saved[i] >= 0) {
			dup2(q->saved[i], i == 0 ? STDOUT_FILENO : STDERR_FILENO);
			close(q->saved[i]);
		}
	}
	text[0] = '\0';
	if (q->cap) {
		rewind(q->cap);
		size_t n = fread(text, 1, len - 1, q->cap);
		while (n && text[n - 1] == '\n')
			n--;
		text[n] = '\0';
		fclose(q->cap);
	}
}

/* The start held (hooks->agree): wait until every connection has opened
 * once.  NULL then, or why not: the run stopped (the server cannot be
 * reached: run->fatal), a signal, or they took longer than opening them
 * may (--ramp, --conn-rate) plus a connect timeout and 2 s. */
static const char *lg_wait_open(lg_run *run, lg_worker *ws, const sigset_t *sigs, int *interrupted,
				char *why, size_t len)
{
	const lg_config *cfg = run->cfg;
	uint64_t allow = cfg->ramp_ns + cfg->timeout_ns + 2000000000ull;
	if (cfg->conn_rate > 0)
		allow += (uint64_t)(1e9 * cfg->connections / cfg->conn_rate);
	uint64_t from = rb_now_ns(), next_progress = from + 1000000000ull;
	uint64_t last_req = 0, last_ns = from;
	for (;;) {
		if (atomic_load(&run->stop))
			return run->fatal[0] ? run->fatal : "the run stopped before it started";
		unsigned up = atomic_load(&run->conns_up);
		if (up >= cfg->connections)
			return NULL;
		uint64_t now = rb_now_ns();
		if (now - from > allow) {
			snprintf(why, len,
				 "only %u of %u connections to %s opened in %.1f s (%u connects "
				 "failed)",
				 up, cfg->connections, cfg->peer, (double)(now - from) / 1e9,
				 atomic_load(&run->connect_failures));
			return why;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000};
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0) {
			*interrupted = 1;
			snprintf(why, len, "interrupted (%s) before the start", strsignal(sig));
			return why;
		}
		if (cfg->progress && now >= next_progress) {
			lg_progress(run, ws, run->nworkers, now, &last_req, &last_ns);
			next_progress += 1000000000ull;
		}
	}
}

int lg_drive(int argc, char **argv, const lg_hooks *hooks)
{
	static const lg_hooks no_hooks;
	const lg_hooks *hk = hooks ? hooks : &no_hooks;
	lg_config cfg;
	char err[512], said[1100];
	lg_quiet q;
	lg_start st;
	lg_quiet_begin(&q, hk->mute, hk->agree != NULL);
	int rc = lg_config_parse(&cfg, argc, argv);
	if (!rc) {
		/* A bad method, path or header is a command-line error: check it once. */
		lg_requests probe;
		if (lg_requests_build(&probe, &cfg, cfg.conn_requests > 0, err, sizeof(err))) {
			fprintf(stderr, "rbload: %s (see rbload --help)\n", err);
			rc = 2;
		} else {
			lg_requests_free(&probe);
		}
	}
	lg_quiet_end(&q, said, sizeof(said));
	if (rc) {
		if (hk->agree) /* the others may have got further */
			hk->agree(hk->arg, rc == 2 && said[0] ? said : "", &st);
		lg_config_free(&cfg);
		return rc == 1 ? 0 : 2;
	}
	if (said[0])
		fprintf(stderr, "%s\n", said);
	if (hk->configure && (rc = hk->configure(hk->arg, &cfg, said, sizeof(said)))) {
		if (hk->agree)
			hk->agree(hk->arg, said, &st);
		else
			fprintf(stderr, "%s\n", said);
		lg_config_free(&cfg);
		return rc;
	}

	/* From here on, a process of several that cannot run tells the others
	 * why (hooks->agree) before it leaves. */
	char why[1100] = "";
	int fail_rc = 1, run_ok = 0;
	rb_tls_ctx *tls = NULL;
	uint32_t T = cfg.threads, inited = 0;
	lg_run run;
	lg_worker *ws = NULL;
	sigset_t sigs;
	lg_result res;
	memset(&res, 0, sizeof(res));

	/* Before any worker starts: the loops read the faults in force. */
	if (rb_faults_init()) {
		fail_rc = 2;
		snprintf(why, sizeof(why), "RB_FAULTS is refused (the message above)");
		goto setup_failed;
	}
	/* https://: one client context for every worker; a flag OpenSSL refuses
	 * (a cipher list it cannot use) is a command-line error. */
	if (cfg.tls) {
		rb_tls_opts o = {.min_version = cfg.tls_min,
				 .max_version = cfg.tls_max,
				 .ciphers = cfg.ciphers,
				 .ciphersuites = cfg.ciphersuites,
				 .insecure = cfg.insecure,
				 .cafile = cfg.cafile,
				 .no_resume = !cfg.tls_resume,
				 /* logs, once, why records stay in user space */
				 .ktls = rb_tls_ktls_available()};
		tls = rb_tls_client_ctx_new(&o, err, sizeof(err));
		if (!tls) {
			const char *flag = !strncmp(err, "TLS 1.2 cipher", 14) ? "--ciphers: "
					   : !strncmp(err, "TLS 1.3 cipher", 14)
						   ? "--tls13-ciphersuites: "
					   : !strncmp(err, "CA file", 7) ? "--cacert: "
					   : !strncmp(err, "TLS versions", 12) ||
							   !strncmp(err, "TLS minimum", 11)
						   ? "--tls-min/--tls-max: "
						   : "";
			fprintf(stderr, "rbload: %s%s%s\n", flag, err,
				flag[0] ? " (see rbload --help)" : "");
			snprintf(why, sizeof(why), "%s%s", flag, err);
			fail_rc = flag[0] ? 2 : 1;
			goto setup_failed;
		}
	}
	/* The host name, once; then what the run needs of the host. */
	if (lg_config_resolve(&cfg, err, sizeof(err))) {
		fprintf(stderr, "rbload: %s\n", err);
		snprintf(why, sizeof(why), "%s", err);
		goto setup_failed;
	}
	if (lg_limits_check(&cfg)) {
		snprintf(why, sizeof(why),
			 "the host cannot carry this share of the run (the "
			 "message above)");
		goto setup_failed;
	}

	/* SIGINT/SIGTERM are taken by main with sigtimedwait; the workers
	 * (started below, so they inherit the mask) never see them. */
	rb_signals_block(&sigs);

	ws = calloc(T, sizeof(*ws));
	if (ws) {
		run_ok = 1;
		rc = lg_run_init(&run, &cfg, T);
		run.tls = tls;
	}
	if (!ws || rc) {
		fprintf(stderr, "rbload: no memory for %u workers\n", T);
		snprintf(why, sizeof(why), "no memory for %u workers", T);
		goto setup_failed;
	}
	/* -n: split exactly over the threads. */
	for (uint32_t i = 0; i < T; i++) {
		uint32_t nconns = cfg.connections / T + (i < cfg.connections % T);
		uint64_t quota = UINT64_MAX;
		if (cfg.requests)
			quota = cfg.requests / T + (i < cfg.requests % T);
		inited++;
		if (lg_worker_init(&ws[i], &run, i, i, nconns, quota)) {
			fprintf(stderr, "rbload: %s\n", ws[i].err);
			snprintf(why, sizeof(why), "%s", ws[i].err);
			goto setup_failed;
		}
	}
	pthread_barrier_init(&lg_start_barrier, NULL, T + 1);
	for (uint32_t i = 0; i < T; i++) {
		if ((rc = pthread_create(&ws[i].thread, NULL, lg_worker_main, &ws[i]))) {
			fprintf(stderr, "rbload: cannot start worker %u: %s\n", i, strerror(rc));
			snprintf(why, sizeof(why), "cannot start worker %u: %s", i, strerror(rc));
			goto setup_failed;
		}
	}
	pthread_barrier_wait(&lg_start_barrier); /* every worker has its ring */
	res.cfg = &cfg;
	res.run = &run;
	res.started_at = time(NULL);
	/* The wall clock and the monotonic one read together: --start-at's
	 * instant on the monotonic clock, and the window's start on the wall. */
	double wall = lg_wall_now();
	uint64_t mono = rb_now_ns();
	run.open_t0 = mono + 1000000; /* 1 ms for the threads to get going */
	if (hk->agree) {
		/* Nothing is sent until the processes agree on the start. */
		run.t0 = run.measure_start = LG_HELD;
		run.measure_end = UINT64_MAX;
	} else if (cfg.start_at > 0 && cfg.start_at - wall >= -LG_START_LATE_S) {
		/* The connections open now; requests go from start - warm-up (no
		 * sooner than now); the window opens at the instant. */
		lg_run_clock_at(&run, cfg.start_at, wall, mono, run.open_t0, 0);
	} else {
		if (cfg.start_at > 0) {
			char when[64];
			lg_fmt_epoch(cfg.start_at, when, sizeof(when));
			lg_run_fatal(&run,
				     "--start-at %.3f (%s) passed %.3f s ago, while rbload was "
				     "setting up; give a later time",
				     cfg.start_at, when, wall - cfg.start_at);
		}
		run.t0 = run.open_t0;
		run.measure_start = run.open_t0 + cfg.warmup_ns;
		run.measure_end = cfg.duration_ns ? run.measure_start + cfg.duration_ns
						  : UINT64_MAX;
		run.measure_start_wall = wall + ((double)run.measure_start - (double)mono) / 1e9;
	}
	pthread_barrier_wait(&lg_start_barrier);

	int agreed = 0;
	if (hk->agree) {
		memset(&st, 0, sizeof(st));
		const char *no = lg_wait_open(&run, ws, &sigs, &res.interrupted, why, sizeof(why));
		if (hk->agree(hk->arg, no, &st)) {
			atomic_store(&run.stop, 1);
			rc = 1;
			goto join;
		}
		agreed = 1;
		wall = lg_wall_now();
		mono = rb_now_ns();
		/* the instant on this clock; the reports in the reference clock's
		 * (on time, the instant itself: the processes' logs line up) */
		double here = st.at + st.offset_s;
		lg_run_clock_at(&run, here, wall, mono, mono, st.phase_ns);
		run.measure_start_wall = run.measure_start_wall == here
						 ? st.at
						 : run.measure_start_wall - st.offset_s;
	}

	if (!cfg.quiet && !atomic_load(&run.stop)) {
		if (hk->banner) {
			hk->banner(hk->arg, &cfg);
		} else {
			printf("rbload: %s, %u connection%s on %u thread%s, %s%s\n",
			       cfg.urls[0].text, cfg.connections, cfg.connections == 1 ? "" : "s",
			       T, T == 1 ? "" : "s",
			       cfg.mode == LG_MODE_OPEN    ? "open loop"
			       : cfg.mode == LG_MODE_CLOSE ? "Connection: close"
							   : "closed loop",
			       cfg.nurls > 1 ? " (a mix of URLs)" : "");
			if (cfg.resolved)
				printf("  %s is %s\n", cfg.host_name, cfg.address);
		}
	}
	fflush(stdout);

	uint64_t from = agreed ? mono : run.open_t0;
	uint64_t next_progress = from + 1000000000ull, last_req = 0, last_ns = from;
	int signals = 0;
	while (atomic_load(&run.workers_done) < T) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig > 0) {
			if (++signals > 1) {
				fprintf(stderr,
					"\nrbload: second signal: exiting without a report\n");
				_exit(130);
			}
			res.interrupted = 1;
			atomic_store(&run.stop, 1);
		}
		uint64_t now = rb_now_ns();
		if (cfg.progress && now >= next_progress) {
			lg_progress(&run, ws, T, now, &last_req, &last_ns);
			next_progress += 1000000000ull;
		}
	}
join:
	if (cfg.progress)
		fprintf(stderr, "\r\033[K");
	for (uint32_t i = 0; i < T; i++)
		pthread_join(ws[i].thread, NULL);
	if (hk->agree && !agreed)
		goto out; /* the first process to print says why (hooks->agree) */

	if (run.fatal[0] && !run.ever_connected && !hk->finish) {
		/* Through the clean-up below, not a bare return: under
		 * LeakSanitizer the workers' rings, buffers and histograms
		 * left behind made this exit 134 instead of 1. */
		fprintf(stderr, "rbload: %s\n", run.fatal);
		rc = 1;
		goto out;
	}
	if (run.fatal[0])
		fprintf(stderr, "rbload: the run stopped early: %s\n", run.fatal);

	/* Sum the workers. */
	uint64_t end = 0;
	rb_hist_init(&res.corr, RB_HIST_HOUR_NS);
	rb_hist_init(&res.uncorr, RB_HIST_HOUR_NS);
	rb_hist_init(&res.connect, RB_HIST_HOUR_NS);
	rb_hist_init(&res.ttfb, RB_HIST_HOUR_NS);
	rb_hist_init(&res.tls_hs, RB_HIST_HOUR_NS);
	/* kTLS: the probe's reason when it says no; else the first refusal
	 * (or export's reason) a worker met, merged below.  tls.ktls says
	 * whether any socket's TX went to the kernel. */
	if (cfg.tls && rb_tls_ktls_probe("/proc/sys/net/ipv4/tcp_available_ulp", rb_faults(),
					 res.ktls_why, sizeof(res.ktls_why)))
		res.ktls_why[0] = 0;
	for (uint32_t i = 0; i < T; i++) {
		rb_hist_merge(&res.tls_hs, &ws[i].tls_hs_h);
		if (!res.tls_version && ws[i].tls_version) {
			res.tls_version = ws[i].tls_version;
			res.tls_cipher = ws[i].tls_cipher;
		}
		for (int k = 0; k < LG_E__COUNT - LG_E_TLS_HANDSHAKE; k++)
			if (!res.tls_why[k][0] && ws[i].tls_why[k][0])
				memcpy(res.tls_why[k], ws[i].tls_why[k], sizeof(res.tls_why[k]));
		if (!res.ktls_why[0] && ws[i].ktls_why[0])
			snprintf(res.ktls_why, sizeof(res.ktls_why), "%s", ws[i].ktls_why);
	}
	for (uint32_t i = 0; i < T; i++) {
		lg_counts_add(&res.counts, &ws[i].counts);
		res.ktls |= ws[i].counts.ktls_tx > 0 || ws[i].counts.ktls_rx > 0;
		rb_hist_merge(&res.corr, &ws[i].corr);
		rb_hist_merge(&res.uncorr, &ws[i].uncorr);
		rb_hist_merge(&res.connect, &ws[i].connect_h);
		rb_hist_merge(&res.ttfb, &ws[i].ttfb_h);
		res.cpu_user_s += (double)ws[i].cpu_user_ns / 1e9;
		res.cpu_sys_s += (double)ws[i].cpu_sys_ns / 1e9;
		if (ws[i].end_ns > end)
			end = ws[i].end_ns;
	}
	res.duration_s = end > run.measure_start ? (double)(end - run.measure_start) / 1e9 : 0;
	/* How busy the busiest thread was over the window: near 1, rbload
	 * itself may be what limits the rate. */
	for (uint32_t i = 0; i < T && res.duration_s > 0; i++) {
		double busy = (double)(ws[i].cpu_user_ns + ws[i].cpu_sys_ns) / 1e9 / res.duration_s;
		if (busy > res.busy_max)
			res.busy_max = busy;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	res.max_rss_bytes = ru.ru_maxrss * 1024;
	lg_env_read(&res.env);
	lg_env_loops(&res.env, ws, T);

	rc = 0;
	int report = 1;
	if (hk->finish) {
		/* every process takes part, whatever its own run did */
		report = hk->finish(hk->arg, &res, &run, ws, T, &rc);
	}
	if (report && !cfg.quiet)
		lg_report_human(&res, stdout);
	if (report && cfg.json_path && lg_report_json(&res, cfg.json_path))
		rc = 1;
	if (report && cfg.hgrm_path && lg_report_hgrm(&res, cfg.hgrm_path))
		rc = 1;
	if (report && cfg.hlog_path) {
		char comment[1200];
		snprintf(comment, sizeof(comment), "rbload %s: %s, %u connections, %s", RB_VERSION,
			 cfg.urls[0].text, cfg.connections,
			 cfg.mode == LG_MODE_OPEN ? "open loop" : "closed loop");
		if (run.hlog_failed) {
			fprintf(stderr,
				"rbload: --hlog %s: no memory for the per-second "
				"histograms\n",
				cfg.hlog_path);
			rc = 1;
		} else if (lg_hlog_write_file(cfg.hlog_path, "--hlog", comment,
					      run.measure_start_wall, 1, &run.hlog_corr,
					      cfg.mode == LG_MODE_OPEN ? &run.hlog_unc : NULL)) {
			rc = 1;
		}
	}
	if (report && res.counts.requests == 0 && !rc) {
		fprintf(stderr, "rbload: no response was received from %s in the measured window\n",
			cfg.peer);
		rc = 1;
	}

out:
	rb_hist_free(&res.corr);
	rb_hist_free(&res.uncorr);
	rb_hist_free(&res.connect);
	rb_hist_free(&res.ttfb);
	rb_hist_free(&res.tls_hs);
	for (uint32_t i = 0; i < T; i++)
		lg_worker_free(&ws[i]);
	rb_tls_ctx_free(run.tls);
	free(ws);
	lg_run_free(&run);
	lg_config_free(&cfg);
	return rc;

setup_failed:
	if (hk->agree)
		hk->agree(hk->arg, why, &st);
	/* Workers set up, or threads waiting at the barrier, are left to the
	 * exit (a failure to allocate or to start a thread, as ever). */
	if (!inited) {
		if (run_ok)
			lg_run_free(&run);
		free(ws);
		rb_tls_ctx_free(tls);
	}
	lg_config_free(&cfg);
	return fail_rc;
}
