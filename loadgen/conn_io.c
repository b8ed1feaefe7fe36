/* Connections: connect, receive, send, close, and the responses' accounting. */
#include "conn_io.h"

#include "limits.h"
#include "response.h"

#include "rb_log.h"
#include "rb_loop.h"
#include "rb_tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <stdlib.h>
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
	LG_OP_RECV_SLOW,  /* --slow-recv: one receive into the connection's own buffer */
	LG_OP_SEND_TIMER, /* --slow-send: the pause before the next piece */
	LG_OP_RECV_TIMER, /* --slow-recv: the pause before the next receive */
	LG_OP_CLOSE,      /* a socket's close (lg_conn_finalize); its completion is not awaited */
};

/* A slow reader's receive buffer: small, so the server's sends back up. */
#define LG_SLOW_RCVBUF 4096
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
	rb_tls_free(c->tls);
	c->tls = NULL;
	free(c->krec); /* no recvmsg is in flight: the loop has exited */
	c->krec = NULL;
}

static void lg_tls_rx_due(lg_worker *w, lg_conn *c);
static void lg_conn_received(lg_worker *w, lg_conn *c, const char *p, size_t n);

/* Inside the window (an -n run's window has no end). */
static int lg_counting(const lg_worker *w)
{
	return lg_in_window(w) ||
	       (w->run->measure_end == UINT64_MAX && w->now >= w->run->measure_start);
}

/* Count an error of `kind` if it happened inside the window. */
static void lg_count_error(lg_worker *w, int kind)
{
	if (lg_counting(w))
		w->counts.errors[kind]++;
}

/* A socket error by its errno (e > 0), inside the window. */
static void lg_count_errno(lg_worker *w, int e)
{
	if (lg_counting(w))
		w->counts.sock_errno[e > 0 && e <= LG_ERRNO_MAX ? e : 0]++;
}

/* The local ports of one source address ran out: said once, with the fix. */
static void lg_ports_message(lg_worker *w, const lg_conn *c, char *buf, size_t len)
{
	const lg_config *cfg = w->cfg;
	unsigned lo = w->port_lo, hi = w->port_hi;
	char src[80] = "this host's address";
	if (cfg->sources.family) {
		char a[64];
		lg_sources_text(&cfg->sources, c->global % cfg->sources.count, a, sizeof(a));
		snprintf(src, sizeof(src), "source address %s", a);
	}
	snprintf(buf, len,
		 "connect to %s: EADDRNOTAVAIL: the local ports of %s ran out (%u in the "
		 "ephemeral range %u-%u, net.ipv4.ip_local_port_range); spread the connections "
		 "over more addresses with --source, or widen the range",
		 cfg->peer, src, hi - lo + 1, lo, hi);
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

/* An IDLE connection goes back to waiting for its open_at. */
static void lg_conn_retry_later(lg_worker *w, lg_conn *c)
{
	c->open_at = w->now + LG_RETRY_NS;
	if (c->open_at < w->next_open)
		w->next_open = c->open_at;
}

/* Set up a new socket as the run asks: no Nagle, bound to its --source
 * address (the kernel still picks the port), a small receive buffer for a
 * slow reader.  Returns the descriptor, or -1 (handled: counted, retried or
 * the run stopped). */
static int lg_conn_socket(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	int fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		lg_count_errno(w, e);
		if (!atomic_load(&w->run->ever_connected)) {
			lg_run_fatal(w->run, "cannot open a socket: %s%s", strerror(e),
				     e == EMFILE || e == ENFILE
					     ? " (raise the open-file limit: ulimit -n)"
					     : "");
			return -1;
		}
		lg_conn_retry_later(w, c);
		return -1;
	}
	int one = 1;
	/* Nagle holds a small write back only while earlier data is unacknowledged:
	 * a connection that sends one request in one write never meets it. */
	if (cfg->conn_requests != 1 || cfg->pipeline > 1 || cfg->body || cfg->slow_send_bps)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Churn: the handshake's last ACK rides on the first request instead of
	 * going alone (HAProxy's tcp-smart-connect): a packet less per connection,
	 * and the server sees the connection once, with its request. */
	if (cfg->conn_requests && !cfg->slow_send_bps) {
		int zero = 0;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
	}
	if (cfg->slow_recv_bps) {
		int rcv = LG_SLOW_RCVBUF;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	if (cfg->sources.family) {
		struct sockaddr_storage ss;
		socklen_t len;
		uint64_t k = c->global % cfg->sources.count;
		lg_sources_addr(&cfg->sources, k, &ss, &len);
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&ss, len)) {
			int e = errno;
			char a[64];
			lg_sources_text(&cfg->sources, k, a, sizeof(a));
			close(fd);
			lg_run_fatal(w->run, "--source: cannot bind %s: %s%s", a, strerror(e),
				     e == EADDRNOTAVAIL ? " (it is not an address of this host)"
							: "");
			return -1;
		}
	}
	return fd;
}

void lg_conn_open(lg_worker *w, lg_conn *c)
{
	int fd = lg_conn_socket(w, c);
	if (fd < 0)
		return;
	c->fd = fd;
	c->state = LG_C_CONNECTING;
	c->connect_ns = w->now;
	c->connect_inflight = 1;
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_connect(sqe, fd, (const struct sockaddr *)&w->cfg->addr, w->cfg->addrlen);
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_CONNECT, c));
}

/* An IDLE connection whose open_at has come joins the queue, once. */
void lg_conn_queue_open(lg_worker *w, lg_conn *c)
{
	if (c->in_openq)
		return;
	c->in_openq = 1;
	c->open_next = NULL;
	if (w->openq_tail)
		w->openq_tail->open_next = c;
	else
		w->openq_head = c;
	w->openq_tail = c;
}

/* --conn-rate's pacing lets an open a little behind its slot go at once, so
 * a late wake-up does not lower the rate; never more than this early. */
#define LG_CONN_SLACK_NS 1000000ull

int lg_conn_may_open(const lg_worker *w)
{
	/* An -n run whose requests are all sent opens nothing more. */
	return !w->finishing && !(w->quota != UINT64_MAX && w->now >= w->run->measure_start &&
				  w->counts.sent >= w->quota);
}

void lg_conn_open_queued(lg_worker *w)
{
	if (!lg_conn_may_open(w))
		return;
	while (w->openq_head) {
		if (w->conn_interval_ns) {
			uint64_t slack = w->conn_interval_ns < LG_CONN_SLACK_NS
						 ? w->conn_interval_ns
						 : LG_CONN_SLACK_NS;
			uint64_t floor = w->now > slack ? w->now - slack : 0;
			if (w->next_conn_slot < floor)
				w->next_conn_slot = floor;
			if (w->next_conn_slot > w->now)
				return;
			w->next_conn_slot += w->conn_interval_ns;
		}
		lg_conn *c = w->openq_head;
		w->openq_head = c->open_next;
		if (!w->openq_head)
			w->openq_tail = NULL;
		c->in_openq = 0;
		lg_conn_open(w, c);
	}
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
	c->ttfb_seen = 0;
}

/* Every operation on the socket is over: close it and plan the reconnect. */
static void lg_conn_finalize(lg_worker *w, lg_conn *c)
{
	if (c->connect_inflight || c->recv_armed || c->send_inflight || c->send_timer ||
	    c->recv_timer || c->draining)
		return;
	/* Closed by the ring, in the next batch: a churning connection's close
	 * costs no system call of its own (6% of --close's CPU per request). */
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_close(sqe, c->fd);
	io_uring_sqe_set_data64(sqe, rb_ud(LG_OP_CLOSE, 0, 0));
	c->fd = -1;
	c->gen++;
	c->state = LG_C_IDLE;
	/* A fresh framing state for the next socket: one closed in the middle
	 * of a response (a parse error, a reset, a timeout) must not leave
	 * its state to the next socket's first response. */
	lg_rx_reset(&c->rx);
	rb_tls_free(c->tls); /* no send is in flight over its bytes now */
	c->tls = NULL;
	c->tls_up = 0;
	c->ktls_tried = c->ktls_tx = 0;
	c->ktls_rx_step = c->ktls_rx_tries = c->ktls_rx = 0;
	c->ktls_rec = c->recv_cancel = 0; /* both ended with the receive (recv_armed) */
	c->send_len = c->send_off = 0;
	c->sent_sock = c->answered_sock = 0;
	if (c->open_at <= w->now)
		lg_conn_queue_open(w, c);
	else if (c->open_at < w->next_open)
		w->next_open = c->open_at;
}

/* A draining connection's wait is over (its FIN came, or it is cut off). */
static void lg_conn_undrain(lg_worker *w, lg_conn *c)
{
	if (c->draining) {
		c->draining = 0;
		w->ndraining--;
	}
}

/* End every operation on c's socket: shutdown ends a receive and a send; a
 * connect needs the cancel.  lg_conn_finalize closes it once they are over. */
static void lg_conn_abort(lg_worker *w, lg_conn *c)
{
	lg_conn_undrain(w, c);
	if (c->recv_timer)
		rb_loop_cancel_ud(&w->loop, lg_ud(LG_OP_RECV_TIMER, c));
	if (c->connect_inflight || c->recv_armed || c->send_inflight) {
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

/* The last ciphertext of a session that ends (its close_notify, or the alert
 * that says why it failed), sent without the ring: the socket is shut down
 * next, which would cut a ring send short.  One non-blocking send of a few
 * dozen bytes; what does not fit is dropped, and only when no ring send is in
 * flight (the pending bytes may be under it). */
static void lg_tls_send_last(lg_conn *c)
{
	const char *p;
	size_t n = rb_tls_pending_out(c->tls, &p);
	if (n && !c->send_inflight && c->fd >= 0) {
		ssize_t k = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0)
			rb_tls_consumed_out(c->tls, (size_t)k);
	}
}

void lg_conn_close(lg_worker *w, lg_conn *c, int err_kind, enum lg_closer by)
{
	if (c->state == LG_C_CLOSING || c->state == LG_C_IDLE)
		return;
	if (err_kind >= 0)
		lg_count_error(w, err_kind);
	if (c->state == LG_C_OPEN && lg_counting(w)) {
		if (by == LG_BY_SERVER)
			w->counts.closed_by_server++;
		else if (by == LG_BY_RBLOAD)
			w->counts.closed_by_rbload++;
	}
	lg_conn_drop_inflight(w, c);
	c->state = LG_C_CLOSING;
	c->closing_ns = w->now;
	/* A refused connect or handshake is not retried at once: it would fail
	 * again as fast as the loop turns. */
	c->open_at = err_kind == LG_E_CONNECT || err_kind == LG_E_TLS_HANDSHAKE ||
				     err_kind == LG_E_TLS_CERTIFICATE || err_kind == LG_E_TLS_ALERT
			     ? w->now + LG_RETRY_NS
			     : w->now;
	/* rbload's own orderly close of an https:// connection says close_notify,
	 * where that is cheap: nothing in flight on the socket. */
	if (c->tls && c->tls_up && err_kind < 0 && by == LG_BY_RBLOAD && !c->send_inflight &&
	    !c->send_timer && rb_tls_shutdown(c->tls) == 0) {
		if (c->ktls_tx) /* the kernel seals it: an alert record by cmsg */
			(void)rb_ktls_close_notify(c->fd);
		else
			lg_tls_send_last(c);
	}
	/* The server said it closes (Connection: close): its FIN ends a receive,
	 * and the socket is closed then.  Cheaper than a shutdown racing the
	 * server's own close (both sides would send a FIN first and keep a
	 * TIME_WAIT), and the port is free at once.  The receive goes on until
	 * then (re-armed as in OPEN: lg_conn_drain_input); a server that never
	 * closes is cut off by lg_scan after the timeout. */
	if (by == LG_BY_SERVER && err_kind < 0 && !c->send_inflight && !c->connect_inflight &&
	    !c->send_timer) {
		c->draining = 1;
		w->ndraining++;
		if (!c->recv_armed && !c->recv_timer)
			lg_conn_mark_dirty(w, c);
		return;
	}
	/* The slow modes' pauses are timers, not on the socket: cancelled by name. */
	if (c->send_timer)
		rb_loop_cancel_ud(&w->loop, lg_ud(LG_OP_SEND_TIMER, c));
	if (c->recv_timer)
		rb_loop_cancel_ud(&w->loop, lg_ud(LG_OP_RECV_TIMER, c));
	lg_conn_abort(w, c);
}

void lg_conn_check_draining(lg_worker *w, lg_conn *c)
{
	if (c->state == LG_C_CLOSING && c->draining && w->now - c->closing_ns > w->cfg->timeout_ns)
		lg_conn_abort(w, c);
}

/* A receive or send failed with res (kind k, not RB_RES_OK): a reset is
 * counted as one whichever operation saw it (and the server closed), anything
 * else as `other`; each by its errno too. */
static void lg_conn_failed(lg_worker *w, lg_conn *c, int res, enum rb_res_kind k, int other)
{
	if (res < 0)
		lg_count_errno(w, -res);
	lg_conn_close(w, c, k == RB_RES_RESET ? LG_E_RESET : other,
		      k == RB_RES_RESET ? LG_BY_SERVER : LG_BY_RBLOAD);
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
	lg_conn_close(w, c, LG_E_PARSE, LG_BY_RBLOAD);
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
			k->code[st >= 100 && st < LG_STATUS_CODES ? st : 0]++;
			if (st < 200 || st >= 400)
				k->errors[LG_E_STATUS]++;
			rb_hist_record(&w->iv, (int64_t)(w->now - e->due_ns));
			/* Outside open loop a request is due when it is sent: the
			 * uncorrected figures are the corrected ones, taken from
			 * them at the end (lg_loop) rather than recorded twice. */
			if (cfg->mode == LG_MODE_OPEN)
				rb_hist_record(w->unc_rec, (int64_t)(w->now - e->sent_ns));
			w->last_settled_ns = w->now;
		} else {
			/* answered after the window closed: in flight at its end */
			w->counts.unanswered++;
			w->counts.in_flight_end++;
		}
	}
	c->ttfb_seen = 0;
	c->ready_ns = w->now;
	c->answered_sock++;
	if (last) {
		/* The server said this is the last response: what is still in
		 * flight was never going to be answered; not an error. */
		lg_conn_close(w, c, -1, LG_BY_SERVER);
		return;
	}
	if (cfg->conn_requests && c->answered_sock >= cfg->conn_requests) {
		/* The Nth response, and the server kept the connection open
		 * although the request said Connection: close. */
		lg_conn_close(w, c, -1, LG_BY_RBLOAD);
		return;
	}
	if (c->tls && c->ktls_rx_step == LG_KRX_NONE)
		lg_tls_rx_due(w, c);
	lg_conn_mark_dirty(w, c);
}

/* The first byte of the oldest request's response (or of an interim one). */
static void lg_conn_first_byte(lg_worker *w, lg_conn *c)
{
	const lg_inflight *e = &c->ring[c->head];
	c->ttfb_seen = 1;
	if (e->measured && w->now < w->run->measure_end)
		rb_hist_record(&w->ttfb_h, (int64_t)(w->now - e->wire_ns));
}

/* A receive's bytes: framed one response at a time. */
static void lg_conn_input(lg_worker *w, lg_conn *c, const char *p, size_t n)
{
	while (n > 0 && c->state == LG_C_OPEN) {
		if (!c->ttfb_seen && c->inflight)
			lg_conn_first_byte(w, c);
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
	lg_conn_close(w, c, c->inflight > 0 ? LG_E_CLOSED : -1, LG_BY_SERVER);
}

/* https://: a session failed.  Its kind is the error counted (rb_tls's
 * kinds, LG_E_TLS_*), its reason the first of that kind this thread keeps for
 * the report and logs once; the alert that says why goes to the server. */
static void lg_tls_fail(lg_worker *w, lg_conn *c, int kind, const char *msg)
{
	char *why = w->tls_why[kind - LG_E_TLS_HANDSHAKE];
	if (!why[0]) {
		snprintf(why, sizeof(w->tls_why[0]), "%s", msg);
		rb_log("%s from %s: %s (logged once)", lg_err_names[kind], w->cfg->peer, msg);
	}
	if (!c->send_timer) /* a --slow-send pause: no unpaced burst (lg_conn_close) */
		lg_tls_send_last(c);
	lg_conn_close(w, c, kind, LG_BY_RBLOAD);
}

static void lg_tls_failed(lg_worker *w, lg_conn *c)
{
	const char *msg = "";
	enum rb_tls_err k = rb_tls_error(c->tls, &msg);
	int kind = k == RB_TLS_ERR_HANDSHAKE     ? LG_E_TLS_HANDSHAKE
		   : k == RB_TLS_ERR_CERTIFICATE ? LG_E_TLS_CERTIFICATE
		   : k == RB_TLS_ERR_ALERT       ? LG_E_TLS_ALERT
						 : LG_E_TLS_IO;
	if (k == RB_TLS_ERR_NONE)
		msg = "out of memory";
	lg_tls_fail(w, c, kind, msg);
}

/* https://: the handshake is done; requests may go. */
static void lg_tls_up(lg_worker *w, lg_conn *c)
{
	rb_tls_facts f;
	c->tls_up = 1;
	c->ready_ns = w->now;
	if (rb_tls_get_facts(c->tls, &f))
		return;
	if (!w->tls_version) {
		w->tls_version = f.version;
		w->tls_cipher = f.cipher;
	}
	if (lg_in_window(w)) {
		w->counts.tls_handshakes++;
		w->counts.tls_resumed += f.resumed != 0;
		rb_hist_record(&w->tls_hs_h, (int64_t)f.handshake_ns);
	}
}

/* https://: ciphertext that arrived (or the server's FIN: eof) goes into the
 * session; the handshake is driven with it, then the plaintext is drained
 * record by record into the response framing.  What the session has to send
 * (its next flight, the requests) goes from lg_conn_flush. */
static void lg_tls_input(lg_worker *w, lg_conn *c, const char *p, size_t n, int eof)
{
	if (eof)
		rb_tls_feed_eof(c->tls);
	else if (rb_tls_feed(c->tls, p, n)) {
		lg_tls_failed(w, c); /* out of memory */
		return;
	}
	/* kTLS RX found half a record last time: with more fed, end the
	 * receive again and look (lg_tls_ktls_rx). */
	if (c->ktls_rx_step == LG_KRX_RETRY)
		c->ktls_rx_step = LG_KRX_CANCEL;
	if (!c->tls_up) {
		int r = rb_tls_handshake(c->tls);
		if (r == RB_TLS_ERROR) {
			lg_tls_failed(w, c);
			return;
		}
		if (r == RB_TLS_WANT) {
			lg_conn_mark_dirty(w, c); /* its next flight, if any */
			return;
		}
		lg_tls_up(w, c);
	}
	while (c->state == LG_C_OPEN) {
		int r = rb_tls_read(c->tls, w->tls_plain, LG_TLS_PLAIN);
		if (r > 0) {
			lg_conn_input(w, c, w->tls_plain, (size_t)r);
			continue;
		}
		if (r == RB_TLS_WANT)
			break;
		if (r == RB_TLS_CLOSED || (eof && rb_tls_error(c->tls, NULL) == RB_TLS_ERR_IO)) {
			/* close_notify, or a FIN without it: HTTP's framing decides
			 * whether anything was cut short (lg_conn_eof) */
			lg_conn_eof(w, c);
			break;
		}
		lg_tls_failed(w, c);
		break;
	}
	if (c->state == LG_C_OPEN)
		lg_conn_mark_dirty(w, c);
}

/* https://: the session of a connection just established; its first flight
 * (the ClientHello) goes from lg_conn_flush. */
static void lg_tls_start(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	c->tls = rb_tls_new(w->run->tls, cfg->sni ? cfg->sni : cfg->host_name);
	if (!c->tls) {
		lg_count_error(w, LG_E_TLS_IO);
		lg_conn_close(w, c, -1, LG_BY_RBLOAD);
		return;
	}
	if (rb_tls_handshake(c->tls) == RB_TLS_ERROR)
		lg_tls_failed(w, c);
}

/* ---- kTLS RX (docs/tls.md, "Kernel TLS") ---------------------------------
 *
 * The first kTLS refusal (TX or RX) or export's reason is kept for the
 * report; the first refusal in this process is logged, once. */
static int lg_tls_ktls_logged;

static void lg_tls_ktls_refused(lg_worker *w, const char *why)
{
	if (!w->ktls_why[0])
		snprintf(w->ktls_why, sizeof(w->ktls_why), "%s", why);
	if (!__atomic_exchange_n(&lg_tls_ktls_logged, 1, __ATOMIC_RELAXED))
		rb_log("%s: TLS records stay in user space", why);
}

/* A response was read in user space on c (TX decided): RX may go to the
 * kernel now.  Not before: the server's NewSessionTickets come after the
 * handshake, ahead of the first response in TLS 1.3, and rb_tls must read
 * them (a ticket read by the kernel is a handshake record: lost to
 * resumption).  Not at all where the socket receives nothing more (its last
 * request sent: --conn-requests, --close), nor under --slow-recv: that path
 * reads the ciphertext a few bytes at a time through a 4 KiB receive buffer
 * (LG_SLOW_RCVBUF), while kTLS RX opens a record only once all of it (up to
 * 16 KiB and its overhead) is in the socket's queue, so the paced reader
 * could stall on a record that never fits; and its one-shot receive and
 * timer chain would need a hand-over dance of its own. */
static void lg_tls_rx_due(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	if (!c->ktls_tried || c->ktls_rx_step != LG_KRX_NONE || !c->answered_sock ||
	    c->state != LG_C_OPEN)
		return;
	if (cfg->slow_recv_bps || (cfg->conn_requests && c->sent_sock >= cfg->conn_requests)) {
		rb_tls_ktls_drop_dir(c->tls, RB_KTLS_RX);
		c->ktls_rx_step = LG_KRX_DONE;
		return;
	}
	c->ktls_rx_step = LG_KRX_CANCEL;
	lg_conn_mark_dirty(w, c); /* lg_conn_arm_input ends the receive */
}

/* Receives ended for the RX hand-over that found the session between
 * records, before it stays in user space (a server that always has half a
 * record in flight). */
#define LG_KTLS_RX_TRIES 4

/* The RX hand-over, from the flush of an OPEN connection (lg_conn_arm_input);
 * returns 1 while the receive must end first (nothing is armed then), 0 when
 * the caller arms it (RX decided, or tried again after more data).
 *
 * A receive left armed could post ciphertext the kernel read before TLS_RX
 * took the socket, and rb_tls_ktls_export's verdict would be stale by then:
 * so the receive (multishot, or one-shot under RB_FAULTS=no-multishot) is
 * cancelled first, and only its final completion (no IORING_CQE_F_MORE:
 * lg_on_recv clears recv_armed) brings the flush back here.  Every completion
 * before it was fed to the session and read to RB_TLS_WANT (lg_tls_input);
 * nothing reaches the session until the caller arms again, so the export is
 * the truth at TLS_RX.  What the server sent meanwhile waits in the socket,
 * in order, for the kernel or the next receive. */
static int lg_tls_ktls_rx(lg_worker *w, lg_conn *c)
{
	if (c->recv_armed) {
		if (!c->recv_cancel) { /* once: the cancel's own completion is the loop's */
			rb_loop_cancel_ud(&w->loop, lg_ud(LG_OP_RECV, c));
			c->recv_cancel = 1;
		}
		return 1;
	}
	w->counts.ktls_rx_tries++;
	char why[256] = "";
	int r = rb_tls_ktls_hand_over(c->tls, c->fd, RB_KTLS_RX, why, sizeof(why));
	if (r == RB_TLS_WANT) {
		/* Half a record arrived: re-armed by the caller, tried again
		 * once more data came (lg_tls_input), a few times. */
		if (++c->ktls_rx_tries < LG_KTLS_RX_TRIES) {
			c->ktls_rx_step = LG_KRX_RETRY;
			return 0;
		}
		w->counts.ktls_rx_unclean++;
		rb_tls_ktls_drop_dir(c->tls, RB_KTLS_RX);
		r = RB_TLS_ERROR;
	}
	c->ktls_rx_step = LG_KRX_DONE;
	if (r == RB_TLS_ERROR) /* the session failed or closed, or given up */
		return 0;
	if (r == RB_TLS_REFUSED) {
		/* The receive side is TCP's still: what waits in the socket is
		 * the session's ciphertext, as before; nothing was lost. */
		w->counts.ktls_rx_refused++;
		lg_tls_ktls_refused(w, why);
		return 0;
	}
	c->ktls_rx = 1;
	w->counts.ktls_rx++;
	return 0;
}

/* Under kTLS RX a record that is not data makes a receive fail with EIO:
 * one IORING_OP_RECVMSG with room for its type reads it (rb_ktls_rec; the
 * storage lives in c until the completion, which comes on the receive's own
 * user_data, so recv_armed covers it for closing and the release rule).
 * Returns 0, or -1 (out of memory: the caller fails the connection). */
static int lg_tls_ktls_recvmsg(lg_worker *w, lg_conn *c)
{
	if (!c->krec && !(c->krec = malloc(sizeof(*c->krec))))
		return -1;
	rb_ktls_rec_prep(c->krec);
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_recvmsg(sqe, c->fd, &c->krec->msg, 0);
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_RECV, c));
	c->recv_armed = 1;
	c->ktls_rec = 1;
	return 0;
}

#define LG_TLS_NEW_SESSION_TICKET 4 /* handshake message types (RFC 8446 4) */
#define LG_TLS_KEY_UPDATE 24
#define LG_TLS_USER_CANCELED 90 /* alert descriptions (RFC 8446 6) */

/* That recvmsg's completion: what the record was.  The caller re-arms the
 * ordinary receive (lg_conn_flush) if the connection goes on. */
static void lg_tls_ktls_record(lg_worker *w, lg_conn *c, int res)
{
	c->ktls_rec = 0;
	const rb_ktls_rec *k = c->krec;
	if (res == -ECANCELED) /* we are closing it */
		return;
	int type = res > 0 ? rb_ktls_rec_type(k) : -1;
	if (c->state != LG_C_OPEN) {
		/* draining: the server's FIN, its close_notify or an error ends
		 * the wait; data and tickets do not */
		if (res <= 0 || type == RB_KTLS_ALERT)
			lg_conn_undrain(w, c);
		return;
	}
	if (res == 0) { /* the TCP stream ended */
		lg_conn_eof(w, c);
		return;
	}
	if (res < 0) {
		if (res == -EBADMSG)
			lg_tls_fail(w, c, LG_E_TLS_IO,
				    "kTLS RX: a record that does not open (EBADMSG)");
		else
			lg_conn_failed(w, c, res, rb_res_kind(res), LG_E_READ);
		return;
	}
	char msg[128];
	switch (type) {
	case RB_KTLS_APPDATA:
		lg_conn_received(w, c, (const char *)k->data, (size_t)res);
		return;
	case RB_KTLS_ALERT:
		if (lg_in_window(w))
			w->counts.bytes_read += (uint64_t)res;
		/* close_notify (level ignored) is the server's EOF; user_canceled
		 * comes before a close_notify and says nothing more; any other
		 * alert ends a TLS 1.3 connection (RFC 8446 6). */
		if (res >= 2 && k->data[1] == 0) {
			lg_conn_eof(w, c);
			return;
		}
		if (res >= 2 && k->data[1] == LG_TLS_USER_CANCELED)
			return;
		snprintf(msg, sizeof(msg), "kTLS RX: the server's alert: %s",
			 res >= 2 ? rb_ktls_alert_name(k->data[1]) : "(truncated)");
		lg_tls_fail(w, c, LG_E_TLS_ALERT, msg);
		return;
	case RB_KTLS_HANDSHAKE:
		if (lg_in_window(w))
			w->counts.bytes_read += (uint64_t)res;
		/* A NewSessionTicket the kernel read: dropped (resumption just
		 * loses that ticket), counted.  A KeyUpdate would change the
		 * kernel's RX key: not built. */
		if (k->data[0] == LG_TLS_NEW_SESSION_TICKET) {
			w->counts.ktls_rx_tickets++;
			return;
		}
		if (k->data[0] == LG_TLS_KEY_UPDATE)
			snprintf(msg, sizeof(msg), "rekeying under kTLS is not built");
		else
			snprintf(msg, sizeof(msg), "kTLS RX: a handshake message of type %u",
				 k->data[0]);
		lg_tls_fail(w, c, LG_E_TLS_IO, msg);
		return;
	default:
		lg_tls_fail(w, c, LG_E_TLS_IO, "kTLS RX: a record of an unknown type");
		return;
	}
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
		lg_count_errno(w, -res);
		int first = !c->opened_before && !c->failed_before;
		c->failed_before = 1;
		w->first_failures += first;
		atomic_fetch_add_explicit(&w->run->connect_failures, 1, memory_order_relaxed);
		/* No connection has succeeded: the server cannot be reached, and
		 * the run stops.  Out of ports, connects fail at submission, ahead
		 * of the batch's successes: that is decided once every first
		 * connect of this thread has failed. */
		int fatal = !atomic_load(&w->run->ever_connected) &&
			    (res != -EADDRNOTAVAIL || w->first_failures == w->nconns);
		if (res == -EADDRNOTAVAIL && (fatal || !w->ports_said)) {
			char msg[1024];
			lg_ports_message(w, c, msg, sizeof(msg));
			if (fatal)
				lg_run_fatal(w->run, "%s", msg);
			else
				rb_log("%s (said once)", msg);
			w->ports_said = 1;
		} else if (fatal) {
			lg_run_fatal(w->run, "cannot connect to %s: %s", w->cfg->peer,
				     strerror(-res));
		}
		if (fatal) {
			c->state = LG_C_CLOSING;
			lg_conn_finalize(w, c);
			return;
		}
		lg_conn_close(w, c, LG_E_CONNECT, LG_BY_NONE);
		return;
	}
	atomic_store_explicit(&w->run->ever_connected, 1, memory_order_relaxed);
	if (!c->opened_before)
		atomic_fetch_add_explicit(&w->run->conns_up, 1, memory_order_relaxed);
	c->state = LG_C_OPEN;
	c->ready_ns = c->last_io_ns = w->now;
	if (lg_in_window(w)) {
		w->counts.connects++;
		rb_hist_record(&w->connect_h, (int64_t)(w->now - c->connect_ns));
	}
	if (w->now >= w->run->measure_start) {
		if (c->opened_before)
			w->counts.reopened++;
		else
			w->counts.opened++;
	} else if (!c->opened_before) {
		w->counts.opened++; /* the first open of each connection always counts */
	}
	c->opened_before = 1;
	if (w->cfg->tls)
		lg_tls_start(w, c);
	lg_conn_mark_dirty(w, c); /* the receive is armed, the first requests sent */
}

/* Bytes received on an open connection (from the ring's buffer or a slow
 * reader's own). */
static void lg_conn_received(lg_worker *w, lg_conn *c, const char *p, size_t n)
{
	if (lg_in_window(w))
		w->counts.bytes_read += n;
	c->last_io_ns = w->now;
	if (c->tls && !c->ktls_rx)
		lg_tls_input(w, c, p, n, 0);
	else /* http://, or kTLS RX: the kernel opened the records */
		lg_conn_input(w, c, p, n);
}

static void lg_on_recv(lg_worker *w, lg_conn *c, const struct io_uring_cqe *cqe)
{
	/* ours: the receive ended while the RX hand-over's cancel was in
	 * flight (lg_tls_ktls_rx); its -ECANCELED is not a close. */
	int ours = 0;
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		c->recv_armed = 0;
		ours = c->recv_cancel;
		c->recv_cancel = 0;
	}
	if (c->ktls_rec) { /* kTLS RX: the recvmsg of a record that is not data */
		lg_tls_ktls_record(w, c, cqe->res);
		goto done;
	}
	int refused = rb_loop_refused(&w->loop, RB_ARM_RECV, cqe);
	int open = c->state == LG_C_OPEN;
	enum rb_res_kind k = rb_res_kind(cqe->res);
	switch (k) {
	case RB_RES_OK:
		if (open)
			lg_conn_received(w, c, rb_loop_buf(&w->loop, cqe), (size_t)cqe->res);
		rb_loop_buf_put(&w->loop, cqe); /* draining: bytes after the last response */
		break;
	case RB_RES_EOF:
		if (open && c->tls && !c->ktls_rx)
			lg_tls_input(w, c, NULL, 0, 1);
		else if (open)
			lg_conn_eof(w, c);
		lg_conn_undrain(w, c); /* the FIN a draining connection waited for */
		break;
	case RB_RES_NOBUFS:
		w->counts.enobufs++; /* the buffers ran dry, not the connection's fault */
		break;
	case RB_RES_CANCELED:
		/* we are closing it; or the RX hand-over ended it (ours), and
		 * a draining connection goes on waiting for the FIN */
		if (!ours)
			lg_conn_undrain(w, c);
		break;
	case RB_RES_REFUSED:
		/* Multishot refused (each one armed before the switch to
		 * single-shot too): re-armed single-shot below. */
		if (refused)
			break;
		/* fall through */
	case RB_RES_RESET:
	case RB_RES_ERROR:
		/* kTLS RX: EIO is a record that is not data (an alert, a
		 * post-handshake message), read with its type by one recvmsg
		 * (lg_tls_ktls_recvmsg); the receive has ended (an error
		 * carries no F_MORE).  EBADMSG: a record that does not open. */
		if (c->ktls_rx && cqe->res == -EIO && !c->recv_armed && (open || c->draining) &&
		    lg_tls_ktls_recvmsg(w, c) == 0)
			break;
		if (open && c->ktls_rx && cqe->res == -EBADMSG)
			lg_tls_fail(w, c, LG_E_TLS_IO,
				    "kTLS RX: a record that does not open (EBADMSG)");
		else if (open)
			lg_conn_failed(w, c, cqe->res, k, LG_E_READ);
		lg_conn_undrain(w, c);
		break;
	}
done:
	/* Re-armed from lg_conn_flush, after the batch's buffers are back
	 * with the kernel (rb_loop_run's contract): re-armed here, a receive
	 * that ran dry could find the buffers still empty and run dry again. */
	if ((c->state == LG_C_OPEN || c->draining) && !c->recv_armed)
		lg_conn_mark_dirty(w, c);
	else if (c->state == LG_C_CLOSING)
		lg_conn_finalize(w, c);
}

/* A pause of the slow modes: bytes moved at bps take bytes / bps seconds. */
static void lg_conn_pause(lg_worker *w, lg_conn *c, enum lg_op op, uint32_t bytes, uint32_t bps)
{
	uint64_t ns = (uint64_t)bytes * 1000000000ull / bps;
	struct __kernel_timespec *ts = op == LG_OP_SEND_TIMER ? &c->send_ts : &c->recv_ts;
	ts->tv_sec = (long long)(ns / 1000000000ull);
	ts->tv_nsec = (long long)(ns % 1000000000ull);
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_timeout(sqe, ts, 0, 0);
	io_uring_sqe_set_data64(sqe, lg_ud(op, c));
	*(op == LG_OP_SEND_TIMER ? &c->send_timer : &c->recv_timer) = 1;
}

/* --slow-recv: one receive of at most slow_recv_chunk bytes into the
 * connection's own buffer; the next after a pause (lg_on_recv_slow). */
static void lg_recv_slow(lg_worker *w, lg_conn *c)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_recv(sqe, c->fd, w->slow_bufs + (size_t)c->idx * w->slow_recv_chunk,
			   w->slow_recv_chunk, 0);
	io_uring_sqe_set_data64(sqe, lg_ud(LG_OP_RECV_SLOW, c));
	c->recv_armed = 1;
}

static void lg_on_recv_slow(lg_worker *w, lg_conn *c, int res)
{
	c->recv_armed = 0;
	if (c->draining) {
		/* bytes after the last response are dropped; the FIN ends it */
		if (res > 0)
			lg_conn_pause(w, c, LG_OP_RECV_TIMER, (uint32_t)res, w->cfg->slow_recv_bps);
		else
			lg_conn_undrain(w, c);
	} else if (c->state == LG_C_OPEN) {
		enum rb_res_kind k = rb_res_kind(res);
		if (k == RB_RES_OK) {
			lg_conn_received(w, c, w->slow_bufs + (size_t)c->idx * w->slow_recv_chunk,
					 (size_t)res);
			if (c->state == LG_C_OPEN)
				lg_conn_pause(w, c, LG_OP_RECV_TIMER, (uint32_t)res,
					      w->cfg->slow_recv_bps);
		} else if (k == RB_RES_EOF) {
			if (c->tls) /* the session decides: close_notify first or not */
				lg_tls_input(w, c, NULL, 0, 1);
			else
				lg_conn_eof(w, c);
		} else if (k != RB_RES_CANCELED) {
			lg_conn_failed(w, c, res, k, LG_E_READ);
		}
	}
	if (c->state == LG_C_CLOSING)
		lg_conn_finalize(w, c);
}

/* The receive side of an open connection: armed once it has ended; while
 * the RX hand-over is due, ended first (lg_tls_ktls_rx). */
static void lg_conn_arm_input(lg_worker *w, lg_conn *c)
{
	if (c->state == LG_C_OPEN && c->ktls_rx_step == LG_KRX_CANCEL && lg_tls_ktls_rx(w, c))
		return;
	if (c->recv_armed || c->recv_timer)
		return;
	if (w->cfg->slow_recv_bps)
		lg_recv_slow(w, c);
	else
		lg_arm_recv(w, c);
}

/* The send in progress, from send_off: all of it, or under --slow-send one
 * small piece (the rest after a pause). */
static void lg_submit_send(lg_worker *w, lg_conn *c)
{
	uint32_t len = c->send_len - c->send_off;
	if (w->cfg->slow_send_bps && len > w->slow_send_chunk)
		len = w->slow_send_chunk;
	rb_loop_send(&w->loop, c->fd, c->send_ptr + c->send_off, len, lg_ud(LG_OP_SEND, c));
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
		lg_conn_failed(w, c, res, k, LG_E_WRITE);
		return;
	}
	if (lg_in_window(w))
		w->counts.bytes_written += (uint64_t)res;
	c->last_io_ns = w->now;
	if (c->tls && !c->ktls_tx) { /* under kTLS TX the send was plaintext: below */
		/* the rest of a short send stays first in line: lg_tls_flush */
		const char *p;
		rb_tls_consumed_out(c->tls, (size_t)res);
		c->send_len = c->send_off = 0;
		if (!rb_tls_pending_out(c->tls, &p)) {
			c->ready_ns = w->now;
		} else if (w->cfg->slow_send_bps) {
			/* --slow-send paces the ciphertext (the handshake's
			 * flights too: a slowloris over TLS); the rest goes
			 * from lg_tls_flush after the pause. */
			lg_conn_pause(w, c, LG_OP_SEND_TIMER, (uint32_t)res, w->cfg->slow_send_bps);
			return;
		}
		lg_conn_mark_dirty(w, c);
		return;
	}
	c->send_off += (uint32_t)res;
	if (c->send_off < c->send_len) {
		if (w->cfg->slow_send_bps)
			lg_conn_pause(w, c, LG_OP_SEND_TIMER, (uint32_t)res, w->cfg->slow_send_bps);
		else
			lg_submit_send(w, c); /* short send: the rest first */
		return;
	}
	c->send_len = c->send_off = 0;
	c->ready_ns = w->now;
	lg_conn_mark_dirty(w, c);
}

/* A slow mode's pause ended (-ETIME), or was cancelled by a close. */
static void lg_on_timer(lg_worker *w, lg_conn *c, enum lg_op op)
{
	if (op == LG_OP_SEND_TIMER)
		c->send_timer = 0;
	else
		c->recv_timer = 0;
	if (c->state == LG_C_CLOSING) {
		if (op == LG_OP_RECV_TIMER && c->draining)
			lg_recv_slow(w, c);
		else
			lg_conn_finalize(w, c);
		return;
	}
	if (c->state != LG_C_OPEN)
		return;
	if (op == LG_OP_SEND_TIMER && c->tls && !c->ktls_tx)
		lg_conn_mark_dirty(w, c); /* lg_tls_flush: the next piece of what is pending */
	else if (op == LG_OP_SEND_TIMER)
		lg_submit_send(w, c);
	else
		lg_recv_slow(w, c);
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

/* How many requests c may send now (none while a send is in progress). */
static uint32_t lg_conn_sendable(const lg_worker *w, const lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	if (c->state != LG_C_OPEN || c->send_inflight || c->send_len || w->finishing ||
	    !w->sending || (c->tls && !c->tls_up))
		return 0;
	uint32_t n = cfg->pipeline - c->inflight;
	if (cfg->mode == LG_MODE_OPEN && c->sched_k - c->sent_k < n)
		n = (uint32_t)(c->sched_k - c->sent_k);
	if (cfg->conn_requests && cfg->conn_requests - c->sent_sock < n)
		n = (uint32_t)(cfg->conn_requests - c->sent_sock);
	if (w->quota != UINT64_MAX && w->now >= w->run->measure_start &&
	    w->quota - w->counts.sent < n)
		n = (uint32_t)(w->quota - w->counts.sent);
	return n;
}

/* Take n requests to send on c: each one's schedule and counts in its
 * in-flight slot; *len bytes of request text at *p (the worker's). */
static void lg_conn_take(lg_worker *w, lg_conn *c, uint32_t n, const char **p, size_t *len)
{
	const lg_config *cfg = w->cfg;
	const lg_run *run = w->run;
	/* The connection's last request (--conn-requests) says Connection:
	 * close and goes alone, from the requests built with it. */
	int last = cfg->conn_requests && c->sent_sock + n == cfg->conn_requests;
	if (last && n > 1) {
		n--;
		last = 0;
	}
	const lg_requests *rq = last ? &w->req_close : &w->req;

	uint32_t P = cfg->pipeline;
	for (uint32_t j = 0; j < n; j++) {
		lg_inflight *e = &c->ring[(c->head + c->inflight) % P];
		if (cfg->mode == LG_MODE_OPEN) {
			double idx = (double)(c->sent_k + j) * cfg->connections + c->global;
			e->due_ns = run->t0 + (uint64_t)(idx * w->ns_per_request);
			e->sent_ns = w->now;
		} else if (cfg->mode == LG_MODE_CLOSE) {
			/* From the connect, or from the start for a connection
			 * a held start (--start-at, rbload-mpi) opened early:
			 * its first request is the window's, not before it. */
			uint64_t t0 = run->t0;
			e->due_ns = e->sent_ns = c->connect_ns > t0 ? c->connect_ns : t0;
		} else {
			e->due_ns = e->sent_ns = w->now;
		}
		e->wire_ns = w->now;
		e->measured = e->due_ns >= run->measure_start && w->now < run->measure_end;
		if (e->measured) {
			w->counts.sent++;
			w->outstanding++;
			/* Late by rbload's doing: the connection was free and the
			 * request due, yet it went out an interval later. */
			uint64_t from = e->due_ns > c->ready_ns ? e->due_ns : c->ready_ns;
			if (cfg->mode == LG_MODE_OPEN && w->now > from + w->late_ns)
				w->counts.late_sends++;
		}
		c->inflight++;
	}
	c->sent_k += n;
	c->sent_sock += n;
	*p = lg_requests_at(rq, c->mix_pos);
	*len = lg_requests_len(rq, c->mix_pos, n);
	c->mix_pos = (c->mix_pos + n) % rq->cycle;
}

/* The requests c may send now, as they are, in one send (http://, and
 * https:// once TX is the kernel's). */
static void lg_plain_flush(lg_worker *w, lg_conn *c)
{
	uint32_t n = lg_conn_sendable(w, c);
	if (n == 0)
		return;
	const char *p;
	size_t len;
	lg_conn_take(w, c, n, &p, &len);
	c->send_ptr = p;
	c->send_len = (uint32_t)len;
	c->send_off = 0;
	lg_submit_send(w, c);
}

/* kTLS TX (docs/tls.md, "Kernel TLS"), once per socket: at the first flush
 * after the handshake with nothing pending out and no send in flight (the
 * caller's rule) -- every record sealed here sent -- the session's TX keys
 * go to the kernel; from then on requests are written as plaintext, as on
 * an http:// connection, and the kernel seals them.  A refusal loses
 * nothing (rb_ktls_install: the socket stays plain TCP), counted, and drops
 * TX only: RX is tried whatever the kernel said to TX, after the first
 * response (lg_tls_rx_due, lg_tls_ktls_rx). */
static void lg_tls_ktls_try(lg_worker *w, lg_conn *c)
{
	char why[256] = "";
	int r = rb_tls_ktls_hand_over(c->tls, c->fd, RB_KTLS_TX, why, sizeof(why));
	if (r == RB_TLS_WANT)
		return; /* not clean yet (a KeyUpdate answer waiting): the next flush */
	c->ktls_tried = 1;
	if (r == RB_TLS_ERROR) { /* not for kTLS: no probe, TLS 1.2, a suite */
		rb_tls_ktls_drop(c->tls);
		c->ktls_rx_step = LG_KRX_DONE; /* RX would be refused the same */
		if (!w->ktls_why[0] && rb_tls_ktls_available())
			snprintf(w->ktls_why, sizeof(w->ktls_why), "%s", why);
		return;
	}
	lg_tls_rx_due(w, c); /* a response read already (TX waited on a KeyUpdate) */
	if (r == RB_TLS_REFUSED) {
		w->counts.ktls_refused++;
		lg_tls_ktls_refused(w, why);
		return;
	}
	c->ktls_tx = 1;
	w->counts.ktls_tx++;
}

/* https://: the requests c may send now are written into its session and
 * sealed at once (a pipelined batch leaves as one record, or one per 16 KiB);
 * then the session's oldest unsent ciphertext (its handshake flight, those
 * records, the rest of a short send) goes in one send.  The bytes stay put
 * in the session until the send completes (rb_tls_pending_out). */
static void lg_tls_flush(lg_worker *w, lg_conn *c)
{
	/* --slow-send: nothing leaves during a pause (lg_on_timer ends it) */
	if (c->state != LG_C_OPEN || c->send_inflight || c->send_timer)
		return;
	const char *out;
	/* Not under --slow-send: the kernel would seal each paced piece as a
	 * record of its own (23 bytes a byte), so the pace is the ciphertext's
	 * only in user space; nor on a socket whose requests are all sent. */
	const lg_config *cfg = w->cfg;
	if (c->tls_up && !c->ktls_tried && !cfg->slow_send_bps &&
	    !(cfg->conn_requests && c->sent_sock >= cfg->conn_requests) &&
	    !rb_tls_pending_out(c->tls, &out)) {
		lg_tls_ktls_try(w, c);
		if (c->ktls_tx) {
			lg_plain_flush(w, c);
			return;
		}
	}
	uint32_t n = lg_conn_sendable(w, c);
	if (n) {
		const char *p;
		size_t len;
		lg_conn_take(w, c, n, &p, &len);
		if (rb_tls_write(c->tls, p, len) || rb_tls_flush(c->tls) == RB_TLS_ERROR) {
			lg_tls_failed(w, c);
			return;
		}
	}
	size_t len = rb_tls_pending_out(c->tls, &out);
	if (!len)
		return;
	c->send_ptr = out;
	c->send_len = (uint32_t)(len > UINT32_MAX / 2 ? UINT32_MAX / 2 : len);
	c->send_off = 0;
	lg_submit_send(w, c);
}

void lg_conn_flush(lg_worker *w, lg_conn *c)
{
	if (c->state == LG_C_OPEN || c->draining)
		lg_conn_arm_input(w, c);
	if (c->tls && !c->ktls_tx)
		lg_tls_flush(w, c);
	else
		lg_plain_flush(w, c);
}

void lg_conn_handle(lg_worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	unsigned op = rb_ud_op(ud);
	if (op == LG_OP_CLOSE)
		return; /* a close by the ring cannot fail on a descriptor we own */
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
	case LG_OP_RECV_SLOW:
		lg_on_recv_slow(w, c, cqe->res);
		break;
	case LG_OP_SEND_TIMER:
	case LG_OP_RECV_TIMER:
		lg_on_timer(w, c, (enum lg_op)op);
		break;
	default:
		break;
	}
}
