/*
 * The operations a worker keeps in flight, how a completion names its
 * operation and connection, and the helpers that queue them (conn_ops.c).
 *
 * user_data is rb_ud(op, slot, generation) (rb_loop.h); the generation is
 * the slot's (srv_pool_lookup).
 */
#ifndef SRV_OPS_H
#define SRV_OPS_H

#include "worker.h"

#include <stdint.h>

enum {
	SRV_OP_ACCEPT = 1,
	SRV_OP_RECV,
	SRV_OP_SEND,
	SRV_OP_TICK,
	SRV_OP_EVENT,
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

/* The one place a connection is released: closing, and no operation that
 * names it is still in flight. */
void srv_release_if_done(srv_worker *w, srv_conn *c);

/* After a batch (flush.c): resume paused input, continue a file being
 * streamed, send queued output (one send for the whole batch), finish
 * closing, keep the recv armed (or cancelled), pick the timeout. */
void srv_flush_dirty(srv_worker *w);

#endif
