/*
 * One load-generator thread: pinned, its own ring, its own provided buffers,
 * connections and request bytes, its own histograms and counters.
 */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include "conn.h"
#include "counts.h"
#include "request.h"
#include "run.h"

#include "rb_bufring.h"
#include "rb_hist.h"
#include "rb_ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct lg_worker {
	uint32_t id;
	int cpu;
	lg_run *run;
	const lg_config *cfg;
	pthread_t thread;

	struct io_uring ring;
	rb_ring_info ring_info;
	rb_bufring br;
	int ring_ready, br_ready;
	int multishot; /* 0 after the kernel refused multishot recv */
	int cancel_fd; /* 0 after the kernel refused IORING_ASYNC_CANCEL_FD */
	unsigned parse_flags;

	lg_requests req;
	lg_conn *conns;
	uint32_t nconns;
	lg_inflight *inflight_mem;
	lg_conn *dirty;

	/* Corrected latencies go to the per-second interval histogram, rolled
	 * into corr once a second; uncorrected ones straight into uncorr. */
	rb_hist iv, corr, uncorr;
	lg_counts counts;
	uint64_t errors_rolled;                          /* errors already handed to the series */
	uint64_t sec_rolled;                             /* seconds of the window rolled so far */
	atomic_uint_fast64_t live_requests, live_errors; /* for the progress line */

	uint64_t now;             /* the clock, read once per completion batch */
	uint64_t quota;           /* -n: measured requests this thread sends; UINT64_MAX: none */
	uint64_t outstanding;     /* measured requests in flight */
	int finishing;            /* no new requests; the loop ends */
	uint64_t end_ns;          /* when it finished (in -n runs: the last request settled) */
	uint64_t last_settled_ns; /* a measured request last answered or lost */

	/* Open loop: the cursor over the schedule (request k of connection i). */
	double ns_per_request; /* 1e9 / rate */
	uint64_t sched_k;
	uint32_t sched_i;
	uint64_t next_due;

	uint64_t next_scan; /* timeouts and reconnects */
	uint64_t next_open; /* earliest open_at of an IDLE connection */

	/* CPU time over the window (RUSAGE_THREAD). */
	uint64_t cpu_user_ns, cpu_sys_ns;
	int cpu_started;

	char err[256]; /* why the worker could not start */
} lg_worker;

/* Set up everything the thread needs except the ring (which the thread must
 * create itself: SINGLE_ISSUER).  Returns 0 or -1 with w->err set. */
int lg_worker_init(lg_worker *w, lg_run *run, uint32_t id, uint32_t first_conn, uint32_t nconns,
		   uint64_t quota);
void lg_worker_free(lg_worker *w);

/* The thread: pins itself, creates its ring, waits on `start`, runs. */
void *lg_worker_main(void *arg);

/* The barrier every worker and main meet at twice: after set-up (main then
 * checks w->err and sets the clock points) and to start. */
extern pthread_barrier_t lg_start_barrier;

/* Handlers the worker loop calls (conn_io.c, response.c). */
void lg_conn_open(lg_worker *w, lg_conn *c);
void lg_conn_close(lg_worker *w, lg_conn *c, int err_kind);
void lg_conn_mark_dirty(lg_worker *w, lg_conn *c);
void lg_conn_flush(lg_worker *w, lg_conn *c);
void lg_handle_cqe(lg_worker *w, const struct io_uring_cqe *cqe);
void lg_conn_input(lg_worker *w, lg_conn *c, const char *p, size_t n);
void lg_conn_eof(lg_worker *w, lg_conn *c);
/* Ready c to parse a new response from its first byte (response.c). */
void lg_message_reset(lg_conn *c);

/* Is now inside the measured window? */
static inline int lg_in_window(const lg_worker *w)
{
	return w->now >= w->run->measure_start && w->now < w->run->measure_end;
}

/* user_data: operation, generation, slot. */
enum lg_op {
	LG_OP_CONNECT = 1,
	LG_OP_RECV,
	LG_OP_SEND,
	LG_OP_CANCEL
};

static inline uint64_t lg_ud(enum lg_op op, const lg_conn *c)
{
	return ((uint64_t)op << 56) | ((uint64_t)(c->gen & 0xffffff) << 32) | c->idx;
}

#endif
