#include "tls_conn.h"
#include "conn_ops.h"
#include "http_conn.h"

#include "rb_tls.h"

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

int srv_tls_send(srv_worker *w, srv_conn *c)
{
	rb_tls *t = c->tls;
	const char *p;
	size_t n = rb_tls_pending_out(t, &p);
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

int srv_tls_close_notify(srv_worker *w, srv_conn *c)
{
	if (!c->tls_notify) {
		c->tls_notify = 1;
		if (c->tls_ready)
			rb_tls_shutdown(c->tls); /* RB_TLS_ERROR: a dead session, no alert */
	}
	return srv_tls_send(w, c) > 0;
}
