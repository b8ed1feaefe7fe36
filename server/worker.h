/*
 * A worker: one thread, pinned to one CPU, with its own io_uring, its own
 * SO_REUSEPORT listening socket, its own provided buffer ring and its own
 * connections.  Nothing on the request path is shared with other workers.
 */
#ifndef SRV_WORKER_H
#define SRV_WORKER_H

#include "config.h"
#include "conn.h"
#include "static_open.h"
#include "stats.h"
#include "timeouts.h"

#include "rb_httpdate.h"
#include "rb_loop.h"

#include <linux/time_types.h>
#include <pthread.h>
#include <stdint.h>

struct srv_server;

/* A 200 response with a fixed body, kept whole (head and body) and rewritten
 * only when the Date changes: the benchmark endpoints answer the same bytes
 * every time, and writing the head field by field was a third of rbserver's
 * user time pipelined.  Written by srv_resp_fixed() (http_response.c). */
typedef struct srv_fixed_resp {
	time_t date_sec; /* the Date second the bytes were written for */
	uint32_t head_len, len;
	char bytes[256];
} srv_fixed_resp;

typedef struct srv_worker {
	int id;
	int cpu;
	const srv_config *cfg;
	struct srv_server *server; /* for /stats: every worker's counters */

	rb_loop loop; /* the ring, the receive buffers, the fallbacks (rb_loop.h) */

	int listen_fd;
	int event_fd;       /* written by the main thread to ask for shutdown */
	uint64_t event_val; /* the eventfd read lands here */
	int accept_armed;
	int accept_retry; /* accept failed: re-arm on the next tick */
	int stopping;
	uint64_t stop_deadline_ms;

	srv_pool pool;
	srv_conn **dirty; /* connections to flush after this batch of completions */
	uint32_t ndirty;

	srv_timers timers;
	rp_limits limits;
	/* Header lines of the request being parsed: with --root (header
	 * values are read) this is hdr_store, shared by the worker's
	 * connections; without it NULL, and ringparse stores nothing. */
	rp_header *hdr_array;
	rp_header hdr_store[SRV_MAX_HEADERS];

	/* Static files (--root). */
	srv_root root; /* root.fd -1 without --root */
	char *path;    /* a normalised path, path_cap bytes */
	size_t path_cap;
	uint64_t boundary_state; /* multipart boundaries */

	rb_httpdate date;
	srv_fixed_resp plaintext, json; /* /plaintext and /json */
	uint64_t now_ms;
	struct __kernel_timespec tick;

	srv_stats stats;

	pthread_t thread;
	int setup_rc; /* 0 once the worker is ready; -errno if it could not start */
	int exit_rc;
} srv_worker;

typedef struct srv_server {
	srv_config cfg;
	int nworkers;
	srv_worker *workers;
	pthread_barrier_t ready; /* workers + main: every ring is set up (or failed) */
} srv_server;

/* The thread body: set up the ring, wait on server->ready, run the loop. */
void *srv_worker_main(void *arg);

/* Queue output on c and have it flushed at the end of this batch. */
void srv_worker_mark_dirty(srv_worker *w, srv_conn *c);

/* Start closing c at once (error, reset, timeout): drop its output. */
void srv_worker_abort(srv_worker *w, srv_conn *c);

#endif
