/*
 * What one load-generator thread owns: its event loop (ring and receive
 * buffers), connections and request bytes, its histograms and counters.
 * The thread's loop and timers (lg_worker_main) and the connections
 * (lg_conn_handle and its kin) both work on it; neither header includes
 * the other's.
 */
#ifndef LG_WORKER_STATE_H
#define LG_WORKER_STATE_H

#include "conn.h"
#include "counts.h"
#include "request.h"
#include "run.h"

#include "rb_hist.h"
#include "rb_loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define LG_TLS_PLAIN 16384 /* a record's plaintext at most: rb_tls_read's buffer */

typedef struct lg_worker {
	uint32_t id;
	int cpu;
	lg_run *run;
	const lg_config *cfg;
	pthread_t thread;

	rb_loop loop;
	char name[32]; /* "worker 3", for the loop's log lines */
	int cancel_fd; /* 0 after the kernel refused IORING_ASYNC_CANCEL_FD */
	unsigned parse_flags;

	lg_requests req;
	lg_requests req_close; /* the same with Connection: close (--conn-requests) */
	lg_conn *conns;
	uint32_t nconns;
	lg_inflight *inflight_mem;
	lg_conn *dirty;
	lg_conn *openq_head, *openq_tail; /* IDLE connections due to open, in order */
	uint64_t conn_interval_ns;        /* --conn-rate: this thread's share, paced */
	uint64_t next_conn_slot;
	uint64_t late_ns;          /* open loop: one connection's interval between requests */
	uint32_t first_failures;   /* connections whose first connect failed */
	int ports_said;            /* the out-of-ports message was logged */
	unsigned port_lo, port_hi; /* the ephemeral port range, read once */

	/* --slow-recv: each connection's receive buffer (slow_chunk bytes). */
	char *slow_bufs;
	uint32_t slow_send_chunk, slow_recv_chunk;

	/* Corrected latencies go to the per-second interval histogram, rolled
	 * into corr once a second; uncorrected ones (open loop) into *unc_rec:
	 * straight into uncorr, or, for --hlog, into iv_unc, rolled alike. */
	rb_hist iv, corr, uncorr;
	rb_hist iv_unc;
	rb_hist *unc_rec;
	int sending;               /* the clock has reached run->t0: requests may go */
	rb_hist connect_h, ttfb_h; /* connect time; request sent to its response's first byte */
	/* https://: handshake times (connect done to handshake done); the plaintext
	 * drained from a session (lg_tls_input); the first version and cipher
	 * agreed (static strings); the first reason of each TLS error kind */
	rb_hist tls_hs_h;
	char *tls_plain;
	const char *tls_version, *tls_cipher;
	char tls_why[LG_E__COUNT - LG_E_TLS_HANDSHAKE][200];
	char ktls_why[256]; /* the first kTLS refusal (or export's reason), "" if none */
	lg_counts counts;
	uint64_t errors_rolled;                          /* errors already handed to the series */
	uint64_t connects_rolled;                        /* connects already handed to the series */
	uint64_t sec_rolled;                             /* seconds of the window rolled so far */
	atomic_uint_fast64_t live_requests, live_errors; /* for the progress line */

	uint64_t now;             /* the clock, read once per completion batch */
	uint64_t quota;           /* -n: measured requests this thread sends; UINT64_MAX: none */
	uint64_t outstanding;     /* measured requests in flight */
	int finishing;            /* no new requests; the loop ends */
	uint32_t ndraining;       /* connections waiting for the server's FIN */
	uint64_t finish_at;       /* the end's grace for them (LG_DRAIN_GRACE_NS) */
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
	uint64_t window_seen_ns; /* the first clock reading inside the window (0: none) */

	char err[256]; /* why the worker could not start */
} lg_worker;

/* Is now inside the measured window? */
static inline int lg_in_window(const lg_worker *w)
{
	return w->now >= w->run->measure_start && w->now < w->run->measure_end;
}

#endif
