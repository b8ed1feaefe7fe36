/*
 * Queuing a connection's operations (accept, recv, send, their
 * cancellations) and the end of its life: abort, release, the dirty list.
 * The rule (srv_conn): a slot is released once, when it is CLOSING and
 * nothing naming it is in flight.
 */
#include "conn_ops.h"
#include "http_conn.h"

#include <poll.h>

void srv_arm_accept(srv_worker *w)
{
	rb_loop_arm_accept(&w->loop, w->listen_fd, srv_ud(SRV_OP_ACCEPT, NULL));
	w->accept_armed = 1;
	w->accept_retry = 0;
}

void srv_arm_recv(srv_worker *w, srv_conn *c)
{
	rb_loop_arm_recv(&w->loop, c->fd, srv_ud(SRV_OP_RECV, c));
	c->recv_armed = 1;
}

void srv_cancel_recv(srv_worker *w, srv_conn *c)
{
	if (!c->recv_armed || c->cancel_sent)
		return;
	rb_loop_cancel_ud(&w->loop, srv_ud(SRV_OP_RECV, c));
	c->cancel_sent = 1;
}

/* A send can wait forever on a client that does not read: aborting cancels
 * it, so the slot (and its output) is released now.  A send the kernel is
 * already running completes by itself (the cancel then fails harmlessly). */
void srv_cancel_send(srv_worker *w, srv_conn *c)
{
	if (!c->send_inflight || c->send_cancel)
		return;
	int op = c->send_inflight == SRV_SEND_POLL ? SRV_OP_WRITABLE : SRV_OP_SEND;
	rb_loop_cancel_ud(&w->loop, srv_ud(op, c));
	c->send_cancel = 1;
}

void srv_send(srv_worker *w, srv_conn *c, const char *p, size_t n)
{
	rb_loop_send(&w->loop, c->fd, p, n, srv_ud(SRV_OP_SEND, c));
	c->send_inflight = SRV_SEND_BUF;
}

void srv_wait_writable(srv_worker *w, srv_conn *c)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_poll_add(sqe, c->fd, POLLOUT);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_WRITABLE, c));
	c->send_inflight = SRV_SEND_POLL;
}

void srv_release_if_done(srv_worker *w, srv_conn *c)
{
	if (!c->in_use || c->state != SRV_CS_CLOSING || c->recv_armed || c->send_inflight)
		return;
	srv_timer_clear(&w->timers, c);
	srv_http_release(c); /* the exchange back to the pool, a file still open closed */
	srv_conn_idle_sync(c, &w->stats); /* CLOSING: no longer idle */
	srv_pool_put(&w->pool, c);        /* the socket */
	SRV_STAT_SUB(&w->stats, conns_open, 1);
}

void srv_conn_abort(srv_worker *w, srv_conn *c)
{
	if (!c->in_use)
		return;
	srv_conn_fail(c);
	srv_conn_idle_sync(c, &w->stats);
	srv_timer_clear(&w->timers, c);
	srv_cancel_recv(w, c);
	srv_cancel_send(w, c);
	srv_release_if_done(w, c);
}

void srv_conn_mark_dirty(srv_worker *w, srv_conn *c)
{
	if (c->on_dirty)
		return;
	c->on_dirty = 1;
	w->dirty[w->ndirty++] = c;
}
