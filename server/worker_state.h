/*
 * A worker's state, and the server's (data only).  A worker: one thread,
 * pinned to one CPU, with its own io_uring, its own SO_REUSEPORT listening
 * socket, its own receive buffers and its own connections.  Nothing on the
 * request path is shared with other workers.  Included by the connection
 * layer (srv_worker_main's completions, srv_flush_dirty, the operations)
 * and main; the HTTP layer sees only srv_http.
 */
#ifndef SRV_WORKER_STATE_H
#define SRV_WORKER_STATE_H

#include "config.h"
#include "conn.h"
#include "http_ctx.h"
#include "stats.h"
#include "timeouts.h"

#include "rb_loop.h"

#include <linux/time_types.h>
#include <pthread.h>
#include <stdint.h>

struct srv_server;

typedef struct srv_worker {
	int id;
	int cpu;
	const srv_config *cfg;
	struct srv_server *server; /* every worker's counters, for /stats */

	rb_loop loop; /* the ring, the receive buffers, the fallbacks */

	int listen_fd;
	int event_fd;       /* written by the main thread to ask for shutdown */
	uint64_t event_val; /* the eventfd read lands here */
	int accept_armed;
	int accept_retry; /* accept failed: re-arm on the next tick */
	uint64_t stop_deadline_ms;

	srv_pool pool;
	srv_conn **dirty; /* connections to flush after this batch of completions */
	uint32_t ndirty;

	srv_timers timers;
	/* The HTTP layer's view: limits, --root, the Date, the fixed
	 * responses, the counters, and http.stopping (shutting down). */
	srv_http http;
	uint64_t now_ms;
	struct __kernel_timespec tick;

	srv_stats stats;

	/* HTTPS: the server's context (shared: one ticket key), and where
	 * rb_tls_read puts plaintext on its way to srv_http_input. */
	struct rb_tls_ctx *tls_ctx;
	char *tls_plain;

	pthread_t thread;
	int setup_rc; /* 0 once the worker is ready; -errno if it could not start */
	int exit_rc;
} srv_worker;

typedef struct srv_server {
	srv_config cfg;
	int nworkers;
	srv_worker *workers;
	srv_stats_ref *stats;       /* nworkers entries: where /stats reads each worker */
	pthread_barrier_t ready;    /* workers + main: every ring is set up (or failed) */
	struct rb_tls_ctx *tls_ctx; /* --tls-cert: every worker's sessions come from it */
	char tls_mode[320];         /* "user space, no kTLS: <why>" (/stats, the start-up line) */
} srv_server;

#endif
