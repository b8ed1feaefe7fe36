/*
 * The worker thread: set up the ring and the HTTP context, run the loop
 * (completions, the per-batch flush, timeouts, shutdown), tear down.  Its
 * state is srv_worker.
 */
#ifndef SRV_WORKER_H
#define SRV_WORKER_H

/* The thread body (arg: its srv_worker): set up, wait on server->ready,
 * run the loop, tear down. */
void *srv_worker_main(void *arg);

#endif
