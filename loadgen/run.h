/*
 * What the threads of one run share: the clock points, the stop flag, the
 * first fatal error, and the per-second series (workers hand each second's
 * histogram over under a lock, once a second; nothing else is locked).
 */
#ifndef LG_RUN_H
#define LG_RUN_H

#include "config.h"
#include "counts.h"
#include "hsum.h"
#include "rb_hist.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define LG_SERIES_SLOTS 4 /* seconds in hand-over at once */

typedef struct lg_series_point {
	uint64_t requests, errors;
	uint64_t connects; /* connections established that second */
	uint64_t p50_ns, p99_ns, max_ns;
} lg_series_point;

typedef struct lg_run {
	const lg_config *cfg;
	uint32_t nworkers;
	struct rb_tls_ctx *tls; /* https://: the client context every worker's sessions share */

	/* Clock points (CLOCK_MONOTONIC ns), set before the workers start;
	 * or, when the start is held (rbload-mpi: the ranks agree on it once
	 * their connections are open), t0 and measure_start LG_HELD and
	 * measure_end UINT64_MAX until main publishes them (lg_run_clock_at)
	 * while the workers run: hence atomic.  Nothing is sent before t0. */
	uint64_t open_t0;               /* connections open from here (--ramp, --conn-rate) */
	_Atomic uint64_t t0;            /* the schedule's origin: requests are sent from here */
	_Atomic uint64_t measure_start; /* t0 + warm-up */
	_Atomic uint64_t measure_end;   /* measure_start + duration, or UINT64_MAX */
	double measure_start_wall;      /* measure_start on the wall clock (epoch s) */

	atomic_int stop;           /* SIGINT/SIGTERM or a fatal error: finish now */
	atomic_int ever_connected; /* some connection has been established */
	atomic_uint workers_done;
	atomic_uint conns_up;         /* connections established at least once */
	atomic_uint connect_failures; /* connects that failed (every one, warm-up included) */

	pthread_mutex_t lock; /* the fatal message and the series */
	char fatal[1024];     /* first fatal error, "" if none */

	/* Per-second series: slot k % LG_SERIES_SLOTS collects second k from
	 * every worker; emitted once each worker has rolled past it or finished. */
	rb_hist sec_hist[LG_SERIES_SLOTS];
	lg_series_point sec_acc[LG_SERIES_SLOTS];
	uint64_t sec_next; /* the next second to emit (1-based) */
	uint64_t *rolled;  /* per worker: seconds rolled so far */
	uint8_t *finished; /* per worker */
	lg_series_point *series;
	uint64_t nseries, series_cap;

	/* --hlog: every second's histograms, kept compact: second k of the
	 * window is bin k (the last one may be partial); a second rolled after
	 * it was emitted is added to its bin all the same.  hlog_unc and
	 * sec_unc only in open loop (elsewhere uncorrected == corrected). */
	int hlog;
	lg_hsum hlog_corr, hlog_unc;
	rb_hist sec_unc[LG_SERIES_SLOTS];
	int hlog_failed; /* out of memory: the log would be incomplete */
} lg_run;

/* A held start: far enough ahead that no clock reaches it, small enough
 * that a second added to it does not wrap (about 146 years of uptime). */
#define LG_HELD (UINT64_C(1) << 62)

int lg_run_init(lg_run *r, const lg_config *cfg, uint32_t nworkers);

/* The clock points of a window that opens at wall-clock instant `at` (epoch
 * s), given the wall clock and the monotonic one read together (wall, mono):
 * requests go from `at` - warm-up, no sooner than `earliest` (monotonic), the
 * window opens at `at` (no sooner than earliest either) and lasts the
 * duration.  In open loop the schedule starts phase_ns later (rbload-mpi's
 * ranks interleave their requests).  measure_end is stored first, t0 last. */
void lg_run_clock_at(lg_run *r, double at, double wall, uint64_t mono, uint64_t earliest,
		     uint64_t phase_ns);
void lg_run_free(lg_run *r);

/* Record the first fatal error and stop the run. */
void lg_run_fatal(lg_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A worker ends second `sec` (1-based): its interval histogram (and, for
 * --hlog in open loop, its uncorrected one, else NULL), error and connect
 * counts go into that second's slot. */
void lg_run_roll(lg_run *r, uint32_t worker, uint64_t sec, const rb_hist *iv, const rb_hist *iv_unc,
		 uint64_t errors, uint64_t connects);

/* A worker's last, partial second `sec` (length_s of it) for --hlog (the
 * series keeps whole seconds only). */
void lg_run_tail(lg_run *r, uint64_t sec, double length_s, const rb_hist *iv,
		 const rb_hist *iv_unc);

/* A worker is done: later seconds no longer wait for it. */
void lg_run_worker_finished(lg_run *r, uint32_t worker);

#endif
