/*
 * The worker on the common loop (rb_loop_run): srv_worker_handle takes each
 * completion, srv_worker_before_wait flushes each connection that got work
 * in the batch (one send carries every response of the batch:
 * srv_flush_dirty) and ends the loop once a stopping worker is empty,
 * srv_worker_after_wait reads the clock once per batch.  Queuing operations
 * and the end of a connection: srv_arm_recv, srv_conn_abort and friends.
 */
#include "worker.h"
#include "conn_ops.h"
#include "file_send.h"
#include "flush.h"
#include "http_conn.h"
#include "tls_conn.h"
#include "worker_state.h"

#include "rb_clock.h"
#include "rb_cpu.h"
#include "rb_log.h"
#include "rb_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* After the last response of a closing connection, read (and drop) what the
 * client still sends for this long, so our response is not destroyed by a
 * reset caused by unread data. */
#define SRV_LINGER_MS 2000
/* Shutdown: connections still busy this long after SIGTERM are closed. */
#define SRV_DRAIN_MS 5000

/* ---- the worker's own operations ------------------------------------- */

static void srv_arm_tick(srv_worker *w)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	w->tick.tv_sec = 1;
	w->tick.tv_nsec = 0;
	io_uring_prep_timeout(sqe, &w->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_TICK, NULL));
}

static void srv_arm_event(srv_worker *w)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_read(sqe, w->event_fd, &w->event_val, sizeof(w->event_val), 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_EVENT, NULL));
}

/* ---- completions -------------------------------------------------------- */

static void srv_on_accept(srv_worker *w, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accept_armed = 0;
	if (rb_loop_refused(&w->loop, RB_ARM_ACCEPT, cqe)) {
		/* The kernel has no multishot accept (before 5.19): re-armed
		 * single-shot below. */
	} else if (cqe->res >= 0) {
		int fd = cqe->res;
		srv_conn *c = w->http.stopping ? NULL : srv_pool_get(&w->pool, fd);
		if (c && w->tls_ctx && srv_tls_accept(w, c)) {
			SRV_STAT_ADD(&w->stats, oom, 1);
			srv_pool_put(&w->pool, c); /* closes fd */
		} else if (!c) {
			close(fd);
			if (!w->http.stopping)
				SRV_STAT_ADD(&w->stats, conns_rejected, 1);
		} else {
			/* Responses leave as whole batches: no reason to wait for more. */
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			SRV_STAT_ADD(&w->stats, conns_open, 1);
			SRV_STAT_ADD(&w->stats, conns_total, 1);
			srv_conn_mark_dirty(w, c); /* arms the recv, sets the idle timeout */
		}
	} else if (cqe->res != -ECANCELED) {
		SRV_STAT_ADD(&w->stats, errors, 1);
		SRV_STAT_ADD(&w->stats, accept_errors, 1);
		/* -EMFILE and friends: retry from the tick, not in a tight loop
		 * (the connection waits, queued on the socket). */
		if (!w->accept_armed)
			w->accept_retry = 1;
	}
	if (!w->accept_armed && !w->http.stopping && !w->accept_retry)
		srv_arm_accept(w);
}

static void srv_on_recv(srv_worker *w, const struct io_uring_cqe *cqe, srv_conn *c)
{
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		c->recv_armed = 0;
		c->cancel_sent = 0;
	} else {
		rb_loop_note_more(&w->loop, RB_ARM_RECV, cqe);
	}
	int res = cqe->res;
	if (c->ktls_rec) { /* kTLS RX: the recvmsg of a record that is not data */
		srv_tls_ktls_record(w, c, res);
		goto done;
	}
	switch (rb_res_kind(res)) {
	case RB_RES_OK:
		SRV_STAT_ADD(&w->stats, bytes_in, res);
		/* Parsed in place and answered, held, or dropped (by the
		 * state): the buffer goes straight back; the batch's returns
		 * are published together.  HTTPS: the ciphertext goes to the
		 * session, its plaintext to srv_http_input; under kTLS RX the
		 * kernel opened it already. */
		if (c->tls && !c->ktls_rx)
			srv_tls_input(w, c, rb_loop_buf(&w->loop, cqe), (size_t)res);
		else
			srv_http_input(&w->http, c, rb_loop_buf(&w->loop, cqe), (size_t)res);
		rb_loop_buf_put(&w->loop, cqe);
		break;
	case RB_RES_EOF:
		/* The client shut its write side (or closed). */
		srv_conn_peer_eof(c);
		break;
	case RB_RES_NOBUFS:
		/* The buffers ran dry: not a connection error.  The flush
		 * after this batch (buffers returned by then) re-arms. */
		SRV_STAT_ADD(&w->stats, enobufs, 1);
		break;
	case RB_RES_CANCELED: /* we cancelled it (closing, paused, the kTLS RX hand-over) */
		break;
	case RB_RES_REFUSED:
		/* The kernel has no multishot recv (before 6.0): the flush
		 * re-arms this one single-shot. */
		if (rb_loop_refused(&w->loop, RB_ARM_RECV, cqe))
			break;
		/* fall through */
	case RB_RES_ERROR:
		/* kTLS RX: EIO is a record that is not data (an alert, a
		 * KeyUpdate), to be read with its type (srv_tls_ktls_recvmsg);
		 * the receive has ended (an error carries no F_MORE). */
		if (res == -EIO && c->ktls_rx && !c->recv_armed && c->state != SRV_CS_CLOSING &&
		    srv_tls_ktls_recvmsg(w, c) == 0)
			break;
		if (res == -EBADMSG && c->ktls_rx) /* a record that does not open */
			SRV_STAT_ADD(&w->stats, tls_errors_io, 1);
		SRV_STAT_ADD(&w->stats, errors, 1);
		srv_conn_fail(c);
		break;
	case RB_RES_RESET:
		SRV_STAT_ADD(&w->stats, resets, 1);
		srv_conn_fail(c);
		break;
	}
done:
	if (c->state == SRV_CS_CLOSING)
		srv_conn_abort(w, c);
	else
		srv_conn_mark_dirty(w, c);
}

static void srv_on_send(srv_worker *w, const struct io_uring_cqe *cqe, srv_conn *c)
{
	c->send_inflight = SRV_SEND_NONE;
	c->send_cancel = 0;
	int res = cqe->res;
	if (res < 0) {
		enum rb_res_kind k = rb_res_kind(res);
		if (k == RB_RES_RESET)
			SRV_STAT_ADD(&w->stats, resets, 1);
		else if (k != RB_RES_CANCELED) /* cancelled: we are closing it */
			SRV_STAT_ADD(&w->stats, errors, 1);
		srv_conn_abort(w, c);
		return;
	}
	SRV_STAT_ADD(&w->stats, bytes_out, res);
	SRV_STAT_ADD(&w->stats, sends, 1);
	if (c->tls && !c->ktls_tx) {
		/* HTTPS: the session's ciphertext; the rest of a short
		 * send stays first in line there.  (Under kTLS TX the send
		 * carried plaintext from the exchange, as below.) */
		if (srv_tls_sent(c, (size_t)res))
			SRV_STAT_ADD(&w->stats, short_sends, 1);
	} else {
		/* A send in flight keeps the exchange attached (srv_http_detach). */
		rb_buf *s = &c->x->out[c->x->sending];
		s->off += (size_t)res;
		/* A short send: the flush sends the rest before anything newer. */
		if (s->off < s->len)
			SRV_STAT_ADD(&w->stats, short_sends, 1);
	}
	if (c->state == SRV_CS_CLOSING) {
		srv_conn_abort(w, c);
		return;
	}
	if (res > 0 && c->timer_kind == SRV_T_WRITE)
		srv_timer_set(&w->timers, c, SRV_T_WRITE, w->now_ms, 1); /* progress */
	srv_conn_mark_dirty(w, c);
}

/* The socket takes more (srv_wait_writable): the queued bytes and the file
 * run go now (srv_send_file); what is left waits for the next poll. */
static void srv_on_writable(srv_worker *w, const struct io_uring_cqe *cqe, srv_conn *c)
{
	c->send_inflight = SRV_SEND_NONE;
	c->send_cancel = 0;
	if (cqe->res < 0 || c->state == SRV_CS_CLOSING) {
		if (cqe->res < 0 && rb_res_kind(cqe->res) != RB_RES_CANCELED)
			SRV_STAT_ADD(&w->stats, errors, 1);
		srv_conn_abort(w, c);
		return;
	}
	/* kTLS TX: the poll was for our close_notify (srv_tls_close_notify),
	 * which the flush of a DRAINING connection sends again. */
	if (!(c->ktls_tx && c->state == SRV_CS_DRAINING && !c->tls_notify) &&
	    srv_send_file(w, c, SRV_SENDFILE_BURST) < 0) {
		srv_conn_abort(w, c);
		return;
	}
	srv_conn_mark_dirty(w, c);
}

/* A client that took none of our output for --write-timeout: close with a
 * reset (SO_LINGER 0), not a FIN queued behind the bytes it does not read,
 * so the kernel frees the socket's send queue at once instead of keeping
 * an orphaned socket probing a zero window for minutes. */
static void srv_reset_on_close(srv_conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void srv_expire(srv_worker *w)
{
	srv_conn *c;
	int kind;
	while ((c = srv_timer_expired(&w->timers, w->now_ms, &kind))) {
		SRV_STAT_ADD(&w->stats, timeouts, 1);
		switch (kind) {
		case SRV_T_IDLE:
			SRV_STAT_ADD(&w->stats, timeouts_idle, 1);
			break;
		case SRV_T_HEAD:
			SRV_STAT_ADD(&w->stats, timeouts_header, 1);
			break;
		case SRV_T_BODY:
			SRV_STAT_ADD(&w->stats, timeouts_body, 1);
			break;
		case SRV_T_WRITE:
			SRV_STAT_ADD(&w->stats, write_timeouts, 1);
			srv_reset_on_close(c);
			break;
		case SRV_T_LINGER:
			SRV_STAT_ADD(&w->stats, timeouts_linger, 1);
			break;
		}
		/* Header and body timeouts tell the client why (408), then
		 * close; the others close at once. */
		if ((kind == SRV_T_HEAD || kind == SRV_T_BODY) &&
		    srv_http_timeout(&w->http, c, kind == SRV_T_HEAD) == 0)
			srv_conn_mark_dirty(w, c);
		else
			srv_conn_abort(w, c);
	}
}

static void srv_start_stopping(srv_worker *w)
{
	if (w->http.stopping)
		return;
	w->http.stopping = 1; /* every exchange decided from now on closes */
	w->stop_deadline_ms = w->now_ms + SRV_DRAIN_MS;
	if (w->accept_armed)
		rb_loop_cancel_ud(&w->loop, srv_ud(SRV_OP_ACCEPT, NULL));
	w->accept_retry = 0;
	for (uint32_t i = 0; i < w->pool.cap; i++) {
		srv_conn *c = &w->pool.slots[i];
		if (!c->in_use)
			continue;
		switch (c->state) {
		case SRV_CS_OPEN:
		case SRV_CS_PAUSED:
			if (c->phase != SRV_PH_IDLE) {
				/* Mid-request: its response (always the last)
				 * closes it. */
				srv_http_stop(&w->http, c);
			} else if (!c->send_inflight && srv_conn_queued(c) == 0 && !c->tls_ready) {
				srv_conn_abort(w, c); /* idle: nothing in flight */
			} else {
				/* HTTPS, idle or not: draining sends our
				 * close_notify (srv_tls_close_notify) before
				 * the FIN, so the client sees a clean close,
				 * not a truncation; the drain deadline bounds
				 * it. */
				/* Answered requests finish sending; held ones
				 * are dropped. */
				srv_conn_drain(c);
				srv_conn_mark_dirty(w, c);
			}
			break;
		case SRV_CS_STREAMING:
			srv_http_stop(&w->http, c); /* the file is the last response */
			break;
		case SRV_CS_DRAINING:
		case SRV_CS_LINGERING:
		case SRV_CS_CLOSING:
			break;
		}
	}
}

static void srv_on_tick(srv_worker *w)
{
	srv_expire(w);
	if (w->accept_retry && !w->http.stopping)
		srv_arm_accept(w);
	if (w->http.stopping && w->now_ms >= w->stop_deadline_ms) {
		for (uint32_t i = 0; i < w->pool.cap; i++) {
			srv_conn *c = &w->pool.slots[i];
			if (c->in_use)
				srv_conn_abort(w, c);
		}
	}
	srv_arm_tick(w);
}

static void srv_worker_handle(void *owner, const struct io_uring_cqe *cqe)
{
	srv_worker *w = owner;
	uint64_t ud = cqe->user_data;
	unsigned op = rb_ud_op(ud);
	if (op == SRV_OP_RECV || op == SRV_OP_SEND || op == SRV_OP_WRITABLE) {
		srv_conn *c = srv_pool_lookup(&w->pool, rb_ud_slot(ud), rb_ud_gen(ud));
		if (!c) {
			/* Cannot happen while slots are released only when idle of
			 * operations; still, never leak a buffer. */
			rb_loop_buf_put(&w->loop, cqe);
			return;
		}
		if (op == SRV_OP_RECV)
			srv_on_recv(w, cqe, c);
		else if (op == SRV_OP_SEND)
			srv_on_send(w, cqe, c);
		else
			srv_on_writable(w, cqe, c);
		return;
	}
	switch (op) {
	case SRV_OP_ACCEPT:
		srv_on_accept(w, cqe);
		break;
	case SRV_OP_TICK:
		srv_on_tick(w);
		break;
	case SRV_OP_EVENT:
		srv_start_stopping(w);
		break;
	default:
		break;
	}
}

/* ---- setup, loop, teardown ---------------------------------------------- */

static int srv_worker_setup(srv_worker *w)
{
	const srv_config *cfg = w->cfg;
	w->http.root.fd = -1;
	int rc = rb_cpu_pin(w->cpu);
	if (rc)
		rb_log("worker %d: cannot pin to CPU %d (%s); running unpinned", w->id, w->cpu,
		       strerror(-rc));

	w->event_fd = eventfd(0, EFD_CLOEXEC);
	if (w->event_fd < 0) {
		rc = -errno;
		rb_log("worker %d: eventfd: %s", w->id, strerror(errno));
		return rc;
	}
	char name[32];
	snprintf(name, sizeof(name), "worker %d", w->id);
	/* Multishot receives complete without submissions: size the CQ for a
	 * burst from every connection, within the kernel's maximum. */
	unsigned cq = cfg->max_conns * 2u;
	if (cq < 4096)
		cq = 4096;
	if (cq > 65536)
		cq = 65536;
	rb_loop_opts lo = {.name = name,
			   .sq_entries = 1024,
			   .cq_entries = cq,
			   .recv_buffers = cfg->recv_buffers,
			   .recv_buffer_size = cfg->recv_buffer_size};
	rc = rb_loop_init(&w->loop, &lo);
	if (rc)
		return rc;
	if (srv_pool_init(&w->pool, cfg->max_conns)) {
		rb_log("worker %d: out of memory for %u connection slots", w->id, cfg->max_conns);
		return -ENOMEM;
	}
	w->dirty = malloc(cfg->max_conns * sizeof(*w->dirty));
	if (!w->dirty)
		return -ENOMEM;

	w->timers.duration_ms[SRV_T_IDLE] = cfg->idle_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_WRITE] = cfg->write_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_HEAD] = cfg->header_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_BODY] = cfg->body_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_LINGER] = SRV_LINGER_MS;
	w->now_ms = rb_now_ms_coarse();
	rc = srv_http_init(&w->http, cfg, w->id, &w->stats);
	if (rc)
		return rc;
	w->http.workers = w->server->stats;
	w->http.nworkers = w->server->nworkers;
	if (w->server->tls_ctx) {
		/* HTTPS: every byte is sealed in user space, so no sendfile:
		 * large bodies take the read-and-send path -- except on a
		 * connection whose TX went to the kernel (zerocopy_ktls). */
		w->tls_ctx = w->server->tls_ctx;
		w->http.tls_mode = w->server->tls_mode;
		w->http.zerocopy_ktls = w->http.zerocopy;
		w->http.zerocopy = 0;
		w->tls_plain = malloc(SRV_TLS_PLAIN);
		if (!w->tls_plain)
			return -ENOMEM;
	}
	char flags[128];
	rb_log("worker %d: CPU %d, ring flags [%s], %u SQ / %u CQ entries, %u x %u B receive "
	       "buffers",
	       w->id, w->cpu, rb_ring_flag_names(w->loop.info.flags, flags, sizeof(flags)),
	       w->loop.info.sq_entries, w->loop.info.cq_entries, w->loop.bufs.entries,
	       w->loop.bufs.size);
	return 0;
}

/* After a batch: one send per connection that got output.  A stopping
 * worker ends once every connection and the accept are gone. */
static uint64_t srv_worker_before_wait(void *owner)
{
	srv_worker *w = owner;
	srv_flush_dirty(w);
	if (w->http.stopping && w->pool.nfree == w->pool.cap && !w->accept_armed)
		return RB_LOOP_STOP;
	return RB_LOOP_FOREVER; /* the tick wakes the loop each second */
}

static void srv_worker_after_wait(void *owner)
{
	srv_worker *w = owner;
	/* The loop's own counters, published for /stats. */
	const rb_loop_stats *ls = &w->loop.stats;
	SRV_STAT_ADD(&w->stats, cq_overflow, ls->cq_overflows - w->stats.cq_overflow);
	SRV_STAT_ADD(&w->stats, sq_full, ls->sq_full - w->stats.sq_full);
	SRV_STAT_ADD(&w->stats, faults_hit, ls->faults_hit - w->stats.faults_hit);
	w->now_ms = rb_now_ms_coarse();
	rb_httpdate_refresh(&w->http.wr.date);
}

static int srv_worker_loop(srv_worker *w)
{
	srv_arm_accept(w);
	srv_arm_event(w);
	srv_arm_tick(w);
	static const rb_loop_hooks hooks = {.before_wait = srv_worker_before_wait,
					    .after_wait = srv_worker_after_wait,
					    .handle = srv_worker_handle};
	return rb_loop_run(&w->loop, &hooks, w) ? 1 : 0;
}

static void srv_worker_teardown(srv_worker *w)
{
	/* Cancels whatever is still pending (the tick, the eventfd read)
	 * before the memory those requests point at goes away. */
	rb_loop_exit(&w->loop);
	for (uint32_t i = 0; i < w->pool.cap; i++)
		srv_http_free(&w->pool.slots[i]);
	srv_pool_free(&w->pool);
	free(w->dirty);
	w->dirty = NULL;
	free(w->tls_plain);
	w->tls_plain = NULL;
	srv_http_fini(&w->http);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	w->listen_fd = -1;
	/* event_fd stays open: main may be writing it (srv_stop_all) while a
	 * worker that failed to start tears down; main closes it after the
	 * join. */
}

void *srv_worker_main(void *arg)
{
	srv_worker *w = arg;
	w->setup_rc = srv_worker_setup(w);
	pthread_barrier_wait(&w->server->ready);
	if (w->setup_rc == 0) {
		w->exit_rc = srv_worker_loop(w);
		if (w->exit_rc) /* let main know: it waits for a signal */
			kill(getpid(), SIGTERM);
	} else {
		w->exit_rc = 1;
	}
	srv_worker_teardown(w);
	return NULL;
}
