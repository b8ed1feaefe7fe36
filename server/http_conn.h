/*
 * The HTTP exchange on one connection: received bytes in, responses out.
 *
 * Bytes are parsed where they arrived (the provided buffer) whenever nothing
 * is carried over; only the unfinished tail of a batch (a partial header
 * block or chunk-size line), or input that arrives while the connection is
 * PAUSED or STREAMING, is copied into x->in, and parsing resumes there (the
 * parser keeps its place; spans are relative to the message start, so moving
 * the bytes is fine).  Every complete request is answered, in order, into
 * the connection's pending output; the worker sends all of it in one send
 * after the batch.
 *
 * Whether the connection persists after a response is decided once per
 * exchange, when its header block completes (srv_exchange_decide); nothing
 * later changes it except to close (srv_exchange_close).
 *
 * Calls run one way: the connection calls this module, which calls the
 * routes, the responders and the response writer; none of them calls back.
 * What the connection must do next (pause, stream, drain, fail) is left in
 * its state (the srv_conn_* transitions), which the caller reads.
 *
 * The exchange's memory (srv_exchange: the parse, the request, the buffers)
 * is attached to a connection when a request's first bytes arrive and given
 * back to the worker's pool (srv_http.xpool) when the connection is idle
 * again (srv_http_detach), so an idle connection holds only its slot.
 */
#ifndef SRV_HTTP_CONN_H
#define SRV_HTTP_CONN_H

#include "conn.h"
#include "http_ctx.h"

#include <stddef.h>

/* Set h up for worker worker_id: limits from cfg, --root (the directory,
 * the path scratch, the header store; RBSERVER_NO_OPENAT2), the test
 * switches RBSERVER_IN_CAP and RBSERVER_OOM_EVERY (the latter for the calling
 * thread), the Date.  stats: the worker's counters.  Returns 0, or -errno
 * after logging. */
int srv_http_init(srv_http *h, const srv_config *cfg, int worker_id, srv_stats *stats);
void srv_http_fini(srv_http *h);

/* Bytes received on c; data is only valid during the call.  OPEN attaches
 * an exchange if c has none (out of memory fails the connection), parses
 * and answers; PAUSED and STREAMING hold the bytes (more than h->in_cap
 * held fails the connection); later states drop them. */
void srv_http_input(srv_http *h, srv_conn *c, const char *data, size_t len);

/* After a batch (srv_flush): go on where the exchange waits.  STREAMING:
 * queue more of the file, and at its end parse the input held behind it;
 * PAUSED: once the pending output has gone to the kernel, parse the held
 * input.  Other states: nothing. */
void srv_http_continue(srv_http *h, srv_conn *c);

/* The header or body timeout of c's request expired (head: which): answer
 * 408 and drain.  Returns 0, or -1 when c is not reading a request or has
 * output queued, and the caller closes it at once. */
int srv_http_timeout(srv_http *h, srv_conn *c, int head);

/* The worker is stopping (h->stopping set): the request in progress on c,
 * if any, or the file being streamed, is its last. */
void srv_http_stop(srv_http *h, srv_conn *c);

/* After a flush: if c's exchange is over (OPEN between requests with
 * nothing held, queued or in flight; or LINGERING, everything sent), give
 * it back to the pool.  Returns 1 when it did. */
int srv_http_detach(srv_conn *c);

/* The connection's slot is released: its exchange, if any, goes back to
 * the pool (a file still open closed, buffers trimmed). */
void srv_http_release(srv_conn *c);

/* The same, at teardown (before srv_http_fini frees the pool). */
void srv_http_free(srv_conn *c);

#endif
