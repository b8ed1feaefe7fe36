#include "tls_conn.h"
#include "conn_ops.h"
#include "http_conn.h"

#include "rb_log.h"
#include "rb_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A failed session: counted by kind.  The connection drains, so the alert
 * OpenSSL queued for the peer leaves before our FIN (srv_tls_send sends
 * only what is pending from a dead session, never the responses queued);
 * from STREAMING or later, where draining does not apply, it closes. */
static void srv_tls_failed(srv_worker *w, srv_conn *c)
{
	srv_stats *st = &w->stats;
	switch (rb_tls_error(c->tls, NULL)) {
	case RB_TLS_ERR_HANDSHAKE:
		SRV_STAT_ADD(st, tls_errors_handshake, 1);
		break;
	case RB_TLS_ERR_CERTIFICATE:
		SRV_STAT_ADD(st, tls_errors_certificate, 1);
		break;
	case RB_TLS_ERR_ALERT:
		SRV_STAT_ADD(st, tls_errors_alert, 1);
		break;
	default:
		SRV_STAT_ADD(st, tls_errors_io, 1);
		break;
	}
	SRV_STAT_ADD(st, errors, 1);
	c->peer_eof = 1; /* no lingering, no recv again: the session is over */
	srv_conn_drain(c);
	if (c->state != SRV_CS_DRAINING)
		srv_conn_fail(c);
}

int srv_tls_accept(srv_worker *w, srv_conn *c)
{
	c->tls = rb_tls_new(w->tls_ctx, NULL);
	return c->tls ? 0 : -1;
}

void srv_tls_input(srv_worker *w, srv_conn *c, const char *data, size_t len)
{
	/* After the last response only the client's close matters. */
	if (!srv_conn_reading(c))
		return;
	if (rb_tls_feed(c->tls, data, len)) {
		SRV_STAT_ADD(&w->stats, oom, 1);
		srv_conn_fail(c);
		return;
	}
	/* kTLS RX found half a record last time: with more fed, end the
	 * receive again and look (srv_tls_ktls_rx). */
	if (c->ktls_rx_step == SRV_KRX_RETRY)
		c->ktls_rx_step = SRV_KRX_CANCEL;
	for (;;) {
		int n = rb_tls_read(c->tls, w->tls_plain, SRV_TLS_PLAIN);
		if (!c->tls_ready) {
			rb_tls_facts f;
			if (rb_tls_get_facts(c->tls, &f) == 0) {
				c->tls_ready = 1;
				SRV_STAT_ADD(&w->stats, tls_handshakes, 1);
				if (f.resumed)
					SRV_STAT_ADD(&w->stats, tls_resumed, 1);
			}
		}
		if (n > 0) {
			srv_http_input(&w->http, c, w->tls_plain, (size_t)n);
			if (c->state == SRV_CS_CLOSING)
				return;
			continue;
		}
		if (n == RB_TLS_CLOSED) /* the client's close_notify: its EOF */
			srv_conn_peer_eof(c);
		else if (n == RB_TLS_ERROR)
			srv_tls_failed(w, c);
		return; /* RB_TLS_WANT: all that was fed is read */
	}
}

/* The first refusal in this process is logged (one line: the session stays
 * in user space and why); every one is counted. */
static int srv_tls_ktls_logged;

/* The first refusal (TX or RX) in this process is logged, once. */
static void srv_tls_ktls_log(const char *why)
{
	if (!__atomic_exchange_n(&srv_tls_ktls_logged, 1, __ATOMIC_RELAXED))
		rb_log("%s: TLS records stay in user space", why);
}

/* kTLS TX (docs/tls.md, "Kernel TLS"): at the first clean point after the
 * handshake -- no send in flight (the caller's rule), every record sealed
 * here sent, nothing moved into the session and not yet sealed -- the
 * session's TX keys go to the kernel (rb_tls_ktls_hand_over).
 * Then the connection sends the exchange's plaintext like a plain one.
 *
 * RX is not handed over here: the multishot receive is armed, and a
 * completion the kernel posts between the clean-point check and TLS_RX
 * (task work runs on the return of any syscall, the setsockopt included,
 * unless DEFER_TASKRUN holds it) would carry raw ciphertext into a stream
 * the kernel then decrypts.  Once TX is decided (taken or refused) RX
 * starts its own hand-over, which ends the receive first: srv_tls_ktls_rx. */
static void srv_tls_ktls_try(srv_worker *w, srv_conn *c)
{
	char why[256] = "";
	int r = rb_tls_ktls_hand_over(c->tls, c->fd, RB_KTLS_TX, why, sizeof(why));
	if (r == RB_TLS_WANT)
		return; /* not clean yet: the next flush tries again */
	c->ktls_tried = 1;
	if (r == RB_TLS_ERROR) { /* not for kTLS (no probe, TLS 1.2, a suite) */
		rb_tls_ktls_drop(c->tls);
		return;
	}
	/* RX is tried next whatever the kernel said to TX: a refusal of one
	 * direction (a cipher the kernel seals but does not open, say) need
	 * not be the other's, and under RB_FAULTS=ktls-try this runs the RX
	 * hand-over against this kernel too. */
	c->ktls_rx_step = SRV_KRX_CANCEL;
	if (r == RB_TLS_REFUSED) { /* nothing lost: the session seals as before */
		SRV_STAT_ADD(&w->stats, tls_ktls_refused, 1);
		srv_tls_ktls_log(why);
		return;
	}
	c->ktls_tx = 1;
	SRV_STAT_ADD(&w->stats, tls_ktls_tx, 1);
}

/* Receives ended for the RX hand-over that found the session between
 * records, before it stays in user space (a client that always has half a
 * record in flight: pipelining large bodies, say). */
#define SRV_KTLS_RX_TRIES 4

int srv_tls_ktls_rx(srv_worker *w, srv_conn *c)
{
	/* First the receive must end: a multishot receive left armed could
	 * post ciphertext the kernel read before TLS_RX took the socket
	 * (rb_tls_ktls_export's verdict would be stale by then).  Its final
	 * completion (no IORING_CQE_F_MORE: srv_on_recv clears recv_armed)
	 * marks the connection, and the flush comes back here.  What arrives
	 * meanwhile stays in the socket, in order, for the kernel or the
	 * next receive. */
	if (c->recv_armed) {
		srv_cancel_recv(w, c); /* once: a no-op while its cancel is in flight */
		return 1;
	}
	/* Over: every completion it posted was fed and read (srv_tls_input
	 * reads until RB_TLS_WANT), and nothing reaches the session until the
	 * caller arms again, so the export below is the truth at TLS_RX. */
	SRV_STAT_ADD(&w->stats, tls_ktls_rx_tries, 1);
	char why[256] = "";
	int r = rb_tls_ktls_hand_over(c->tls, c->fd, RB_KTLS_RX, why, sizeof(why));
	if (r == RB_TLS_WANT) {
		/* Half a record arrived: re-armed by the caller, and tried
		 * again once more data came (srv_tls_input), a few times. */
		if (++c->ktls_rx_tries < SRV_KTLS_RX_TRIES) {
			c->ktls_rx_step = SRV_KRX_RETRY;
			return 0;
		}
		SRV_STAT_ADD(&w->stats, tls_ktls_rx_unclean, 1);
		rb_tls_ktls_drop_dir(c->tls, RB_KTLS_RX);
		r = RB_TLS_ERROR;
	}
	c->ktls_rx_step = SRV_KRX_DONE;
	if (r == RB_TLS_ERROR) /* the peer closed, the session failed, given up */
		return 0;
	if (r == RB_TLS_REFUSED) {
		/* The socket's receive side is TCP's still: the ciphertext
		 * waiting there is the session's, as before. */
		SRV_STAT_ADD(&w->stats, tls_ktls_rx_refused, 1);
		srv_tls_ktls_log(why);
		return 0;
	}
	c->ktls_rx = 1;
	SRV_STAT_ADD(&w->stats, tls_ktls_rx, 1);
	return 0;
}

/* ---- kTLS RX: records that are not data ----------------------------------
 *
 * Under TLS_RX the kernel opens the records and a receive gets their
 * plaintext -- application data only.  A record of another type (an alert,
 * a post-handshake message) makes a receive without a control buffer fail
 * with EIO; recvmsg with room for a control message returns that record
 * alone, its type in a SOL_TLS / TLS_GET_RECORD_TYPE cmsg, and no cmsg (or
 * type 23) means data (Linux Documentation/networking/tls.rst, "Receiving
 * TLS control messages"; net/tls/tls_sw.c tls_record_content_type).  So on
 * EIO one IORING_OP_RECVMSG reads that record (srv_tls_ktls_recvmsg), its
 * completion says what it was (srv_tls_ktls_record), and the flush re-arms
 * the ordinary receive.  Not run on this machine: its kernel has no tls
 * ULP, so no connection here ever has ktls_rx. */
int srv_tls_ktls_recvmsg(srv_worker *w, srv_conn *c)
{
	/* Allocated on the first such record only: alerts and post-handshake
	 * messages are rare, and the buffer is a record's worth. */
	if (!c->krec && !(c->krec = malloc(sizeof(*c->krec)))) {
		SRV_STAT_ADD(&w->stats, oom, 1);
		return -1;
	}
	rb_ktls_rec *k = c->krec;
	rb_ktls_rec_prep(k);
	struct io_uring_sqe *sqe = rb_loop_sqe(&w->loop);
	io_uring_prep_recvmsg(sqe, c->fd, &k->msg, 0);
	/* The receive's own user_data: srv_cancel_recv and the release rule
	 * (recv_armed) cover it like the multishot receive it stands in for. */
	io_uring_sqe_set_data64(sqe, srv_ud(SRV_OP_RECV, c));
	c->recv_armed = 1;
	c->ktls_rec = 1;
	return 0;
}

void srv_tls_ktls_record(srv_worker *w, srv_conn *c, int res)
{
	c->ktls_rec = 0;
	rb_ktls_rec *k = c->krec;
	if (res == -ECANCELED) /* we cancelled it: closing, paused or streaming */
		return;
	if (res == 0) { /* the TCP stream ended */
		srv_conn_peer_eof(c);
		return;
	}
	if (res < 0) { /* EBADMSG: a record that does not open; a reset */
		if (rb_res_kind(res) == RB_RES_RESET) {
			SRV_STAT_ADD(&w->stats, resets, 1);
		} else {
			SRV_STAT_ADD(&w->stats, tls_errors_io, 1);
			SRV_STAT_ADD(&w->stats, errors, 1);
		}
		srv_conn_fail(c);
		return;
	}
	int type = rb_ktls_rec_type(k);
	switch (type) {
	case RB_KTLS_APPDATA:
		SRV_STAT_ADD(&w->stats, bytes_in, res);
		srv_http_input(&w->http, c, (const char *)k->data, (size_t)res);
		return;
	case RB_KTLS_ALERT:
		/* close_notify (0) is the client's EOF and user_canceled (90)
		 * a warning before it, whatever their level says (RFC 8446 6:
		 * the level is to be ignored), as OpenSSL treats them in user
		 * space; any other alert ends a TLS 1.3 connection. */
		if (res >= 2 && k->data[1] == 0) {
			srv_conn_peer_eof(c);
			return;
		}
		if (res >= 2 && k->data[1] == 90) {
			srv_conn_mark_dirty(w, c); /* the flush arms the receive again */
			return;
		}
		SRV_STAT_ADD(&w->stats, tls_errors_alert, 1);
		break;
	case RB_KTLS_HANDSHAKE:
		/* A KeyUpdate (or any post-handshake message): the kernel's
		 * RX key would have to change, and re-keying the kernel is
		 * not built.  Closed, counted. */
		SRV_STAT_ADD(&w->stats, tls_ktls_rx_handshake, 1);
		break;
	default:
		SRV_STAT_ADD(&w->stats, tls_errors_io, 1);
		break;
	}
	SRV_STAT_ADD(&w->stats, errors, 1);
	c->peer_eof = 1; /* nothing more is read from it */
	srv_conn_fail(c);
}

/* Under kTLS TX: the exchange's output goes out as it is, one send at a
 * time from where the last one ended (its completion accounts it as for a
 * plain connection).  A session that failed (a KeyUpdate it cannot answer)
 * has nothing to send: the connection drains to its FIN. */
static int srv_tls_send_plain(srv_conn *c, srv_worker *w)
{
	rb_buf *s = rb_tls_error(c->tls, NULL) == RB_TLS_ERR_NONE ? srv_conn_next_send(c) : NULL;
	if (!s)
		return 0;
	srv_send(w, c, s->data + s->off, s->len - s->off);
	return 1;
}

int srv_tls_send(srv_worker *w, srv_conn *c)
{
	rb_tls *t = c->tls;
	const char *p;
	if (c->ktls_tx)
		return srv_tls_send_plain(c, w);
	size_t n = rb_tls_pending_out(t, &p);
	if (!n && c->tls_ready && !c->ktls_tried) {
		srv_tls_ktls_try(w, c);
		if (c->ktls_tx)
			return srv_tls_send_plain(c, w);
	}
	/* The rest of a short send goes first, alone: plaintext moves into the
	 * session only once its ciphertext is all sent, so what a slow reader
	 * leaves unread stays in the exchange's buffers, where the pause
	 * (SRV_OUT_HIGH, srv_conn_queued) sees it. */
	int hold = n || rb_tls_error(t, NULL) != RB_TLS_ERR_NONE;
	rb_buf *s;
	int wrote = 0;
	while (!hold && (s = srv_conn_next_send(c))) {
		if (rb_tls_write(t, s->data + s->off, s->len - s->off)) {
			SRV_STAT_ADD(&w->stats, oom, 1);
			srv_conn_fail(c);
			return -1;
		}
		s->off = s->len;
		wrote = 1;
	}
	/* A seal that fails (out of memory for the records) fails the session
	 * as a bad record does on the receive side: what it left pending (an
	 * alert if OpenSSL queued one, the records sealed before the failure)
	 * goes in one send, then the connection closes (DRAINING, peer_eof:
	 * the flush after that send finds nothing and closes).  With nothing
	 * pending, or from STREAMING (no draining), it closes now. */
	if (wrote && rb_tls_flush(t) == RB_TLS_ERROR) {
		srv_tls_failed(w, c);
		if (c->state == SRV_CS_CLOSING || !rb_tls_pending_out(t, &p)) {
			srv_conn_fail(c);
			return -1;
		}
	}
	n = rb_tls_pending_out(t, &p);
	if (!n)
		return 0;
	srv_send(w, c, p, n);
	c->tls_sending = n;
	return 1;
}

int srv_tls_file_run(const srv_conn *c)
{
	return c->ktls_tx && c->x && c->x->zc_left && rb_tls_error(c->tls, NULL) == RB_TLS_ERR_NONE;
}

int srv_tls_sent(srv_conn *c, size_t n)
{
	rb_tls_consumed_out(c->tls, n);
	int short_send = n < c->tls_sending;
	c->tls_sending = 0;
	return short_send;
}

int srv_tls_close_notify(srv_worker *w, srv_conn *c)
{
	if (c->ktls_tx) {
		if (!c->tls_notify && rb_tls_error(c->tls, NULL) == RB_TLS_ERR_NONE &&
		    rb_ktls_close_notify(c->fd) == -EAGAIN) {
			/* A completed send is queued, not gone: a slow reader
			 * of the last response leaves no room.  The alert goes
			 * when there is (srv_on_writable), within the drain
			 * deadline; any other failure: the FIN without it. */
			srv_wait_writable(w, c);
			return 1;
		}
		c->tls_notify = 1;
		return 0;
	}
	if (!c->tls_notify) {
		c->tls_notify = 1;
		if (c->tls_ready)
			rb_tls_shutdown(c->tls); /* RB_TLS_ERROR: a dead session, no alert */
	}
	return srv_tls_send(w, c) > 0;
}
