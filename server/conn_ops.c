/*
 * Queuing a connection's operations (accept, recv, send, their
 * cancellations) and the connection lifecycle: abort, release, the dirty
 * list.  The rules are in conn.h: a slot is released once, when it is
 * closing and nothing naming it is in flight.
 */
#include "ops.h"

#include "rb_log.h"

#include <stdlib.h>
#include <sys/socket.h>

struct io_uring_sqe *srv_sqe(srv_worker *w)
{
	struct io_uring_sqe *sqe = rb_ring_sqe(&w->ring);
	if (!sqe) {
		/* The kernel takes nothing: the loop cannot make progress. */
		rb_log("worker %d: submission queue stuck; exiting", w->id);
		abort();
	}
	return sqe;
}

void srv_arm_accept(srv_worker *w)
{
	struct io_uring_sqe *sqe = srv_sqe(w);
	if (w->single_accept)
		io_uring_prep_accept(sqe, w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	else
		io_uring_prep_multishot_accept(sqe, w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_ACCEPT, NULL));
	w->accept_armed = 1;
	w->accept_retry = 0;
}

void srv_arm_recv(srv_worker *w, srv_conn *c)
{
	struct io_uring_sqe *sqe = srv_sqe(w);
	if (w->single_recv) /* one buffer per submission; the flush re-arms */
		io_uring_prep_recv(sqe, c->fd, NULL, w->cfg->recv_buffer_size, 0);
	else /* multishot wants length 0: each completion fills one buffer */
		io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->bufs.bgid;
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_RECV, c));
	c->recv_armed = 1;
}

void srv_cancel_recv(srv_worker *w, srv_conn *c)
{
	if (!c->recv_armed || c->cancel_sent)
		return;
	struct io_uring_sqe *sqe = srv_sqe(w);
	io_uring_prep_cancel64(sqe, srv_ud(SRV_OP_RECV, c), 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_CANCEL, NULL));
	c->cancel_sent = 1;
}

/* A send can wait forever on a client that does not read: aborting cancels
 * it, so the slot (and its output) is released now.  A send the kernel is
 * already running completes by itself (the cancel then fails harmlessly). */
void srv_cancel_send(srv_worker *w, srv_conn *c)
{
	if (!c->send_inflight || c->send_cancel)
		return;
	struct io_uring_sqe *sqe = srv_sqe(w);
	io_uring_prep_cancel64(sqe, srv_ud(SRV_OP_SEND, c), 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_CANCEL, NULL));
	c->send_cancel = 1;
}

void srv_send(srv_worker *w, srv_conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe = srv_sqe(w);
	io_uring_prep_send(sqe, c->fd, p, n, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_SEND, c));
	c->send_inflight = 1;
}

void srv_release_if_done(srv_worker *w, srv_conn *c)
{
	if (!c->in_use || !c->closing || c->recv_armed || c->send_inflight)
		return;
	srv_timer_clear(&w->timers, c);
	srv_pool_put(&w->pool, c); /* closes the socket and a file being served */
	SRV_STAT_SUB(&w->stats, conns_open, 1);
}

void srv_worker_abort(srv_worker *w, srv_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->input_done = 1;
	srv_timer_clear(&w->timers, c);
	srv_cancel_recv(w, c);
	srv_cancel_send(w, c);
	srv_release_if_done(w, c);
}

void srv_worker_mark_dirty(srv_worker *w, srv_conn *c)
{
	if (c->on_dirty)
		return;
	c->on_dirty = 1;
	w->dirty[w->ndirty++] = c;
}
