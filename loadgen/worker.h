/*
 * One load-generator thread: pinned, its own event loop (rb_loop), its own
 * connections, histograms and counters: struct lg_worker.
 */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include "worker_state.h"

#include <pthread.h>

/* Set up everything the thread needs except the loop (which the thread must
 * create itself: SINGLE_ISSUER).  Returns 0 or -1 with w->err set. */
int lg_worker_init(lg_worker *w, lg_run *run, uint32_t id, uint32_t first_conn, uint32_t nconns,
		   uint64_t quota);
/* After the thread has ended: the loop first (it cancels what is pending
 * before the memory the operations point at goes), then the rest. */
void lg_worker_free(lg_worker *w);

/* The thread: pins itself, creates its loop, waits on `start`, runs. */
void *lg_worker_main(void *arg);

/* The barrier every worker and main meet at twice: after set-up (main then
 * checks w->err and sets the clock points) and to start. */
extern pthread_barrier_t lg_start_barrier;

#endif
