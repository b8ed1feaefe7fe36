/*
 * What a connection needs after a batch of completions, by its state: the
 * exchange goes on where it waits (more of a file, input held by a pause or
 * a stream), what is queued is sent (one send for every response of the
 * batch), a drained connection shuts its write side and lingers, a failed
 * one is closed; the recv is kept armed or cancelled, the exchange given
 * back once the connection is idle, the timeout picked.
 */
#include "flush.h"
#include "conn_ops.h"
#include "file_send.h"
#include "http_conn.h"
#include "tls_conn.h"

#include <sys/socket.h>

/* What srv_send_queued left. */
enum srv_queued {
	SRV_Q_IDLE = 0,  /* nothing queued, nothing in flight */
	SRV_Q_INFLIGHT,  /* a send, or a wait for the socket, is in flight */
	SRV_Q_FILE_DONE, /* a file run went out whole just now: its stream can end */
};

/* Send what is queued, unless a send is in flight: the rest of a short
 * send first, else the pending buffer (every response of the batch), else
 * a file run: from here while *budget lasts (the socket usually has room
 * for it, and a poll's round trip is saved), the rest after POLLOUT. */
static enum srv_queued srv_send_queued(srv_worker *w, srv_conn *c, uint64_t *budget)
{
	if (c->send_inflight)
		return SRV_Q_INFLIGHT;
	/* HTTPS: the output sealed, no file runs -- but under kTLS TX a file
	 * run goes by sendfile as below (srv_tls_file_run). */
	if (c->tls && !srv_tls_file_run(c))
		return srv_tls_send(w, c) > 0 ? SRV_Q_INFLIGHT : SRV_Q_IDLE;
	if (c->x && c->x->zc_left) {
		if (*budget) {
			int64_t n = srv_send_file(w, c, *budget);
			if (n < 0)
				return SRV_Q_IDLE; /* failed: CLOSING */
			*budget -= (uint64_t)n;
		}
		if (!c->x->zc_left)
			return SRV_Q_FILE_DONE;
		srv_wait_writable(w, c);
		return SRV_Q_INFLIGHT;
	}
	rb_buf *s = srv_conn_next_send(c);
	if (!s)
		return SRV_Q_IDLE;
	srv_send(w, c, s->data + s->off, s->len - s->off);
	return SRV_Q_INFLIGHT;
}

/* The recv, by state: armed while requests are read, and in DRAINING and
 * LINGERING to see the client's close; cancelled while input is held
 * (PAUSED, STREAMING), so a client cannot queue without bound.  Never
 * re-armed after the client's EOF. */
static void srv_recv_update(srv_worker *w, srv_conn *c)
{
	switch (c->state) {
	case SRV_CS_PAUSED:
	case SRV_CS_STREAMING:
		srv_cancel_recv(w, c);
		break;
	case SRV_CS_OPEN:
	case SRV_CS_DRAINING:
	case SRV_CS_LINGERING:
		/* HTTPS, kTLS: the RX hand-over ends the receive first, and
		 * arms it again once RX is decided (srv_tls_ktls_rx).  Only
		 * while OPEN: a draining connection reads no more requests. */
		if (c->state == SRV_CS_OPEN && c->ktls_rx_step == SRV_KRX_CANCEL && !c->peer_eof &&
		    srv_tls_ktls_rx(w, c))
			break;
		if (!c->recv_armed && !c->peer_eof)
			srv_arm_recv(w, c);
		break;
	case SRV_CS_CLOSING:
		break;
	}
}

/* Which timeout applies now (srv_timer_set). */
static void srv_timer_update(srv_worker *w, srv_conn *c)
{
	srv_timers *t = &w->timers;
	switch (c->state) {
	case SRV_CS_OPEN: {
		/* A request ended since the deadline was set (srv_exchange_end
		 * counts them): the idle or header deadline starts afresh,
		 * even when the kind is the same.  Otherwise the header
		 * deadline is never extended (slowloris); the body one is, on
		 * each event. */
		int fresh = c->req_ended;
		c->req_ended = 0;
		if (c->tls && (fresh || c->phase == SRV_PH_BODY))
			c->tls_head_done = 1;
		if (c->tls && !c->tls_head_done)
			/* HTTPS: one header deadline from accept to the first
			 * head's end, the handshake included.  Not moved by
			 * the handshake's sends (a WRITE timer between the
			 * flights would give each flight a fresh deadline) nor
			 * by the pause between the handshake and the request,
			 * so trickling the handshake gains nothing. */
			srv_timer_set(t, c, SRV_T_HEAD, w->now_ms, 0);
		else if (c->send_inflight)
			srv_timer_set(t, c, SRV_T_WRITE, w->now_ms, 0);
		else if (c->phase == SRV_PH_HEAD)
			srv_timer_set(t, c, SRV_T_HEAD, w->now_ms, fresh);
		else if (c->phase == SRV_PH_BODY)
			srv_timer_set(t, c, SRV_T_BODY, w->now_ms, 1);
		else
			srv_timer_set(t, c, SRV_T_IDLE, w->now_ms, fresh);
		break;
	}
	case SRV_CS_PAUSED:
	case SRV_CS_STREAMING:
	case SRV_CS_DRAINING:
		/* waiting for the client to take our output */
		srv_timer_set(t, c, SRV_T_WRITE, w->now_ms, 0);
		break;
	case SRV_CS_LINGERING:
		srv_timer_set(t, c, SRV_T_LINGER, w->now_ms, 0);
		break;
	case SRV_CS_CLOSING:
		srv_timer_clear(t, c);
		break;
	}
}

/* Send by state (budget: bytes of file runs still allowed from here). */
static enum srv_queued srv_flush_once(srv_worker *w, srv_conn *c, uint64_t *budget)
{
	enum srv_queued q = SRV_Q_IDLE;
	switch (c->state) {
	case SRV_CS_OPEN:
	case SRV_CS_PAUSED:
	case SRV_CS_STREAMING:
		/* Double buffering: once this send is with the kernel, the
		 * next part of a file (or the input held behind a pause) goes
		 * into the emptied pending buffer.  With no send in flight
		 * the next flush (there is one: the send's completion) does
		 * it. */
		q = srv_send_queued(w, c, budget);
		if (q == SRV_Q_INFLIGHT && c->state != SRV_CS_OPEN)
			srv_http_continue(&w->http, c);
		break;
	case SRV_CS_DRAINING:
		/* No file run is left here: a stream's end comes first. */
		if (srv_send_queued(w, c, &(uint64_t){0}) != SRV_Q_IDLE)
			break;
		if (c->peer_eof) { /* nobody is left to read our FIN's answer */
			srv_conn_fail(c);
			break;
		}
		/* HTTPS: our close_notify goes first, then the FIN. */
		if (c->tls && srv_tls_close_notify(w, c))
			break;
		/* Our FIN goes after the last response; keep reading until the
		 * client closes too (or the linger timeout). */
		shutdown(c->fd, SHUT_WR);
		srv_conn_linger(c);
		break;
	case SRV_CS_LINGERING:
	case SRV_CS_CLOSING:
		break;
	}
	return q;
}

static void srv_flush(srv_worker *w, srv_conn *c)
{
	if (!c->in_use)
		return;
	uint64_t budget = SRV_SENDFILE_BURST;
	for (;;) {
		/* The exchange first: more of a file, or the input a pause
		 * or a stream held back (a no-op while OPEN: answered on
		 * receipt). */
		if (c->state != SRV_CS_OPEN)
			srv_http_continue(&w->http, c);
		/* A file run sent whole here ends its stream: round again,
		 * which answers what the stream held back. */
		if (srv_flush_once(w, c, &budget) != SRV_Q_FILE_DONE)
			break;
	}
	if (c->state == SRV_CS_CLOSING) {
		srv_conn_abort(w, c);
		return;
	}
	srv_recv_update(w, c);
	/* Between requests with nothing held, queued or in flight (or
	 * lingering): the exchange and its buffers go back to the worker's
	 * pool, so an idle connection holds only its slot. */
	srv_http_detach(c);
	srv_conn_idle_sync(c, &w->stats);
	srv_timer_update(w, c);
}

void srv_flush_dirty(srv_worker *w)
{
	/* A connection is on the list at most once; flushing it may mark it
	 * again only while on_dirty is still set, which is a no-op. */
	for (uint32_t i = 0; i < w->ndirty; i++) {
		srv_conn *c = w->dirty[i];
		srv_flush(w, c);
		c->on_dirty = 0;
	}
	w->ndirty = 0;
}
