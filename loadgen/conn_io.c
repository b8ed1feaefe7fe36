/* Connections: connect, receive, send, close, and the responses' accounting. */
#include "conn_io.h"

#include "response.h"

#include "rb_log.h"
#include "rb_loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LG_RETRY_NS (100ull * 1000000ull) /* after a failed connect */

/* user_data: rb_ud(op, the connection's index in the worker, its generation).
 * Cancellations the loop may drop go as RB_OP_LOOP (rb_loop_cancel_ud); a
 * cancel by descriptor has an op of its own, since its -EINVAL says the
 * kernel has no IORING_ASYNC_CANCEL_FD and closing must do without. */
enum lg_op {
	LG_OP_CONNECT = 1,
	LG_OP_RECV,
	LG_OP_SEND,
	LG_OP_CANCEL_FD,
};
_Static_assert(LG_MAX_CONNECTIONS <= RB_UD_SLOT_MAX + 1,
	       "every connection of a worker is named by user_data's slot field");

static inline uint64_t lg_ud(enum lg_op op, const lg_conn *c)
{
	return rb_ud(op, c->idx, c->gen);
}

void lg_conn_init(lg_worker *w, lg_conn *c, uint32_t idx, uint32_t global)
{
	c->fd = -1;
	c->idx = idx;
	c->global = global;
	c->ring = &w->inflight_mem[(size_t)idx * w->cfg->pipeline];
	c->mix_pos = global % w->req.cycle;
	lg_rx_init(&c->rx, w->parse_flags);
}

void lg_conn_free(lg_conn *c)
{
	lg_rx_free(&c->rx);
}

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
	rb_loop_arm_recv(&w->loop, c->fd, lg_ud(LG_OP_RECV, c));
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
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
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
	/* A fresh framing state for the next socket: one closed in the middle
	 * of a response (a parse error, a reset, a timeout) must not leave
	 * its state to the next socket's first response. */
	lg_rx_reset(&c->rx);
	c->send_len = c->send_off = 0;
	c->used = 0;
	if (c->open_at < w->now)
		c->open_at = w->now;
	if (c->open_at < w->next_open)
		w->next_open = c->open_at;
}

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
		if (w->cancel_fd) {
			struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
			io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, rb_ud(LG_OP_CANCEL_FD, 0, 0));
		} else if (c->connect_inflight) {
			rb_loop_cancel_ud(&w->loop, lg_ud(LG_OP_CONNECT, c));
		}
		return;
	}
	lg_conn_finalize(w, c);
}

/* A receive or send failed (kind k, not RB_RES_OK): a reset is counted as
 * one whichever operation saw it, anything else as `other`. */
static void lg_conn_failed(lg_worker *w, lg_conn *c, enum rb_res_kind k, int other)
{
	lg_conn_close(w, c, k == RB_RES_RESET ? LG_E_RESET : other);
}

/* A protocol error: logged once per kind and thread, counted, closed. */
static void lg_conn_protocol_error(lg_worker *w, lg_conn *c)
{
	static _Thread_local uint8_t logged[LG_RX_E__COUNT];
	unsigned e = c->rx.error;
	if (e < LG_RX_E__COUNT && !logged[e]) {
		logged[e] = 1;
		rb_log("malformed response from %s: %s (logged once)", w->cfg->peer,
		       lg_rx_error_message(e));
	}
	lg_conn_close(w, c, LG_E_PARSE);
}

/* The response to the oldest request in flight is complete (rx.status);
 * last: the server closes after it. */
static void lg_conn_complete(lg_worker *w, lg_conn *c, int last)
{
	const lg_config *cfg = w->cfg;
	lg_inflight *e = &c->ring[c->head];
	c->head = (c->head + 1) % cfg->pipeline;
	c->inflight--;
	if (e->measured) {
		w->outstanding--;
		if (w->now < w->run->measure_end) {
			lg_counts *k = &w->counts;
			uint16_t st = c->rx.status;
			k->requests++;
			k->status[st >= 100 && st < 600 ? st / 100 : 0]++;
			if (st < 200 || st >= 400)
				k->errors[LG_E_STATUS]++;
			rb_hist_record(&w->iv, (int64_t)(w->now - e->due_ns));
			rb_hist_record(&w->uncorr, (int64_t)(w->now - e->sent_ns));
			w->last_settled_ns = w->now;
		} else {
			w->counts.unanswered++; /* answered after the window closed */
		}
	}
	if (last || cfg->mode == LG_MODE_CLOSE) {
		/* The server said this is the last response (or --close): what is
		 * still in flight was never going to be answered; not an error. */
		lg_conn_close(w, c, -1);
		return;
	}
	lg_conn_mark_dirty(w, c);
}

/* A receive's bytes: framed one response at a time. */
static void lg_conn_input(lg_worker *w, lg_conn *c, const char *p, size_t n)
{
	while (n > 0 && c->state == LG_C_OPEN) {
		size_t used;
		lg_rx_rc rc = lg_rx_feed(&c->rx, p, n, c->inflight > 0, &used);
		p += used;
		n -= used;
		switch (rc) {
		case LG_RX_MORE:
			return;
		case LG_RX_KEEP:
			lg_conn_complete(w, c, 0);
			break;
		case LG_RX_LAST:
			lg_conn_complete(w, c, 1);
			return;
		case LG_RX_ERROR:
			lg_conn_protocol_error(w, c);
			return;
		}
	}
}

/* The server closed its side. */
static void lg_conn_eof(lg_worker *w, lg_conn *c)
{
	if (lg_rx_eof(&c->rx) == LG_RX_LAST) {
		lg_conn_complete(w, c, 1); /* a close-delimited response; closes */
		return;
	}
	/* With nothing in flight: an idle keep-alive connection closed, reopen. */
	lg_conn_close(w, c, c->inflight > 0 ? LG_E_CLOSED : -1);
}

static void lg_on_connect(lg_worker *w, lg_conn *c, int res)
{
	c->connect_inflight = 0;
	if (c->state == LG_C_CLOSING) {
		lg_conn_finalize(w, c);
		return;
	}
	/* A connect completes with 0 or -errno; every failure, whatever its
	 * kind, is a connect error. */
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
	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = 0;
	int refused = rb_loop_refused(&w->loop, RB_ARM_RECV, cqe);
	int open = c->state == LG_C_OPEN;
	enum rb_res_kind k = rb_res_kind(cqe->res);
	switch (k) {
	case RB_RES_OK:
		if (open) {
			if (lg_in_window(w))
				w->counts.bytes_read += (uint64_t)cqe->res;
			lg_conn_input(w, c, rb_loop_buf(&w->loop, cqe), (size_t)cqe->res);
		}
		rb_loop_buf_put(&w->loop, cqe);
		break;
	case RB_RES_EOF:
		if (open)
			lg_conn_eof(w, c);
		break;
	case RB_RES_NOBUFS:
		w->counts.enobufs++; /* the buffers ran dry, not the connection's fault */
		break;
	case RB_RES_CANCELED:
		break; /* we are closing it */
	case RB_RES_REFUSED:
		/* Multishot refused (each one armed before the switch to
		 * single-shot too): re-armed single-shot below. */
		if (refused)
			break;
		/* fall through */
	case RB_RES_RESET:
	case RB_RES_ERROR:
		if (open)
			lg_conn_failed(w, c, k, LG_E_READ);
		break;
	}
	/* Re-armed from lg_conn_flush, after the batch's buffers are back
	 * with the kernel (rb_loop_run's contract): re-armed here, a receive
	 * that ran dry could find the buffers still empty and run dry again. */
	if (c->state == LG_C_OPEN && !c->recv_armed)
		lg_conn_mark_dirty(w, c);
	else if (c->state == LG_C_CLOSING)
		lg_conn_finalize(w, c);
}

static void lg_submit_send(lg_worker *w, lg_conn *c)
{
	rb_loop_send(&w->loop, c->fd, c->send_ptr + c->send_off, c->send_len - c->send_off,
		     lg_ud(LG_OP_SEND, c));
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
	enum rb_res_kind k = rb_res_kind(res);
	switch (k) {
	case RB_RES_OK:
		break;
	default: /* a reset, or anything else (a send of n > 0 bytes never says 0) */
		lg_conn_failed(w, c, k, LG_E_WRITE);
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

/* The kernel refused a cancel by descriptor: close with shutdown alone
 * (and a cancel by user_data for a connect) from now on. */
static void lg_on_cancel_fd(lg_worker *w, int res)
{
	switch (rb_res_kind(res)) {
	case RB_RES_REFUSED:
		if (w->cancel_fd) {
			rb_log("%s: kernel refused IORING_ASYNC_CANCEL_FD; closing with shutdown "
			       "only",
			       w->name);
			w->cancel_fd = 0;
		}
		break;
	default: /* the count cancelled, or -ENOENT: nothing was left to cancel */
		break;
	}
}

void lg_conn_flush(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	const lg_run *run = w->run;
	if (c->state == LG_C_OPEN && !c->recv_armed)
		lg_arm_recv(w, c);
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

void lg_conn_handle(lg_worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	unsigned op = rb_ud_op(ud);
	if (op == LG_OP_CANCEL_FD) {
		lg_on_cancel_fd(w, cqe->res);
		return;
	}
	uint32_t idx = rb_ud_slot(ud);
	lg_conn *c = idx < w->nconns ? &w->conns[idx] : NULL;
	if (!c || c->gen != rb_ud_gen(ud)) {
		/* a socket already closed: nothing waits for this; give its buffer back */
		rb_loop_buf_put(&w->loop, cqe);
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
