/*
 * rb_tls: TLS sessions over memory, for the ring loops of rbload and
 * rbserver (issue 16).  It does no I/O of its own: the program receives
 * ciphertext with io_uring and feeds it in, and takes the ciphertext to send
 * out and queues it as one send; nothing here blocks or touches a socket.
 * OpenSSL 3 does the TLS; docs/tls.md has the design.
 *
 * A session (rb_tls) sits between two buffers of its own:
 *
 *   ring receive -> rb_tls_feed -> [in] -> OpenSSL -> rb_tls_read -> plaintext
 *   plaintext -> rb_tls_write -> [plain] -> rb_tls_flush -> OpenSSL -> [out]
 *   [out] -> rb_tls_pending_out -> ring send -> rb_tls_consumed_out
 *
 * One flush per batch: rb_tls_write only buffers, rb_tls_flush seals all that
 * was written since the last flush at once, so the responses of a pipelined
 * batch leave as one record (or one per 16 KiB), not one per write.
 * Plaintext written before the handshake completes is sealed when it does,
 * into the same outgoing bytes as the handshake's last flight.
 *
 * After every call that may produce ciphertext (rb_tls_handshake, rb_tls_read
 * -- alerts, TLS 1.3 KeyUpdate answers, tickets -- rb_tls_flush,
 * rb_tls_shutdown, and a failure: the alert that says why), the owner asks
 * rb_tls_pending_out and sends what it returns.
 *
 * Returns, one convention for the driving calls: > 0 progress (bytes, or 1:
 * done), RB_TLS_WANT (0) need more input, RB_TLS_CLOSED the peer's
 * close_notify, RB_TLS_ERROR a failure whose kind and message rb_tls_error()
 * gives (the session is dead after it, except for rb_tls_pending_out).
 *
 * Threads: a context may be shared by every worker (SSL_CTX is thread-safe
 * for creating sessions; the client's resumption cache takes a mutex once
 * per session); a session belongs to one thread.  Not for hot paths: the
 * context calls; per connection: rb_tls_new (allocates), and per batch the
 * driving calls, which allocate only when a buffer grows (rb_buf).
 */
#ifndef RB_TLS_H
#define RB_TLS_H

#include "rb_ktls.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rb_tls_ctx rb_tls_ctx;
typedef struct rb_tls rb_tls;

/* ---- errors by kind ------------------------------------------------------ */
enum rb_tls_err {
	RB_TLS_ERR_NONE = 0,
	RB_TLS_ERR_HANDSHAKE,   /* "tls-handshake": no shared cipher or version, a bad message */
	RB_TLS_ERR_CERTIFICATE, /* "tls-certificate": our verification of the peer failed */
	RB_TLS_ERR_ALERT,       /* "tls-alert": the peer sent a fatal alert (its name) */
	RB_TLS_ERR_IO,          /* "tls-io": after the handshake: a bad record, a truncation */
	RB_TLS_ERR__COUNT
};
/* "tls-handshake", ...; "none" for RB_TLS_ERR_NONE. */
const char *rb_tls_err_name(enum rb_tls_err kind);

#define RB_TLS_WANT 0
#define RB_TLS_ERROR (-1)
#define RB_TLS_CLOSED (-2)

/* ---- contexts ------------------------------------------------------------ */
#define RB_TLS_V1_2 0x0303 /* TLS1_2_VERSION */
#define RB_TLS_V1_3 0x0304 /* TLS1_3_VERSION */

typedef struct rb_tls_opts {
	int min_version, max_version; /* RB_TLS_V1_2, RB_TLS_V1_3; 0: OpenSSL's default */
	const char *ciphers;          /* TLS 1.2 cipher list (OpenSSL syntax); NULL: default */
	const char *ciphersuites; /* TLS 1.3 suites ("TLS_AES_128_GCM_SHA256:..."); NULL: default */
	int no_tickets;           /* server: no session tickets, so no resumption */
	int ktls; /* sessions keep their TLS 1.3 traffic secrets and count records, for
		   * rb_tls_ktls_export (set it to rb_tls_ktls_available()) */
	/* client */
	int insecure;       /* -k: no verification of the server's chain or name */
	const char *cafile; /* --cacert: trust these PEM certificates instead of the system store */
	int no_resume;      /* do not offer a saved session (ticket) on new sessions */
} rb_tls_opts;

/* Parse "1.2" or "1.3" (also "tls1.2", "TLSv1.3") into *v.  Returns 0 or -1. */
int rb_tls_version_parse(const char *s, int *v);

/* A server context: the certificate chain (PEM, leaf first) and its key (PEM),
 * checked to match; ALPN http/1.1; tickets unless opts->no_tickets.  NULL on
 * failure, with one line in err naming the file and OpenSSL's reason:
 * "cert.pem: no start line", "key.pem does not match cert.pem: ...". */
rb_tls_ctx *rb_tls_server_ctx_new(const char *cert_path, const char *key_path,
				  const rb_tls_opts *opts, char *err, size_t errlen);

/* A client context: verification against the system store (or opts->cafile)
 * unless opts->insecure, ALPN http/1.1, and a one-entry cache of the last
 * session per context (a ticket offered by the next rb_tls_new for the same
 * server name).  NULL on failure with one line in err. */
rb_tls_ctx *rb_tls_client_ctx_new(const rb_tls_opts *opts, char *err, size_t errlen);

void rb_tls_ctx_free(rb_tls_ctx *ctx);

/* ---- sessions ------------------------------------------------------------ */

/* A session on ctx.  Client: host is the server's name, sent as SNI and
 * checked against its certificate (an IP address literal is checked as an
 * address and sent no SNI); NULL: no SNI, chain checked only.  Server: host
 * is ignored.  NULL when out of memory. */
rb_tls *rb_tls_new(rb_tls_ctx *ctx, const char *host);
void rb_tls_free(rb_tls *s);

/* Ciphertext that arrived (copied; the ring's buffer can go back at once).
 * Returns 0, or -1 when out of memory. */
int rb_tls_feed(rb_tls *s, const void *data, size_t len);

/* The peer shut its side of the connection (a receive of 0): a read that
 * needs more than was fed reports RB_TLS_CLOSED if the peer's close_notify
 * came first, else an RB_TLS_ERR_IO "truncated" error. */
void rb_tls_feed_eof(rb_tls *s);

/* Drive the handshake with what was fed: 1 done (also on every later call),
 * RB_TLS_WANT, or RB_TLS_ERROR.  The client's first call writes its hello. */
int rb_tls_handshake(rb_tls *s);

/* Plaintext that arrived: bytes (> 0, at most cap), RB_TLS_WANT, RB_TLS_CLOSED
 * or RB_TLS_ERROR.  Drives the handshake first if it is not done.  Alerts and
 * post-handshake messages (tickets, KeyUpdate) are handled inside: only
 * application data is returned.  Call until RB_TLS_WANT to drain what was fed. */
int rb_tls_read(rb_tls *s, void *buf, size_t cap);

/* Plaintext to send, buffered until rb_tls_flush.  Returns 0, or -1 when out
 * of memory or the session has failed or been shut down. */
int rb_tls_write(rb_tls *s, const void *data, size_t len);

/* Seal what was written since the last flush: one record per 16 KiB.  Before
 * the handshake completes it keeps the plaintext (sealed when it completes).
 * Returns 0 or RB_TLS_ERROR. */
int rb_tls_flush(rb_tls *s);

/* The ciphertext to send: its length, *p pointing at it (0: nothing).  The
 * bytes stay where they are, unchanged, until rb_tls_consumed_out accounts
 * for them, whatever else is called on the session meanwhile (rb_tls_free
 * aside): a send may be in flight over them.  A partial consume (a short
 * send) leaves the rest first in line; newer ciphertext waits behind it. */
size_t rb_tls_pending_out(rb_tls *s, const char **p);
void rb_tls_consumed_out(rb_tls *s, size_t n);

/* Flush, then queue our close_notify.  Returns 0, or RB_TLS_ERROR when the
 * session had failed (no close_notify then). */
int rb_tls_shutdown(rb_tls *s);

/* The failure: its kind (RB_TLS_ERR_NONE if none) and a one-line message
 * ("certificate verify failed: self-signed certificate", "handshake failure"
 * (the peer's alert), "no shared cipher"). */
enum rb_tls_err rb_tls_error(const rb_tls *s, const char **msg);

/* ---- facts, once the handshake is done ----------------------------------- */
typedef struct rb_tls_facts {
	const char *version;   /* "TLSv1.3" (static strings) */
	const char *cipher;    /* "TLS_AES_256_GCM_SHA384" */
	int resumed;           /* a session was resumed (a ticket taken) */
	char alpn[16];         /* the protocol agreed ("http/1.1"), "" if none */
	uint64_t handshake_ns; /* first rb_tls_handshake call to done, CLOCK_MONOTONIC */
} rb_tls_facts;

/* Returns 0, or -1 while the handshake is not done. */
int rb_tls_get_facts(const rb_tls *s, rb_tls_facts *f);

/* ---- kernel TLS ---------------------------------------------------------- */

/* May this process hand TLS records to the kernel?  False where the kernel
 * has no tls ULP (/proc/sys/net/ipv4/tcp_available_ulp) or under
 * RB_FAULTS=no-ktls.  The first call logs one line: the fallback to user
 * space and why.  Decided once per process (call after rb_faults_init).
 * RB_FAULTS=ktls-try makes it say yes without the ULP, so the programs try
 * the hand-over and meet the kernel's refusal (ENOENT). */
int rb_tls_ktls_available(void);

/* The probe behind it, for tests: the ULP list file and fault bits given.
 * Returns 1 or 0, with the reason in why when 0. */
int rb_tls_ktls_probe(const char *ulp_path, unsigned faults, char *why, size_t whylen);

/* The hand-over of one direction of a TLS 1.3 session (a context made with
 * opts.ktls) to the kernel, in three steps the owner takes:
 *
 *   rb_tls_ktls_export  the keys and next sequence number, if the session is
 *                       at a clean point for that direction;
 *   rb_ktls_install     (rb_ktls.h) setsockopt on the socket;
 *   rb_tls_ktls_commit  when it succeeded: from then on that direction's
 *                       records are the kernel's; or rb_tls_ktls_drop when it
 *                       failed: the session stays in user space for good.
 *
 * Clean points.  TX: every record sealed here has been sent (nothing pending
 * out, no send in flight -- the owner knows that part -- and nothing written
 * and not yet flushed).  RX: every byte fed has been taken by OpenSSL, at a
 * record boundary, and OpenSSL holds no record not yet read (SSL_has_pending).
 * Export changes nothing in the session: if the install fails, OpenSSL goes
 * on sealing and opening with the same keys.  After a TX commit the session
 * seals nothing more (rb_tls_write and rb_tls_flush refuse; rb_tls_shutdown
 * only marks it shut: the owner sends close_notify through the kernel), and a
 * record OpenSSL would still write (the answer to a peer's KeyUpdate read in
 * user space) fails the session with RB_TLS_ERR_IO.  After an RX commit the
 * owner reads plaintext from the socket and calls no rb_tls_feed/rb_tls_read.
 *
 * rb_tls_ktls_export returns 1 with *c filled (wipe it after the install:
 * rb_ktls_crypto_wipe), RB_TLS_WANT when not at a clean point yet, or
 * RB_TLS_ERROR when this session's direction stays in user space (why: "kTLS:
 * TLS 1.2 stays in user space", "kTLS: this TLS 1.3 suite stays in user
 * space", ...). */
int rb_tls_ktls_export(rb_tls *s, enum rb_ktls_dir dir, rb_ktls_crypto *c, char *why,
		       size_t whylen);
void rb_tls_ktls_commit(rb_tls *s, enum rb_ktls_dir dir);
void rb_tls_ktls_drop(rb_tls *s);
/* One direction stays in user space for good (its secret wiped); the other
 * can still be exported.  rbserver decides TX and RX at different points
 * (RX waits for its receive to end), so a refused TX must not close RX. */
void rb_tls_ktls_drop_dir(rb_tls *s, enum rb_ktls_dir dir);

/* The three steps for one direction at once, as rbserver and rbload take
 * them on socket fd: export, install, then commit, or drop that direction.
 * Returns 1 (the kernel has it), RB_TLS_WANT (not at a clean point yet:
 * nothing changed, try again later), RB_TLS_ERROR (the session's direction
 * stays in user space: not for kTLS, why says so) or RB_TLS_REFUSED (the
 * kernel said no, why says what; nothing lost: the socket is plain TCP still,
 * rb_ktls_install).  The keys never leave this call unwiped. */
#define RB_TLS_REFUSED (-3)
int rb_tls_ktls_hand_over(rb_tls *s, int fd, enum rb_ktls_dir dir, char *why, size_t whylen);

#define RB_KTLS_STATE_TX 1
#define RB_KTLS_STATE_RX 2
/* Which directions the kernel has (RB_KTLS_STATE_TX | RB_KTLS_STATE_RX). */
int rb_tls_ktls_state(const rb_tls *s);

/* Send a TLS 1.3 KeyUpdate (asking the peer to update too when ask_peer),
 * sealed into the outgoing ciphertext now.  Returns 0 or RB_TLS_ERROR (not
 * TLS 1.3, the handshake not done, TX in the kernel). */
int rb_tls_key_update(rb_tls *s, int ask_peer);

#endif
