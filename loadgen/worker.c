/* The worker thread: set-up, the loop's hooks, the schedule, timers, the end. */
#include "worker.h"

#include "conn_io.h"
#include "limits.h"

#include "rb_clock.h"
#include "rb_cpu.h"
#include "rb_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

pthread_barrier_t lg_start_barrier;

#define LG_SCAN_NS (100ull * 1000000ull)        /* timeouts and reconnects, checked this often */
#define LG_DRAIN_GRACE_NS (100ull * 1000000ull) /* at the end, for FINs still to come */

/* The piece a slow mode moves at once: a twentieth of a second's bytes,
 * at least one, at most 4 KiB. */
static uint32_t lg_slow_chunk(uint32_t bps)
{
	uint32_t n = bps / 20;
	return n < 1 ? 1 : n > 4096 ? 4096 : n;
}

int lg_worker_init(lg_worker *w, lg_run *run, uint32_t id, uint32_t first_conn, uint32_t nconns,
		   uint64_t quota)
{
	const lg_config *cfg = run->cfg;
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->run = run;
	w->cfg = cfg;
	w->cpu = cfg->cpus[id % cfg->ncpus];
	w->cancel_fd = 1;
	w->quota = quota;
	w->nconns = nconns;
	w->parse_flags = strcmp(cfg->method, "HEAD") == 0 ? RP_RESPONSE_TO_HEAD : 0;
	if (cfg->rate > 0) {
		w->ns_per_request = 1e9 / cfg->rate;
		w->late_ns = (uint64_t)(w->ns_per_request * cfg->connections);
	}
	if (cfg->conn_rate > 0)
		w->conn_interval_ns = (uint64_t)(1e9 * run->nworkers / cfg->conn_rate);
	lg_port_range(&w->port_lo, &w->port_hi);
	if (lg_requests_build(&w->req, cfg, cfg->mode == LG_MODE_CLOSE, w->err, sizeof(w->err)) ||
	    (cfg->conn_requests &&
	     lg_requests_build(&w->req_close, cfg, 1, w->err, sizeof(w->err))))
		return -1;
	/* A slow mode moves about twenty pieces a second, at least a byte each. */
	w->slow_send_chunk = lg_slow_chunk(cfg->slow_send_bps);
	w->slow_recv_chunk = lg_slow_chunk(cfg->slow_recv_bps);
	if (cfg->slow_recv_bps)
		w->slow_bufs = malloc((size_t)nconns * w->slow_recv_chunk);
	if (cfg->tls)
		w->tls_plain = malloc(LG_TLS_PLAIN);
	w->conns = calloc(nconns, sizeof(*w->conns));
	w->inflight_mem = calloc((size_t)nconns * cfg->pipeline, sizeof(*w->inflight_mem));
	if (!w->conns || !w->inflight_mem || (cfg->slow_recv_bps && !w->slow_bufs) ||
	    (cfg->tls && !w->tls_plain) || rb_hist_init(&w->tls_hs_h, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&w->iv, RB_HIST_HOUR_NS) || rb_hist_init(&w->corr, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&w->uncorr, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&w->connect_h, RB_HIST_HOUR_NS) ||
	    rb_hist_init(&w->ttfb_h, RB_HIST_HOUR_NS) ||
	    (run->hlog && cfg->mode == LG_MODE_OPEN && rb_hist_init(&w->iv_unc, RB_HIST_HOUR_NS))) {
		snprintf(w->err, sizeof(w->err), "worker %u: no memory for %u connections", id,
			 nconns);
		return -1;
	}
	w->unc_rec = w->iv_unc.counts ? &w->iv_unc : &w->uncorr;
	/* Connections are dealt round robin over the threads, so each thread's
	 * share of the open-loop schedule is evenly spread in time. */
	for (uint32_t i = 0; i < nconns; i++)
		lg_conn_init(w, &w->conns[i], i, first_conn + i * run->nworkers);
	return 0;
}

void lg_worker_free(lg_worker *w)
{
	/* The loop first: its exit cancels the operations still pending
	 * (sends point into the request bytes, receives into its buffers). */
	rb_loop_exit(&w->loop);
	for (uint32_t i = 0; w->conns && i < w->nconns; i++) {
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
		lg_conn_free(&w->conns[i]);
	}
	free(w->conns);
	free(w->inflight_mem);
	free(w->slow_bufs);
	free(w->tls_plain);
	rb_hist_free(&w->tls_hs_h);
	lg_requests_free(&w->req);
	lg_requests_free(&w->req_close);
	rb_hist_free(&w->connect_h);
	rb_hist_free(&w->ttfb_h);
	rb_hist_free(&w->iv);
	rb_hist_free(&w->corr);
	rb_hist_free(&w->uncorr);
	rb_hist_free(&w->iv_unc);
	w->conns = NULL;
}

static uint64_t lg_thread_cpu_ns(uint64_t *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000ull +
	       (uint64_t)ru.ru_stime.tv_usec * 1000ull;
	return (uint64_t)ru.ru_utime.tv_sec * 1000000000ull +
	       (uint64_t)ru.ru_utime.tv_usec * 1000ull;
}

/* The loop: in the thread that runs it (SINGLE_ISSUER). */
static int lg_worker_setup(lg_worker *w)
{
	/* Open-loop sends are timed by the ring's wait timeout: the default 50 us
	 * timer slack would show up as latency in every corrected figure. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	snprintf(w->name, sizeof(w->name), "worker %u", w->id);
	int rc = rb_cpu_pin(w->cpu);
	if (rc)
		rb_log("%s: cannot pin to CPU %d (%s); running unpinned", w->name, w->cpu,
		       strerror(-rc));
	uint32_t sq = w->nconns * 2 < 256 ? 256 : w->nconns * 2 > 8192 ? 8192 : w->nconns * 2;
	uint32_t cq = w->nconns * 4 < 4096 ? 4096 : w->nconns * 4 > 262144 ? 262144 : w->nconns * 4;
	rb_loop_opts o = {.name = w->name,
			  .sq_entries = sq,
			  .cq_entries = cq,
			  .recv_buffers = w->cfg->recv_buffers,
			  .recv_buffer_size = w->cfg->recv_buffer_size};
	rc = rb_loop_init(&w->loop, &o);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "%s: io_uring set-up failed: %s", w->name,
			 strerror(-rc));
		return -1;
	}
	return 0;
}

/* Open-loop schedule: count every request now due against its connection. */
static void lg_schedule(lg_worker *w)
{
	const lg_run *run = w->run;
	uint64_t C = w->cfg->connections;
	for (;;) {
		lg_conn *c = &w->conns[w->sched_i];
		double idx = (double)w->sched_k * (double)C + c->global;
		uint64_t due = run->t0 + (uint64_t)(idx * w->ns_per_request);
		if (due > w->now || due >= run->measure_end) {
			w->next_due = due;
			return;
		}
		c->sched_k = w->sched_k + 1;
		if (c->state == LG_C_OPEN)
			lg_conn_mark_dirty(w, c);
		if (++w->sched_i == w->nconns) {
			w->sched_i = 0;
			w->sched_k++;
		}
	}
}

/* Timeouts (requests and connects) and connections due to (re)open. */
static void lg_scan(lg_worker *w)
{
	const lg_config *cfg = w->cfg;
	int slow = cfg->slow_send_bps || cfg->slow_recv_bps;
	uint64_t next_open = UINT64_MAX;
	for (uint32_t i = 0; i < w->nconns; i++) {
		lg_conn *c = &w->conns[i];
		switch (c->state) {
		case LG_C_IDLE:
			if (c->open_at <= w->now)
				lg_conn_queue_open(w, c);
			else if (c->open_at < next_open)
				next_open = c->open_at;
			break;
		case LG_C_CONNECTING:
			if (w->now - c->connect_ns > cfg->timeout_ns)
				lg_conn_close(w, c, LG_E_CONNECT, LG_BY_NONE);
			break;
		case LG_C_OPEN: {
			/* In the slow modes a request is answered for as long as bytes
			 * move: the timeout counts from the last one. */
			uint64_t since = c->inflight ? c->ring[c->head].sent_ns : 0;
			if (slow && c->last_io_ns > since)
				since = c->last_io_ns;
			/* a pause of rbload's own making is not the server's delay */
			if (c->inflight && !c->send_timer && !c->recv_timer &&
			    w->now - since > cfg->timeout_ns)
				lg_conn_close(w, c, LG_E_TIMEOUT, LG_BY_RBLOAD);
			/* https://: a handshake the server never finishes */
			else if (c->tls && !c->tls_up && w->now - c->connect_ns > cfg->timeout_ns)
				lg_conn_close(w, c, LG_E_TIMEOUT, LG_BY_RBLOAD);
			break;
		}
		case LG_C_CLOSING:
			lg_conn_check_draining(w, c);
			break;
		default:
			break;
		}
	}
	w->next_open = next_open;
	w->next_scan =
		w->now + (cfg->timeout_ns / 4 < LG_SCAN_NS ? cfg->timeout_ns / 4 : LG_SCAN_NS);
}

/* Seconds of the window that have ended go to the series. */
static void lg_roll(lg_worker *w, uint64_t upto_ns)
{
	const lg_run *run = w->run;
	while (run->measure_start + (w->sec_rolled + 1) * 1000000000ull <= upto_ns &&
	       run->measure_start + (w->sec_rolled + 1) * 1000000000ull <= run->measure_end) {
		w->sec_rolled++;
		uint64_t errors = lg_counts_errors(&w->counts);
		const rb_hist *unc = w->iv_unc.counts ? &w->iv_unc : NULL;
		lg_run_roll(w->run, w->id, w->sec_rolled, &w->iv, unc, errors - w->errors_rolled,
			    w->counts.connects - w->connects_rolled);
		w->errors_rolled = errors;
		w->connects_rolled = w->counts.connects;
		rb_hist_roll(&w->corr, &w->iv, NULL);
		if (unc)
			rb_hist_roll(&w->uncorr, &w->iv_unc, NULL);
	}
}

static int lg_should_finish(lg_worker *w)
{
	const lg_run *run = w->run;
	if (atomic_load_explicit(&run->stop, memory_order_relaxed))
		return 1;
	if (w->now >= run->measure_end)
		return 1;
	return w->quota != UINT64_MAX && w->now >= run->measure_start &&
	       w->counts.sent >= w->quota && w->outstanding == 0;
}

/* How long the loop may wait: until the next thing the clock brings. */
static uint64_t lg_wait_ns(const lg_worker *w)
{
	const lg_run *run = w->run;
	uint64_t until = w->next_scan;
	if (w->next_open < until)
		until = w->next_open;
	if (w->cfg->mode == LG_MODE_OPEN && w->next_due < until)
		until = w->next_due;
	if (w->openq_head && w->conn_interval_ns && lg_conn_may_open(w) &&
	    w->next_conn_slot < until)
		until = w->next_conn_slot; /* --conn-rate: the next open's slot */
	if (run->measure_end < until)
		until = run->measure_end;
	uint64_t sec_end = run->measure_start + (w->sec_rolled + 1) * 1000000000ull;
	if (sec_end < until)
		until = sec_end;
	if (!w->cpu_started && run->measure_start < until)
		until = run->measure_start;
	if (!w->sending && run->t0 < until)
		until = run->t0;
	if (w->finish_at && w->finish_at < until)
		until = w->finish_at;
	return until > w->now ? until - w->now : 0;
}

/* Before each wait: what the clock brings (the schedule, timeouts,
 * reconnects, the second's roll), the end, and one send per connection
 * that has requests to send. */
static uint64_t lg_before_wait(void *owner)
{
	lg_worker *w = owner;
	const lg_run *run = w->run;
	atomic_store_explicit(&w->live_requests, w->counts.requests, memory_order_relaxed);
	atomic_store_explicit(&w->live_errors, lg_counts_errors(&w->counts), memory_order_relaxed);
	w->now = rb_now_ns();
	if (!w->cpu_started && w->now >= run->measure_start) {
		w->cpu_started = 1;
		w->window_seen_ns = w->now; /* how late it saw the window open */
		w->cpu_user_ns = lg_thread_cpu_ns(&w->cpu_sys_ns);
	}
	if (!w->sending && w->now >= run->t0) {
		/* --start-at: the connections opened before t0 send now */
		w->sending = 1;
		for (uint32_t i = 0; i < w->nconns; i++)
			if (w->conns[i].state == LG_C_OPEN)
				lg_conn_mark_dirty(w, &w->conns[i]);
	}
	if (w->cfg->mode == LG_MODE_OPEN)
		lg_schedule(w);
	if (w->now >= w->next_scan || w->now >= w->next_open)
		lg_scan(w);
	lg_roll(w, w->now);
	if (lg_should_finish(w)) {
		/* Connections waiting for the server's FIN get a moment to see it:
		 * shut down by rbload instead, each would leave a TIME_WAIT here. */
		if (!w->ndraining || (w->finish_at && w->now >= w->finish_at))
			return RB_LOOP_STOP;
		if (!w->finish_at) {
			w->finish_at = w->now + LG_DRAIN_GRACE_NS;
			w->finishing = 1;
		}
	}
	lg_conn_open_queued(w);
	while (w->dirty) {
		lg_conn *c = w->dirty;
		w->dirty = c->dirty_next;
		c->on_dirty = 0;
		lg_conn_flush(w, c);
	}
	return lg_wait_ns(w);
}

/* The clock, once per batch of completions. */
static void lg_after_wait(void *owner)
{
	lg_worker *w = owner;
	w->now = rb_now_ns();
}

static void lg_handle(void *owner, const struct io_uring_cqe *cqe)
{
	lg_conn_handle(owner, cqe);
}

static void lg_loop(lg_worker *w)
{
	const lg_run *run = w->run;
	w->now = rb_now_ns();
	w->next_open = UINT64_MAX;
	/* --ramp: connection g of C opens at t0 + ramp * g / C. */
	for (uint32_t i = 0; i < w->nconns; i++) {
		lg_conn *c = &w->conns[i];
		c->open_at = run->open_t0 +
			     (uint64_t)((double)w->cfg->ramp_ns * c->global / w->cfg->connections);
	}
	/* --conn-rate: thread k's slots fall k / R after thread 0's, so the
	 * threads' opens interleave evenly rather than come T at a time. */
	if (w->conn_interval_ns)
		w->next_conn_slot = run->open_t0 + (uint64_t)(1e9 * w->id / w->cfg->conn_rate);
	lg_scan(w);

	static const rb_loop_hooks hooks = {
		.before_wait = lg_before_wait, .after_wait = lg_after_wait, .handle = lg_handle};
	int rc = rb_loop_run(&w->loop, &hooks, w);
	if (rc)
		lg_run_fatal(w->run, "%s: io_uring_enter: %s", w->name, strerror(-rc));
	/* The run is over: the closes queued in the last batch go now, and the
	 * connections still open say so (a FIN) now, not when the process exits
	 * after its report: a socket left as it is holds back its ACK of what
	 * the server sent, and the server probes for it (TCPLossProbes). */
	rb_loop_submit(&w->loop);
	for (uint32_t i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			shutdown(w->conns[i].fd, SHUT_RDWR);

	/* The end: in -n runs, when the last request was answered or lost; else now. */
	w->end_ns = w->now;
	if (w->quota != UINT64_MAX && w->outstanding == 0 && w->last_settled_ns)
		w->end_ns = w->last_settled_ns;
	if (w->end_ns > run->measure_end)
		w->end_ns = run->measure_end;
	if (w->cpu_started) {
		uint64_t sys, user = lg_thread_cpu_ns(&sys);
		w->cpu_user_ns = user - w->cpu_user_ns;
		w->cpu_sys_ns = sys - w->cpu_sys_ns;
	} else {
		w->cpu_user_ns = w->cpu_sys_ns = 0;
	}
	/* Measured requests still in flight were not answered in the window. */
	w->counts.unanswered += w->outstanding;
	w->counts.in_flight_end += w->outstanding;
	w->outstanding = 0;
	w->finishing = 1;
	const rb_loop_stats *ls = &w->loop.stats;
	w->counts.cq_overflows = ls->cq_overflows;
	w->counts.sq_full = ls->sq_full;
	w->counts.stashed = ls->stashed;
	w->counts.faults_hit = ls->faults_hit;
	lg_roll(w, w->end_ns);
	/* The last, partial second: in the log (not the series), then the total. */
	uint64_t tail_from = run->measure_start + w->sec_rolled * 1000000000ull;
	lg_run_tail(w->run, w->sec_rolled + 1,
		    w->end_ns > tail_from ? (double)(w->end_ns - tail_from) / 1e9 : 0.0, &w->iv,
		    w->iv_unc.counts ? &w->iv_unc : NULL);
	rb_hist_roll(&w->corr, &w->iv, NULL);
	if (w->iv_unc.counts)
		rb_hist_roll(&w->uncorr, &w->iv_unc, NULL);
	if (w->cfg->mode != LG_MODE_OPEN)
		rb_hist_merge(&w->uncorr, &w->corr); /* due == sent: the same values */
	lg_run_worker_finished(w->run, w->id);
}

void *lg_worker_main(void *arg)
{
	lg_worker *w = arg;
	if (lg_worker_setup(w))
		lg_run_fatal(w->run, "%s", w->err);
	pthread_barrier_wait(&lg_start_barrier); /* set-up done */
	pthread_barrier_wait(&lg_start_barrier); /* main set the clock points */
	if (!atomic_load(&w->run->stop))
		lg_loop(w);
	else
		lg_run_worker_finished(w->run, w->id);
	return NULL;
}
