/* Connection lifecycle and the ring operations: connect, receive, send, close. */
#include "worker.h"

#include "rb_clock.h"
#include "rb_log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LG_RETRY_NS (100ull * 1000000ull) /* after a failed connect */

/* Count an error of `kind` if it happened inside the window. */
static void lg_count_error(lg_worker *w, int kind)
{
	if (lg_in_window(w) ||
	    (w->run->measure_end == UINT64_MAX && w->now >= w->run->measure_start))
		w->counts.errors[kind]++;
}

void lg_conn_mark_dirty(lg_worker *w, lg_conn *c)
{
	if (!c->on_dirty) {
		c->on_dirty = 1;
		c->dirty_next = w->dirty;
		w->dirty = c;
	}
}

static void lg_arm_recv(lg_worker *w, lg_conn *c)
{
	struct io_uring_sqe *sqe = rb_ring_sqe(&w->ring);
	if (w->multishot)
		io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	else
		io_uring_prep_recv(sqe, c->fd, NULL, w->br.size, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->br.bgid;
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_RECV, c));
	c->recv_armed = 1;
}

void lg_conn_open(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	int fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		lg_run_fatal(w->run, "cannot open a socket: %s%s", strerror(errno),
			     errno == EMFILE || errno == ENFILE
				     ? " (raise the open-file limit: ulimit -n)"
				     : "");
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->state = LG_C_CONNECTING;
	c->connect_ns = w->now;
	c->connect_inflight = 1;
	struct io_uring_sqe *sqe = rb_ring_sqe(&w->ring);
	io_uring_prep_connect(sqe, fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen);
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_CONNECT, c));
}

/* Forget the requests in flight: measured ones are unanswered. */
static void lg_conn_drop_inflight(lg_worker *w, lg_conn *c)
{
	for (uint32_t j = 0; j < c->inflight; j++) {
		const lg_inflight *e = &c->ring[(c->head + j) % w->cfg->pipeline];
		if (e->measured) {
			w->counts.unanswered++;
			w->outstanding--;
			w->last_settled_ns = w->now; /* lost: settled too (-n runs end here) */
		}
	}
	c->head = 0;
	c->inflight = 0;
}

/* Every operation on the socket is over: close it and plan the reconnect. */
static void lg_conn_finalize(lg_worker *w, lg_conn *c)
{
	if (c->connect_inflight || c->recv_armed || c->send_inflight)
		return;
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->state = LG_C_IDLE;
	/* A fresh parser state for the next socket: a connection closed in
	 * the middle of a response (a parse error, a reset, a timeout) left
	 * c->m as it was, and the next socket's first response was parsed on
	 * from there (after a parse error: every later response was one). */
	lg_message_reset(c);
	c->carry_len = 0;
	c->send_len = c->send_off = 0;
	c->used = 0;
	if (c->open_at < w->now)
		c->open_at = w->now;
	if (c->open_at < w->next_open)
		w->next_open = c->open_at;
}

/* Close c (err_kind: an lg_err to count, or -1 for an orderly close).  The
 * socket is closed once its operations have completed. */
void lg_conn_close(lg_worker *w, lg_conn *c, int err_kind)
{
	if (c->state == LG_C_CLOSING || c->state == LG_C_IDLE)
		return;
	if (err_kind >= 0)
		lg_count_error(w, err_kind);
	lg_conn_drop_inflight(w, c);
	c->state = LG_C_CLOSING;
	c->open_at = err_kind == LG_E_CONNECT ? w->now + LG_RETRY_NS : w->now;
	if (c->connect_inflight || c->recv_armed || c->send_inflight) {
		/* shutdown ends a receive and a send; a connect needs the cancel */
		shutdown(c->fd, SHUT_RDWR);
		if (w->cancel_fd || c->connect_inflight) {
			struct io_uring_sqe *sqe = rb_ring_sqe(&w->ring);
			if (w->cancel_fd)
				io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
			else
				io_uring_prep_cancel64(sqe, lg_ud(LG_OP_CONNECT, c), 0);
			io_uring_sqe_set_data64(sqe, (uint64_t)LG_OP_CANCEL << 56);
		}
		return;
	}
	lg_conn_finalize(w, c);
}

static void lg_on_connect(lg_worker *w, lg_conn *c, int res)
{
	c->connect_inflight = 0;
	if (c->state == LG_C_CLOSING) {
		lg_conn_finalize(w, c);
		return;
	}
	if (res < 0) {
		if (!atomic_load(&w->run->ever_connected)) {
			lg_run_fatal(w->run, "cannot connect to %s: %s", w->cfg->peer,
				     strerror(-res));
			c->state = LG_C_CLOSING;
			lg_conn_finalize(w, c);
			return;
		}
		lg_conn_close(w, c, LG_E_CONNECT);
		return;
	}
	atomic_store_explicit(&w->run->ever_connected, 1, memory_order_relaxed);
	c->state = LG_C_OPEN;
	c->phase = LG_PH_HEAD;
	if (w->now >= w->run->measure_start) {
		if (c->opened_before)
			w->counts.reopened++;
		else
			w->counts.opened++;
	} else if (!c->opened_before) {
		w->counts.opened++; /* the first open of each connection always counts */
	}
	c->opened_before = 1;
	lg_arm_recv(w, c);
	lg_conn_mark_dirty(w, c);
}

static void lg_on_recv(lg_worker *w, lg_conn *c, const struct io_uring_cqe *cqe)
{
	int res = cqe->res;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = 0;
	if (res > 0) {
		uint16_t bid = rb_bufring_bid(cqe);
		if (c->state == LG_C_OPEN) {
			if (lg_in_window(w))
				w->counts.bytes_read += (uint64_t)res;
			lg_conn_input(w, c, rb_bufring_ptr(&w->br, bid), (size_t)res);
		}
		rb_bufring_put(&w->br, bid);
	} else if (res == 0) {
		if (c->state == LG_C_OPEN)
			lg_conn_eof(w, c);
	} else if (res == -ENOBUFS) {
		w->counts.enobufs++; /* the ring ran dry: not the connection's fault */
	} else if (res == -EINVAL && w->multishot && c->state == LG_C_OPEN) {
		rb_log("kernel refused multishot recv (-EINVAL); using single-shot recv");
		w->multishot = 0;
	} else if (res != -ECANCELED && c->state == LG_C_OPEN) {
		lg_conn_close(w, c, res == -ECONNRESET || res == -EPIPE ? LG_E_RESET : LG_E_READ);
	}
	if (c->state == LG_C_OPEN && !c->recv_armed)
		lg_arm_recv(w, c);
	else if (c->state == LG_C_CLOSING)
		lg_conn_finalize(w, c);
}

static void lg_submit_send(lg_worker *w, lg_conn *c)
{
	struct io_uring_sqe *sqe = rb_ring_sqe(&w->ring);
	io_uring_prep_send(sqe, c->fd, c->send_ptr + c->send_off, c->send_len - c->send_off,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_SEND, c));
	c->send_inflight = 1;
}

static void lg_on_send(lg_worker *w, lg_conn *c, int res)
{
	c->send_inflight = 0;
	if (c->state == LG_C_CLOSING) {
		lg_conn_finalize(w, c);
		return;
	}
	if (c->state != LG_C_OPEN)
		return;
	if (res < 0) {
		lg_conn_close(w, c, res == -ECONNRESET || res == -EPIPE ? LG_E_RESET : LG_E_WRITE);
		return;
	}
	if (lg_in_window(w))
		w->counts.bytes_written += (uint64_t)res;
	c->send_off += (uint32_t)res;
	if (c->send_off < c->send_len) {
		lg_submit_send(w, c); /* short send: the rest first */
		return;
	}
	c->send_len = c->send_off = 0;
	lg_conn_mark_dirty(w, c);
}

/* Send as many requests as c may have in flight now, in one send. */
void lg_conn_flush(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	const lg_run *run = w->run;
	if (c->state != LG_C_OPEN || c->send_inflight || w->finishing)
		return;
	uint32_t n = cfg->pipeline - c->inflight;
	if (cfg->mode == LG_MODE_OPEN) {
		if (c->sched_k - c->sent_k < n)
			n = (uint32_t)(c->sched_k - c->sent_k);
	} else if (cfg->mode == LG_MODE_CLOSE) {
		n = c->used ? 0 : 1;
	}
	if (w->quota != UINT64_MAX && w->now >= run->measure_start) {
		uint64_t left = w->quota - w->counts.sent;
		if (left < n)
			n = (uint32_t)left;
	}
	if (n == 0)
		return;

	uint32_t P = cfg->pipeline;
	for (uint32_t j = 0; j < n; j++) {
		lg_inflight *e = &c->ring[(c->head + c->inflight) % P];
		if (cfg->mode == LG_MODE_OPEN) {
			double idx = (double)(c->sent_k + j) * cfg->connections + c->global;
			e->due_ns = run->t0 + (uint64_t)(idx * w->ns_per_request);
			e->sent_ns = w->now;
		} else if (cfg->mode == LG_MODE_CLOSE) {
			e->due_ns = e->sent_ns = c->connect_ns;
		} else {
			e->due_ns = e->sent_ns = w->now;
		}
		e->measured = e->due_ns >= run->measure_start && w->now < run->measure_end;
		if (e->measured) {
			w->counts.sent++;
			w->outstanding++;
		}
		c->inflight++;
	}
	c->sent_k += n;
	c->used = 1;
	c->send_ptr = lg_requests_at(&w->req, c->mix_pos);
	c->send_len = (uint32_t)lg_requests_len(&w->req, c->mix_pos, n);
	c->send_off = 0;
	c->mix_pos = (c->mix_pos + n) % w->req.cycle;
	lg_submit_send(w, c);
}

void lg_handle_cqe(lg_worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	enum lg_op op = (enum lg_op)(ud >> 56);
	if (op == LG_OP_CANCEL) {
		if (cqe->res == -EINVAL && w->cancel_fd) {
			rb_log("kernel refused IORING_ASYNC_CANCEL_FD; closing with shutdown only");
			w->cancel_fd = 0;
		}
		return;
	}
	uint32_t idx = (uint32_t)ud;
	uint32_t gen = (uint32_t)(ud >> 32) & 0xffffff;
	lg_conn *c = idx < w->nconns ? &w->conns[idx] : NULL;
	if (!c || (c->gen & 0xffffff) != gen) {
		/* a socket already closed: nothing waits for this; give the buffer back */
		if (op == LG_OP_RECV && (cqe->flags & IORING_CQE_F_BUFFER))
			rb_bufring_put(&w->br, rb_bufring_bid(cqe));
		return;
	}
	switch (op) {
	case LG_OP_CONNECT:
		lg_on_connect(w, c, cqe->res);
		break;
	case LG_OP_RECV:
		lg_on_recv(w, c, cqe);
		break;
	case LG_OP_SEND:
		lg_on_send(w, c, cqe->res);
		break;
	default:
		break;
	}
}
