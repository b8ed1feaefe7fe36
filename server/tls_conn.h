/*
 * HTTPS on a connection (--tls-cert): the rb_tls session between the ring's
 * receives and sends and the HTTP layer, which sees plaintext only.
 *
 *   recv -> srv_tls_input: rb_tls_feed, rb_tls_read until it wants more ->
 *           srv_http_input (the handshake is driven from here)
 *   flush -> srv_tls_send: what the batch queued in the exchange's output
 *           goes through rb_tls_write, one rb_tls_flush seals it, and one
 *           send carries rb_tls_pending_out (which stays put while the send
 *           is in flight; the completion calls rb_tls_consumed_out)
 *   DRAINING -> srv_tls_close_notify before our FIN
 *
 * kTLS (where the probe says yes): at the first flush after the handshake
 * with nothing pending out, TX goes to the kernel (srv_tls_send); from then
 * on the exchange's plaintext is sent as on a plain connection and
 * close_notify is an alert record by control message.  Then RX: the
 * receive is ended, and once its last completion was read the RX keys go
 * to the kernel and the receive is armed again (srv_tls_ktls_rx); from
 * then on receives carry plaintext to srv_http_input, and a record that is
 * not data is read by recvmsg (srv_tls_ktls_recvmsg).  docs/tls.md,
 * "Kernel TLS".
 *
 * Plaintext is moved into the session only while no send is in flight, so
 * the output a client does not read stays in the exchange's buffers, where
 * the pause (SRV_OUT_HIGH) sees it.  Each function applies only to a
 * connection with a session (c->tls): the plain path never calls here.
 */
#ifndef SRV_TLS_CONN_H
#define SRV_TLS_CONN_H

#include "worker_state.h"

#include <stddef.h>

/* Plaintext read at once from a session (the worker's tls_plain). */
#define SRV_TLS_PLAIN (16u * 1024u)

/* A session for a connection just accepted.  Returns 0, or -1 when out of
 * memory (the caller closes it). */
int srv_tls_accept(srv_worker *w, srv_conn *c);

/* Ciphertext that arrived: fed to the session, the plaintext it yields
 * handed to srv_http_input.  A failure (counted by kind) or no memory
 * fails the connection; the peer's close_notify is its EOF. */
void srv_tls_input(srv_worker *w, srv_conn *c, const char *data, size_t len);

/* Send what is queued (no send in flight): the output of the batch sealed
 * into the session, then one send of its pending ciphertext.  Returns 1 when
 * a send is in flight, 0 when nothing was left to send, -1 after failing the
 * connection. */
int srv_tls_send(srv_worker *w, srv_conn *c);

/* Under kTLS TX, a file run is next (x->zc_left, set by the static
 * responder only for such a connection): the worker's sendfile path sends
 * it and the queued bytes before it, plaintext the kernel seals.  Not on a
 * failed session (nothing more is sent there). */
int srv_tls_file_run(const srv_conn *c);

/* A send of n bytes of ciphertext completed.  Returns 1 when it was short
 * (fewer than were sent: the rest stays first in line), else 0. */
int srv_tls_sent(srv_conn *c, size_t n);

/* DRAINING, everything sent: queue our close_notify, once.  Returns 1 when
 * it went to a send (its completion comes back here with 0), 0 when nothing
 * is left to send before our FIN. */
int srv_tls_close_notify(srv_worker *w, srv_conn *c);

/* kTLS RX hand-over, from the flush of an OPEN connection whose TX was
 * decided (ktls_rx_step SRV_KRX_CANCEL).  While its receive is armed: cancel
 * it and return 1 (the caller must not re-arm; the final completion brings
 * the connection back).  Once the receive is over: export RX, install it,
 * and return 0: the caller arms the receive, which then reads plaintext
 * (ktls_rx), or ciphertext as before after a refusal.  Not at a record
 * boundary: SRV_KRX_RETRY, tried again after the next data, a few times. */
int srv_tls_ktls_rx(srv_worker *w, srv_conn *c);

/* kTLS RX: a receive failed with EIO (the next record is not data): one
 * recvmsg with a control buffer reads it, as the connection's receive
 * (SRV_OP_RECV, recv_armed, ktls_rec).  Returns 0, or -1 when out of
 * memory (counted; the caller fails the connection). */
int srv_tls_ktls_recvmsg(srv_worker *w, srv_conn *c);

/* That recvmsg completed with res: data goes to srv_http_input, the
 * client's close_notify is its EOF, another alert or a handshake record
 * (KeyUpdate: re-keying the kernel is not built) closes, counted.  Also
 * in DRAINING and LINGERING, whose receive waits for that close_notify. */
void srv_tls_ktls_record(srv_worker *w, srv_conn *c, int res);

#endif
