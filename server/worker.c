/*
 * The worker's event loop: one io_uring, completions in batches.
 *
 * Each loop iteration: submit what is queued and wait for at least one
 * completion (with DEFER_TASKRUN this is also where the kernel runs our task
 * work, so completions arrive in batches); handle every completion; give the
 * batch's receive buffers back in one commit; then flush each connection
 * that got output: one send carries every response of the batch (flush.c).
 * Queuing operations and the connection lifecycle are in conn_ops.c.
 */
#include "worker.h"
#include "http_conn.h"
#include "http_response.h"
#include "ops.h"

#include "rb_clock.h"
#include "rb_cpu.h"
#include "rb_log.h"

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
	struct io_uring_sqe *sqe = srv_sqe(w);
	w->tick.tv_sec = 1;
	w->tick.tv_nsec = 0;
	io_uring_prep_timeout(sqe, &w->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_TICK, NULL));
}

static void srv_arm_event(srv_worker *w)
{
	struct io_uring_sqe *sqe = srv_sqe(w);
	io_uring_prep_read(sqe, w->event_fd, &w->event_val, sizeof(w->event_val), 0);
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_EVENT, NULL));
}

/* ---- completions -------------------------------------------------------- */

static void srv_on_accept(srv_worker *w, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accept_armed = 0;
	else
		w->accept_ms_ok = 1;
	if (cqe->res == -EINVAL && !w->single_accept && !w->accept_ms_ok) {
		/* The kernel has no multishot accept (before 5.19). */
		rb_log("worker %d: kernel refused multishot accept (-EINVAL); using single-shot "
		       "accept",
		       w->id);
		w->single_accept = 1;
	} else if (cqe->res >= 0) {
		int fd = cqe->res;
		srv_conn *c = w->stopping ? NULL : srv_pool_get(&w->pool, fd);
		if (!c) {
			close(fd);
			if (!w->stopping)
				SRV_STAT_ADD(&w->stats, conns_rejected, 1);
		} else {
			/* Responses leave as whole batches: no reason to wait for more. */
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			SRV_STAT_ADD(&w->stats, conns_open, 1);
			SRV_STAT_ADD(&w->stats, conns_total, 1);
			srv_worker_mark_dirty(w, c); /* arms the recv, sets the idle timeout */
		}
	} else if (cqe->res != -ECANCELED) {
		SRV_STAT_ADD(&w->stats, errors, 1);
		/* -EMFILE and friends: retry from the tick, not in a tight loop. */
		if (!w->accept_armed)
			w->accept_retry = 1;
	}
	if (!w->accept_armed && !w->stopping && !w->accept_retry)
		srv_arm_accept(w);
}

static void srv_on_recv(srv_worker *w, const struct io_uring_cqe *cqe, srv_conn *c)
{
	int more = cqe->flags & IORING_CQE_F_MORE;
	if (!more) {
		c->recv_armed = 0;
		c->cancel_sent = 0;
	} else {
		w->recv_ms_ok = 1;
	}
	int res = cqe->res;
	if (res == -EINVAL && !w->single_recv && !w->recv_ms_ok) {
		/* The kernel has no multishot recv (before 6.0): switch this
		 * worker to single-shot receives; the flush re-arms this one. */
		rb_log("worker %d: kernel refused multishot recv (-EINVAL); using single-shot "
		       "recv",
		       w->id);
		w->single_recv = 1;
	} else if (res > 0) {
		SRV_STAT_ADD(&w->stats, bytes_in, res);
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			uint16_t bid = rb_bufring_bid(cqe);
			if (!c->closing && !c->lingering)
				srv_http_input(w, c, rb_bufring_ptr(&w->bufs, bid), (size_t)res);
			/* Parsed in place and answered (or copied): the buffer goes
			 * straight back; the batch's returns are published together. */
			rb_bufring_put(&w->bufs, bid);
		}
	} else if (res == 0) {
		/* The client shut its write side (or closed). */
		c->peer_eof = 1;
		if (c->lingering)
			srv_worker_abort(w, c);
	} else if (res == -ENOBUFS) {
		/* The buffer ring ran dry: not a connection error.  The flush
		 * after this batch (buffers returned by then) re-arms. */
		SRV_STAT_ADD(&w->stats, enobufs, 1);
	} else if (res == -ECANCELED) {
		/* We cancelled it (closing or paused). */
	} else {
		if (res == -ECONNRESET || res == -EPIPE)
			SRV_STAT_ADD(&w->stats, resets, 1);
		else
			SRV_STAT_ADD(&w->stats, errors, 1);
		srv_worker_abort(w, c);
	}
	if (c->closing)
		srv_release_if_done(w, c);
	else
		srv_worker_mark_dirty(w, c);
}

static void srv_on_send(srv_worker *w, const struct io_uring_cqe *cqe, srv_conn *c)
{
	c->send_inflight = 0;
	c->send_cancel = 0;
	int res = cqe->res;
	if (res < 0) {
		if (res == -ECONNRESET || res == -EPIPE)
			SRV_STAT_ADD(&w->stats, resets, 1);
		else if (res != -ECANCELED) /* cancelled: we are closing it */
			SRV_STAT_ADD(&w->stats, errors, 1);
		srv_worker_abort(w, c);
		srv_release_if_done(w, c);
		return;
	}
	SRV_STAT_ADD(&w->stats, bytes_out, res);
	SRV_STAT_ADD(&w->stats, sends, 1);
	srv_buf *s = &c->out[c->sending];
	s->off += (size_t)res;
	/* A short send: the flush sends the rest before anything newer. */
	if (s->off < s->len)
		SRV_STAT_ADD(&w->stats, short_sends, 1);
	if (c->closing) {
		srv_release_if_done(w, c);
		return;
	}
	if (res > 0 && c->timer_kind == SRV_T_WRITE)
		srv_timer_set(&w->timers, c, SRV_T_WRITE, w->now_ms, 1); /* progress */
	srv_worker_mark_dirty(w, c);
}

static void srv_expire(srv_worker *w)
{
	srv_conn *c;
	int kind;
	while ((c = srv_timer_expired(&w->timers, w->now_ms, &kind))) {
		SRV_STAT_ADD(&w->stats, timeouts, 1);
		if (kind == SRV_T_WRITE)
			SRV_STAT_ADD(&w->stats, write_timeouts, 1);
		if ((kind == SRV_T_HEAD || kind == SRV_T_BODY) && !c->send_inflight &&
		    srv_conn_queued(c) == 0) {
			/* Tell the client why, then close. */
			memset(&c->req, 0, sizeof(c->req));
			srv_resp_error(w, c, 408,
				       kind == SRV_T_HEAD ? "header timeout" : "body timeout", 1,
				       NULL);
			c->phase = SRV_PH_IDLE;
			srv_buf_reset(&c->in);
			srv_worker_mark_dirty(w, c);
		} else {
			srv_worker_abort(w, c);
		}
	}
}

static void srv_start_stopping(srv_worker *w)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	w->stop_deadline_ms = w->now_ms + SRV_DRAIN_MS;
	if (w->accept_armed) {
		struct io_uring_sqe *sqe = srv_sqe(w);
		io_uring_prep_cancel64(sqe, srv_ud(SRV_OP_ACCEPT, NULL), 0);
		io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_CANCEL, NULL));
	}
	w->accept_retry = 0;
	for (uint32_t i = 0; i < w->pool.cap; i++) {
		srv_conn *c = &w->pool.slots[i];
		if (!c->in_use || c->closing)
			continue;
		if (c->phase == SRV_PH_IDLE && !c->send_inflight && srv_conn_queued(c) == 0 &&
		    !c->lingering && !c->streaming) {
			srv_worker_abort(w, c); /* idle: nothing in flight */
		} else if (c->phase == SRV_PH_IDLE) {
			/* Answered requests finish sending; queued ones are dropped. */
			c->close_after = !c->lingering;
			c->input_done = 1;
			c->paused = 0;
			srv_buf_reset(&c->in);
			srv_worker_mark_dirty(w, c);
		}
		/* Mid-request: its response (always the last) closes it. */
	}
}

static void srv_on_tick(srv_worker *w)
{
	srv_expire(w);
	if (w->accept_retry && !w->stopping)
		srv_arm_accept(w);
	if (w->stopping && w->now_ms >= w->stop_deadline_ms) {
		for (uint32_t i = 0; i < w->pool.cap; i++) {
			srv_conn *c = &w->pool.slots[i];
			if (c->in_use)
				srv_worker_abort(w, c);
		}
	}
	srv_arm_tick(w);
}

static void srv_handle(srv_worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	int op = (int)(ud >> 56);
	if (op == SRV_OP_RECV || op == SRV_OP_SEND) {
		srv_conn *c =
			srv_pool_lookup(&w->pool, (uint32_t)(ud >> 32) & 0xffffffu, (uint32_t)ud);
		if (!c) {
			/* Cannot happen while slots are released only when idle of
			 * operations; still, never leak a buffer. */
			if (cqe->flags & IORING_CQE_F_BUFFER)
				rb_bufring_put(&w->bufs, rb_bufring_bid(cqe));
			return;
		}
		if (op == SRV_OP_RECV)
			srv_on_recv(w, cqe, c);
		else
			srv_on_send(w, cqe, c);
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
	default: /* SRV_OP_CANCEL */
		break;
	}
}

/* ---- setup, loop, teardown ---------------------------------------------- */

/* --root: the directory every static file is opened beneath, the scratch
 * path, and header values for the parser to keep.  Without --root the
 * parser keeps no header (the built-in endpoints read none). */
static int srv_worker_setup_root(srv_worker *w)
{
	if (!w->cfg->root)
		return 0;
	w->root.fd = open(w->cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->root.fd < 0) {
		int rc = -errno;
		rb_log("worker %d: --root '%s': %s", w->id, w->cfg->root, strerror(errno));
		return rc;
	}
	w->root.worker_id = w->id;
	const char *nr = getenv("RBSERVER_NO_OPENAT2");
	if (nr && nr[0] == '1') {
		w->root.walk = 1;
		rb_log("worker %d: RBSERVER_NO_OPENAT2=1: static files opened one path component "
		       "at a time, following no symlinks",
		       w->id);
	}
	/* a decoded path is never longer than the target; room for
	 * "/index.html" and the NUL */
	w->path_cap = w->limits.max_target + 16u;
	w->path = malloc(w->path_cap);
	if (!w->path)
		return -ENOMEM;
	w->hdr_array = w->hdr_store;
	w->boundary_state = rb_now_ns() ^ ((uint64_t)w->id << 48) ^ (uint64_t)(uintptr_t)w;
	return 0;
}

static int srv_worker_setup(srv_worker *w)
{
	const srv_config *cfg = w->cfg;
	w->root.fd = -1;
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
	rb_ring_opts ro = {.sq_entries = 1024, .cq_entries = cq, .single_thread = 1, .name = name};
	rc = rb_ring_init(&w->ring, &ro, &w->ring_info);
	if (rc)
		return rc;
	w->ring_ok = 1;
	rc = rb_bufring_init(&w->bufs, &w->ring, 0, cfg->recv_buffers, cfg->recv_buffer_size);
	if (rc) {
		rb_log("worker %d: cannot register a provided buffer ring (%s); the kernel needs "
		       "5.19 or later",
		       w->id, strerror(-rc));
		return rc;
	}
	if (srv_pool_init(&w->pool, cfg->max_conns)) {
		rb_log("worker %d: out of memory for %u connection slots", w->id, cfg->max_conns);
		return -ENOMEM;
	}
	w->dirty = malloc(cfg->max_conns * sizeof(*w->dirty));
	if (!w->dirty)
		return -ENOMEM;

	w->limits.max_header_bytes = cfg->max_header_bytes;
	w->limits.max_target = RP_DEFAULT_MAX_TARGET < cfg->max_header_bytes
				       ? RP_DEFAULT_MAX_TARGET
				       : cfg->max_header_bytes;
	w->timers.duration_ms[SRV_T_IDLE] = cfg->idle_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_WRITE] = cfg->idle_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_HEAD] = cfg->header_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_BODY] = cfg->body_timeout_s * 1000ull;
	w->timers.duration_ms[SRV_T_LINGER] = SRV_LINGER_MS;
	w->now_ms = rb_now_ms_coarse();
	rb_httpdate_refresh(&w->date);
	rc = srv_worker_setup_root(w);
	if (rc)
		return rc;
	/* Hidden switch for tests: the single-shot paths a kernel without
	 * multishot accept/recv would get. */
	const char *nm = getenv("RBSERVER_NO_MULTISHOT");
	if (nm && nm[0] == '1') {
		w->single_accept = w->single_recv = 1;
		rb_log("worker %d: RBSERVER_NO_MULTISHOT=1: single-shot accept and recv", w->id);
	}

	char flags[128];
	rb_log("worker %d: CPU %d, ring flags [%s], %u SQ / %u CQ entries, %u x %u B receive "
	       "buffers",
	       w->id, w->cpu, rb_ring_flag_names(w->ring_info.flags, flags, sizeof(flags)),
	       w->ring_info.sq_entries, w->ring_info.cq_entries, cfg->recv_buffers,
	       cfg->recv_buffer_size);
	return 0;
}

static int srv_worker_loop(srv_worker *w)
{
	srv_arm_accept(w);
	srv_arm_event(w);
	srv_arm_tick(w);
	for (;;) {
		if (w->stopping && w->pool.nfree == w->pool.cap && !w->accept_armed)
			return 0;
		int rc = io_uring_submit_and_wait(&w->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
			rb_log("worker %d: io_uring_enter: %s", w->id, strerror(-rc));
			return 1;
		}
		/* The kernel backlogged completions: the CQ is too small. */
		if (io_uring_cq_has_overflow(&w->ring))
			SRV_STAT_ADD(&w->stats, cq_overflow, 1);
		w->now_ms = rb_now_ms_coarse();
		rb_httpdate_refresh(&w->date);

		unsigned head, n = 0;
		struct io_uring_cqe *cqe;
		io_uring_for_each_cqe(&w->ring, head, cqe)
		{
			srv_handle(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
		rb_bufring_commit(&w->bufs);
		srv_flush_dirty(w);
	}
}

static void srv_worker_teardown(srv_worker *w)
{
	if (w->ring_ok) {
		/* Cancels whatever is still pending (the tick, the eventfd read)
		 * before the memory those requests point at goes away. */
		io_uring_queue_exit(&w->ring);
		w->ring_ok = 0;
	}
	/* The buffer ring's memory after the ring is gone: nothing can write
	 * into it any more (the ring's exit unregistered it). */
	rb_bufring_free(&w->bufs, NULL);
	srv_pool_free(&w->pool);
	free(w->dirty);
	w->dirty = NULL;
	free(w->path);
	w->path = NULL;
	if (w->root.fd >= 0)
		close(w->root.fd);
	w->root.fd = -1;
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
