/*
 * Connections: their lifecycle (connect, close once every operation has
 * completed, reconnect) and the ring operations on them (receive, send,
 * cancel), and the completions of those operations.  Each response the
 * framing (lg_rx_feed) cuts out of a receive is accounted for here: its
 * latency recorded, its slot refilled.
 *
 * Called by the thread's loop and timers (lg_worker_main); calls down into
 * the response framing and the event loop, never back.
 */
#ifndef LG_CONN_IO_H
#define LG_CONN_IO_H

#include "worker_state.h"

/* Ready connection slot idx of w (no socket yet). */
void lg_conn_init(lg_worker *w, lg_conn *c, uint32_t idx, uint32_t global);
/* Free what the connection allocated (its socket is the caller's to close). */
void lg_conn_free(lg_conn *c);

/* Open a socket and start connecting (c is IDLE). */
void lg_conn_open(lg_worker *w, lg_conn *c);

/* c is IDLE and its open_at has come: queue it to open (once). */
void lg_conn_queue_open(lg_worker *w, lg_conn *c);

/* May w open connections now (not finishing; an -n run's requests not all sent)? */
int lg_conn_may_open(const lg_worker *w);

/* Open the queued connections in order, as fast as --conn-rate allows
 * (w->next_conn_slot: when the next may go). */
void lg_conn_open_queued(lg_worker *w);

/* Who ended an open connection, for the counts. */
enum lg_closer {
	LG_BY_NONE = 0, /* it never opened, or the run is ending */
	LG_BY_SERVER,   /* Connection: close, a FIN or a reset from the server */
	LG_BY_RBLOAD,   /* a timeout, a protocol error, --conn-requests */
};

/* Close c (err_kind: an lg_err to count, or -1 for an orderly close).  The
 * socket is closed once its operations have completed. */
void lg_conn_close(lg_worker *w, lg_conn *c, int err_kind, enum lg_closer by);

/* A connection waiting for the server's FIN past the timeout: cut off. */
void lg_conn_check_draining(lg_worker *w, lg_conn *c);

/* Queue c for the end of the batch (lg_conn_flush), once. */
void lg_conn_mark_dirty(lg_worker *w, lg_conn *c);

/* Re-arm c's receive if it ended (after the batch's buffers are back), then
 * send as many requests as c may have in flight now, in one send. */
void lg_conn_flush(lg_worker *w, lg_conn *c);

/* One completion of a connection operation (the loop's handler). */
void lg_conn_handle(lg_worker *w, const struct io_uring_cqe *cqe);

#endif
