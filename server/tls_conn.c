#include "tls_conn.h"
#include "conn_ops.h"
#include "http_conn.h"

#include "rb_log.h"
#include "rb_tls.h"

#include <errno.h>
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

/* kTLS TX (docs/tls.md, "Kernel TLS"): at the first clean point after the
 * handshake -- no send in flight (the caller's rule), every record sealed
 * here sent, nothing moved into the session and not yet sealed -- the
 * session's TX keys go to the kernel (rb_tls_ktls_export, rb_ktls_install).
 * Then the connection sends the exchange's plaintext like a plain one.
 *
 * RX stays in user space here: the multishot receive stays armed, and a
 * completion the kernel posts between the clean-point check and TLS_RX
 * (task work runs on the return of any syscall, the setsockopt included,
 * unless DEFER_TASKRUN holds it) would carry raw ciphertext into a stream
 * the kernel now decrypts.  Handing RX over safely needs the receive
 * cancelled and its last completion seen first; not built. */
static void srv_tls_ktls_try(srv_worker *w, srv_conn *c)
{
	rb_ktls_crypto k;
	char why[256] = "";
	int r = rb_tls_ktls_export(c->tls, RB_KTLS_TX, &k, why, sizeof(why));
	if (r == RB_TLS_WANT)
		return; /* not clean yet: the next flush tries again */
	c->ktls_tried = 1;
	if (r == RB_TLS_ERROR) { /* not for kTLS (no probe, TLS 1.2, a suite) */
		rb_tls_ktls_drop(c->tls);
		return;
	}
	r = rb_ktls_install(c->fd, RB_KTLS_TX, &k, why, sizeof(why));
	rb_ktls_crypto_wipe(&k);
	if (r) {
		/* Nothing was lost: the socket is plain TCP still (rb_ktls.h),
		 * the session seals as before. */
		rb_tls_ktls_drop(c->tls);
		SRV_STAT_ADD(&w->stats, tls_ktls_refused, 1);
		if (!__atomic_exchange_n(&srv_tls_ktls_logged, 1, __ATOMIC_RELAXED))
			rb_log("%s: TLS records stay in user space", why);
		return;
	}
	rb_tls_ktls_commit(c->tls, RB_KTLS_TX);
	c->ktls_tx = 1;
	SRV_STAT_ADD(&w->stats, tls_ktls_tx, 1);
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

int srv_tls_sent(srv_conn *c, size_t n)
{
	rb_tls_consumed_out(c->tls, n);
	int short_send = n < c->tls_sending;
	c->tls_sending = 0;
	return short_send;
}

/* close_notify through the kernel: an alert record (TLS_SET_RECORD_TYPE 21),
 * level warning (1), description close_notify (0).  Two bytes into an empty
 * send buffer (DRAINING comes after the last send completed), so one
 * non-blocking sendmsg; if even that fails the FIN follows without it. */
static void srv_tls_ktls_close_notify(srv_conn *c)
{
	static const unsigned char alert[2] = {1, 0};
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)alert, .iov_len = sizeof(alert)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cm) = RB_KTLS_ALERT;
	if (sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
	}
}

int srv_tls_close_notify(srv_worker *w, srv_conn *c)
{
	if (c->ktls_tx) {
		if (!c->tls_notify && rb_tls_error(c->tls, NULL) == RB_TLS_ERR_NONE)
			srv_tls_ktls_close_notify(c);
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
