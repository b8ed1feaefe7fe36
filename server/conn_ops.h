/*
 * A connection's kernel operations on the worker's ring, and the end of its
 * life: queuing accept, recv, send and their cancellations; closing at once
 * (srv_conn_abort); the one release of a slot (srv_release_if_done); the
 * list of connections to flush after the batch.
 *
 * user_data is rb_ud(op, slot, generation); the generation is the slot's
 * (srv_pool_lookup).
 */
#ifndef SRV_CONN_OPS_H
#define SRV_CONN_OPS_H

#include "worker_state.h"

#include <stdint.h>

enum {
	SRV_OP_ACCEPT = 1,
	SRV_OP_RECV,
	SRV_OP_SEND,
	SRV_OP_TICK,
	SRV_OP_EVENT,
	SRV_OP_WRITABLE, /* a poll for POLLOUT: a file run goes next (srv_send_file) */
};

static inline uint64_t srv_ud(int op, const srv_conn *c)
{
	return c ? rb_ud((unsigned)op, c->idx, c->gen) : rb_ud((unsigned)op, 0, 0);
}

void srv_arm_accept(srv_worker *w);
void srv_arm_recv(srv_worker *w, srv_conn *c);
void srv_cancel_recv(srv_worker *w, srv_conn *c);
void srv_cancel_send(srv_worker *w, srv_conn *c);
void srv_send(srv_worker *w, srv_conn *c, const char *p, size_t n);
/* Wait until c's socket takes more: its completion sends what is queued
 * and the file run from the worker (srv_send_file).  Takes the send's
 * place: at most one of the two is in flight. */
void srv_wait_writable(srv_worker *w, srv_conn *c);

/* Close c at once (error, reset, timeout, or a connection the HTTP side
 * failed): CLOSING, its output dropped, its recv and send cancelled, and
 * released as soon as neither is in flight.  Idempotent: any code that
 * finds a connection CLOSING calls it. */
void srv_conn_abort(srv_worker *w, srv_conn *c);

/* The one place a connection is released: CLOSING, and no operation that
 * names it is still in flight. */
void srv_release_if_done(srv_worker *w, srv_conn *c);

/* Have c flushed (srv_flush_dirty) at the end of this batch. */
void srv_conn_mark_dirty(srv_worker *w, srv_conn *c);

#endif
