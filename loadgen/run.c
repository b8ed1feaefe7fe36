#include "run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_run_init(lg_run *r, const lg_config *cfg, uint32_t nworkers)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->nworkers = nworkers;
	r->sec_next = 1;
	pthread_mutex_init(&r->lock, NULL);
	r->rolled = calloc(nworkers, sizeof(*r->rolled));
	r->finished = calloc(nworkers, sizeof(*r->finished));
	if (!r->rolled || !r->finished)
		return -ENOMEM;
	for (int k = 0; k < LG_SERIES_SLOTS; k++) {
		int rc = rb_hist_init(&r->sec_hist[k], RB_HIST_HOUR_NS);
		if (rc)
			return rc;
	}
	if (cfg->hlog_path || cfg->keep_intervals) {
		r->hlog = 1;
		if (lg_hsum_init(&r->hlog_corr, RB_HIST_HOUR_NS) ||
		    lg_hsum_init(&r->hlog_unc, RB_HIST_HOUR_NS))
			return -ENOMEM;
		for (int k = 0; k < LG_SERIES_SLOTS && cfg->mode == LG_MODE_OPEN; k++)
			if (rb_hist_init(&r->sec_unc[k], RB_HIST_HOUR_NS))
				return -ENOMEM;
	}
	return 0;
}

void lg_run_clock_at(lg_run *r, double at, double wall, uint64_t mono, uint64_t earliest,
		     uint64_t phase_ns)
{
	const lg_config *cfg = r->cfg;
	double ahead = at - wall;
	uint64_t when = mono + (ahead > 0 ? (uint64_t)(ahead * 1e9) : 0);
	uint64_t start = when > earliest ? when : earliest;
	uint64_t t0 = start > earliest + cfg->warmup_ns ? start - cfg->warmup_ns : earliest;
	if (cfg->mode == LG_MODE_OPEN)
		t0 += phase_ns;
	r->measure_end = cfg->duration_ns ? start + cfg->duration_ns : UINT64_MAX;
	r->measure_start = start;
	r->t0 = t0;
	/* On time, the window starts at the instant itself (not one rounded
	 * through the monotonic clock): logs of several processes line up. */
	r->measure_start_wall =
		start == when && ahead >= 0 ? at : wall + ((double)start - (double)mono) / 1e9;
}

void lg_run_free(lg_run *r)
{
	for (int k = 0; k < LG_SERIES_SLOTS; k++) {
		rb_hist_free(&r->sec_hist[k]);
		rb_hist_free(&r->sec_unc[k]);
	}
	lg_hsum_free(&r->hlog_corr);
	lg_hsum_free(&r->hlog_unc);
	free(r->rolled);
	free(r->finished);
	free(r->series);
	pthread_mutex_destroy(&r->lock);
}

void lg_run_fatal(lg_run *r, const char *fmt, ...)
{
	pthread_mutex_lock(&r->lock);
	if (!r->fatal[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->fatal, sizeof(r->fatal), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->lock);
	atomic_store(&r->stop, 1);
}

/* --hlog: second sec's histograms into its bins (lock held). */
static void lg_run_hlog_add(lg_run *r, uint64_t sec, double length_s, const rb_hist *iv,
			    const rb_hist *iv_unc)
{
	if (!r->hlog)
		return;
	if (lg_hsum_add(&r->hlog_corr, (int64_t)sec, length_s, iv))
		r->hlog_failed = 1;
	if (iv_unc && lg_hsum_add(&r->hlog_unc, (int64_t)sec, length_s, iv_unc))
		r->hlog_failed = 1;
}

/* Emit second sec_next from its slot (lock held). */
static void lg_run_emit_one(lg_run *r)
{
	uint32_t slot = (uint32_t)(r->sec_next % LG_SERIES_SLOTS);
	int unc = r->hlog && r->cfg->mode == LG_MODE_OPEN;
	lg_run_hlog_add(r, r->sec_next, 1.0, &r->sec_hist[slot], unc ? &r->sec_unc[slot] : NULL);
	if (unc)
		rb_hist_reset(&r->sec_unc[slot]);
	if (r->nseries == r->series_cap) {
		uint64_t cap = r->series_cap ? r->series_cap * 2 : 64;
		lg_series_point *s = realloc(r->series, cap * sizeof(*s));
		if (s) {
			r->series = s;
			r->series_cap = cap;
		}
	}
	/* Out of memory for the series: this second's point is dropped (the
	 * totals and the log have it), and the slot still moves on, so the
	 * second is neither emitted twice nor waited on forever. */
	if (r->nseries < r->series_cap) {
		lg_series_point *p = &r->series[r->nseries++];
		const rb_hist *h = &r->sec_hist[slot];
		*p = r->sec_acc[slot];
		p->requests = rb_hist_count(h);
		p->p50_ns = rb_hist_value_at_percentile(h, 50.0);
		p->p99_ns = rb_hist_value_at_percentile(h, 99.0);
		p->max_ns = rb_hist_max(h);
	}
	rb_hist_reset(&r->sec_hist[slot]);
	memset(&r->sec_acc[slot], 0, sizeof(r->sec_acc[slot]));
	r->sec_next++;
}

/* Emit every second that no worker still owes (lock held). */
static void lg_run_emit_ready(lg_run *r)
{
	for (;;) {
		for (uint32_t w = 0; w < r->nworkers; w++)
			if (!r->finished[w] && r->rolled[w] < r->sec_next)
				return;
		/* every worker is finished or past sec_next; is anything in it? */
		int any = 0;
		for (uint32_t w = 0; w < r->nworkers; w++)
			if (r->rolled[w] >= r->sec_next)
				any = 1;
		if (!any)
			return;
		lg_run_emit_one(r);
	}
}

void lg_run_roll(lg_run *r, uint32_t worker, uint64_t sec, const rb_hist *iv, const rb_hist *iv_unc,
		 uint64_t errors, uint64_t connects)
{
	pthread_mutex_lock(&r->lock);
	/* A worker more than LG_SERIES_SLOTS seconds ahead of the slowest one
	 * (which wakes at least ten times a second, so this is a stuck thread):
	 * emit the oldest seconds as they are rather than mix two seconds. */
	while (sec >= r->sec_next + LG_SERIES_SLOTS)
		lg_run_emit_one(r);
	if (sec >= r->sec_next) {
		uint32_t slot = (uint32_t)(sec % LG_SERIES_SLOTS);
		rb_hist_merge(&r->sec_hist[slot], iv);
		if (iv_unc)
			rb_hist_merge(&r->sec_unc[slot], iv_unc);
		r->sec_acc[slot].errors += errors;
		r->sec_acc[slot].connects += connects;
	} else {
		/* emitted already (this worker was stuck): the series goes
		 * without, the log not */
		lg_run_hlog_add(r, sec, 1.0, iv, iv_unc);
	}
	r->rolled[worker] = sec;
	lg_run_emit_ready(r);
	pthread_mutex_unlock(&r->lock);
}

void lg_run_tail(lg_run *r, uint64_t sec, double length_s, const rb_hist *iv, const rb_hist *iv_unc)
{
	if (!r->hlog || (!rb_hist_count(iv) && !(iv_unc && rb_hist_count(iv_unc))))
		return;
	pthread_mutex_lock(&r->lock);
	lg_run_hlog_add(r, sec, length_s, iv, iv_unc);
	pthread_mutex_unlock(&r->lock);
}

void lg_run_worker_finished(lg_run *r, uint32_t worker)
{
	pthread_mutex_lock(&r->lock);
	r->finished[worker] = 1;
	lg_run_emit_ready(r);
	pthread_mutex_unlock(&r->lock);
	atomic_fetch_add(&r->workers_done, 1);
}
