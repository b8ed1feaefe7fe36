/*
 * A connection: its lifecycle state, the kernel operations it has in flight,
 * and the HTTP exchange in progress on it (srv_exchange: the request, the
 * buffers; attached only while there is one); and the per-worker pool of
 * connection slots.  Data and pure state changes only: this module
 * calls nothing above it.
 *
 * Lifecycle (docs/server.md draws it).  A connection is in exactly one state:
 *
 *   OPEN ---------(more than SRV_OUT_HIGH queued)---------> PAUSED
 *   PAUSED -------(the pending output went to the kernel)--> OPEN
 *   OPEN ---------(a file body too large to queue at once)-> STREAMING
 *   STREAMING ----(its end queued, keep-alive)-------------> OPEN
 *   STREAMING ----(its end queued, the last response)------> DRAINING
 *   OPEN, PAUSED -(the last response queued, the client
 *                  half-closed, the worker stopping)-------> DRAINING
 *   DRAINING -----(every byte sent (HTTPS: and our
 *                  close_notify); our FIN goes out)--------> LINGERING
 *   any ----------(error, reset, timeout, out of memory,
 *                  the client gone, the drain over)--------> CLOSING
 *
 * Requests are parsed only in OPEN; in PAUSED and STREAMING the recv is
 * cancelled and what already arrived is held in x->in, parsed on the way
 * back to OPEN.  DRAINING and LINGERING keep a recv armed only to see the
 * client's close, and drop what it sends.  CLOSING is final: the slot is
 * released once, by srv_release_if_done(), when no operation naming it is
 * still in flight (the recv and at most one send; srv_conn_abort() cancels
 * both).  Each state change goes through one of the srv_conn_* transitions
 * below; each applies only from the states it names and is a no-op from any
 * other, so nothing leaves CLOSING.
 *
 * Completions carry (slot, generation) in their user_data; a completion
 * whose generation no longer matches the slot is stale and ignored, so
 * nothing ever touches a freed connection.
 */
#ifndef SRV_CONN_H
#define SRV_CONN_H

#include "request.h"
#include "stats.h"

#include "rb_buf.h"
#include "ringparse.h"

#include <stdint.h>

/* Output queued beyond this pauses reading: the client is asking faster than
 * it reads, and the server must not buffer without bound.  With the stream
 * window (SRV_STREAM_CHUNK, the same size) it bounds what one connection
 * holds for a client that does not read: about twice this, whatever it
 * asks for. */
#define SRV_OUT_HIGH (256u * 1024u)
/* Buffers up to these sizes stay with an exchange returned to its worker's
 * pool (srv_http_detach); larger ones are given back, so one large request
 * or response does not pin memory.  Output is kept up to 64 KiB, so
 * keep-alive responses up to about that size allocate nothing. */
#define SRV_KEEP_BUF (16u * 1024u)
#define SRV_KEEP_OUT (64u * 1024u)

/* The states, in this order: the ones before DRAINING still read requests. */
enum srv_conn_state {
	SRV_CS_OPEN = 0,  /* reading; each complete request answered at once */
	SRV_CS_PAUSED,    /* too much output queued: recv cancelled, input held */
	SRV_CS_STREAMING, /* a body queued as sends drain: recv cancelled, input held */
	SRV_CS_DRAINING,  /* the last response is queued: close once it is sent */
	SRV_CS_LINGERING, /* all sent, write side shut: drop input until the client closes */
	SRV_CS_CLOSING,   /* no new work; released once nothing is in flight */
};

/* The kTLS RX hand-over (srv_tls_ktls_rx), once TX is decided. */
enum srv_ktls_rx {
	SRV_KRX_NONE = 0, /* not yet (TX undecided), or never (not a kTLS session) */
	SRV_KRX_CANCEL,   /* end the receive; once it is over, export and install */
	SRV_KRX_RETRY,    /* no record boundary then: again after the next data */
	SRV_KRX_DONE,     /* decided: the kernel's (ktls_rx), or user space for good */
};

enum srv_send_kind {
	SRV_SEND_NONE = 0,
	SRV_SEND_BUF,
	SRV_SEND_POLL
};

/* Which timeout list the connection is on (srv_timer_set). */
enum srv_timer_kind {
	SRV_T_NONE = 0,
	SRV_T_IDLE,   /* keep-alive, nothing pending: --idle-timeout */
	SRV_T_HEAD,   /* header block incomplete: --header-timeout, never extended */
	SRV_T_BODY,   /* body incomplete: --body-timeout, extended on progress */
	SRV_T_WRITE,  /* waiting for the client to take our output: --write-timeout */
	SRV_T_LINGER, /* after our last response, draining the client: fixed 2 s */
	SRV_T__COUNT
};

struct srv_xpool;

/* What only an exchange in progress needs: the request being parsed and
 * answered, its body, the input carried between receives, the output
 * buffers, a file being streamed.  Attached to a connection when a request
 * starts (srv_http_input) and given back to its worker's pool
 * (srv_http_detach) once the connection is idle again: OPEN, between
 * requests, nothing held, queued or in flight.  The pool keeps exchanges
 * and their (trimmed) buffers, so steady keep-alive traffic allocates
 * nothing; an idle connection holds none of this. */
typedef struct srv_exchange {
	struct srv_exchange *next; /* the pool's free list */
	struct srv_xpool *pool;    /* the pool it goes back to */

	/* Request parsing.  With --root, header lines are stored in the
	 * worker's shared array while a header block is parsed in one go; one
	 * that spans receives moves them to hdrs (allocated on first need,
	 * kept with the exchange). */
	rp_message m;
	rp_header *hdrs; /* SRV_MAX_HEADERS entries, or NULL */
	rp_chunked chunked;
	srv_request req;
	struct srv_static *st; /* static-file state, allocated on first use, kept */
	uint64_t gen_left;     /* a generated body (/bytes/N) streaming: bytes still to queue */

	/* The file a static response's body comes from (srv_static_prepare):
	 * a cache entry it holds a reference to (file), or a descriptor it
	 * opened alone; file_fd is the descriptor either way. */
	struct srv_file *file;
	int file_fd;
	uint8_t file_open; /* a file is held (a static response not yet fully queued) */
	/* A run of file_fd's bytes that goes by sendfile, after the output
	 * queued before it: set by the static responder, sent by the worker
	 * (srv_send_file), which leaves zc_left 0 when it is all sent. */
	uint64_t zc_off, zc_left;
	uint8_t sending; /* out[sending] is being sent; the other collects responses */

	rb_buf in;     /* bytes carried between receives (a partial request, held input) */
	rb_buf out[2]; /* out[sending] is being sent; the other collects responses */
	rb_buf body;   /* /echo: the request body; /stats: its JSON */
} srv_exchange;

/* A connection slot: what every open connection needs, idle or not (its
 * socket, state, operations in flight, timeout), and the exchange in
 * progress, if any.  Kept small: an idle keep-alive connection costs this
 * and nothing else in user space. */
typedef struct srv_conn {
	/* Timeout list links (srv_timer_set). */
	struct srv_conn *t_prev, *t_next;
	uint64_t deadline_ms;
	srv_exchange *x; /* the exchange in progress, NULL when idle */
	/* HTTPS: the TLS session (rb_tls), from accept to release; NULL on a
	 * plain connection, the one thing the plain path tests.  Its
	 * ciphertext is what a send carries (srv_tls_send), the plaintext
	 * it gives goes to srv_http_input. */
	struct rb_tls *tls;

	int fd;
	uint32_t idx; /* slot index in the worker's pool */
	uint32_t gen; /* bumped at release: stale completions do not match */
	uint8_t in_use;

	uint8_t state; /* enum srv_conn_state: the one lifecycle state */
	/* The client shut its write side.  Not a state: it is a fact about
	 * the peer's direction that holds across several states.  Met in
	 * PAUSED or STREAMING, the input already held must still be answered
	 * before the connection drains (it is read on the way back to OPEN);
	 * in DRAINING it means closing without lingering, nobody being left
	 * to read our FIN's answer.  Folding it into the states would double
	 * them (PAUSED_EOF, STREAMING_EOF, DRAINING_EOF). */
	uint8_t peer_eof;

	/* Kernel operations in flight (not the lifecycle: what the kernel
	 * still holds that names this slot). */
	uint8_t recv_armed;  /* a recv (multishot, or single-shot fallback) is live */
	uint8_t cancel_sent; /* its cancellation is in flight */
	/* What the kernel holds of our output: SRV_SEND_BUF, x->out[x->sending]
	 * (a send); SRV_SEND_POLL, a wait for the socket to take more, after
	 * which the worker sends a file run itself (srv_send_file). */
	uint8_t send_inflight;
	uint8_t send_cancel; /* the send's cancellation is in flight */
	uint8_t on_dirty;    /* on the worker's dirty list */
	uint8_t timer_kind;

	uint8_t phase; /* enum srv_phase of the exchange (SRV_PH_IDLE without one) */
	/* A request ended since the timeout was last picked: the idle or
	 * header deadline starts afresh even if the kind did not change
	 * (srv_timer_update). */
	uint8_t req_ended;
	uint8_t idle;       /* counted in stats conns_idle (srv_conn_idle_sync) */
	uint8_t tls_ready;  /* the handshake is done (and counted) */
	uint8_t tls_notify; /* our close_notify is queued (DRAINING) */
	/* HTTPS: a request's head has been complete on this connection.
	 * Until then one --header-timeout deadline, from accept, covers the
	 * handshake and the first head (srv_timer_update). */
	uint8_t tls_head_done;
	uint8_t ktls_tried;    /* the kTLS hand-over was decided (srv_tls_ktls_try) */
	uint8_t ktls_tx;       /* TX is the kernel's: plaintext sends (srv_tls_send) */
	uint8_t ktls_rx_step;  /* enum srv_ktls_rx: where the RX hand-over stands */
	uint8_t ktls_rx_tries; /* receives ended for it that found no record boundary */
	uint8_t ktls_rx;       /* RX is the kernel's: receives carry plaintext */
	uint8_t ktls_rec;      /* the receive in flight is a recvmsg of a non-data record */
	/* kTLS RX: the recvmsg's buffers (srv_tls_ktls_recvmsg), allocated on
	 * the first non-data record, freed with the slot. */
	struct rb_ktls_rec *krec;
	size_t tls_sending; /* HTTPS: ciphertext bytes of the send in flight */
} srv_conn;

/* ---- transitions: the only writers of c->state ------------------------ */

/* Still reading requests (OPEN, PAUSED, STREAMING): input is parsed or held. */
static inline int srv_conn_reading(const srv_conn *c)
{
	return c->state < SRV_CS_DRAINING;
}

/* OPEN -> PAUSED: the client asks faster than it reads. */
static inline void srv_conn_pause(srv_conn *c)
{
	if (c->state == SRV_CS_OPEN)
		c->state = SRV_CS_PAUSED;
}

/* PAUSED -> OPEN: the held input is parsed next. */
static inline void srv_conn_resume(srv_conn *c)
{
	if (c->state == SRV_CS_PAUSED)
		c->state = SRV_CS_OPEN;
}

/* OPEN -> STREAMING: a response's body is read from its file as the sends
 * drain; later requests wait. */
static inline void srv_conn_stream(srv_conn *c)
{
	if (c->state == SRV_CS_OPEN)
		c->state = SRV_CS_STREAMING;
}

/* OPEN, PAUSED -> DRAINING: no further request is read (the last response
 * is queued, the client half-closed, the worker is stopping); input held
 * behind the last response is dropped. */
static inline void srv_conn_drain(srv_conn *c)
{
	if (c->state == SRV_CS_OPEN || c->state == SRV_CS_PAUSED) {
		c->state = SRV_CS_DRAINING;
		if (c->x)
			rb_buf_reset(&c->x->in);
	}
}

/* STREAMING -> OPEN when the connection persists (the held input is parsed
 * next), else -> DRAINING: the stream's end is queued. */
static inline void srv_conn_stream_done(srv_conn *c, int keep_alive)
{
	if (c->state != SRV_CS_STREAMING)
		return;
	c->state = SRV_CS_OPEN;
	if (!keep_alive)
		srv_conn_drain(c);
}

/* DRAINING -> LINGERING: every byte is sent and our FIN with it. */
static inline void srv_conn_linger(srv_conn *c)
{
	if (c->state == SRV_CS_DRAINING)
		c->state = SRV_CS_LINGERING;
}

/* any -> CLOSING: drop everything.  Whoever owns the operations cancels
 * them (srv_conn_abort); from the HTTP side this is how an exchange that
 * cannot go on (no memory, a file that cannot be read, too much held input)
 * ends its connection. */
static inline void srv_conn_fail(srv_conn *c)
{
	c->state = SRV_CS_CLOSING;
}

/* The client shut its write side: OPEN has parsed all it sent, so it
 * drains; a lingering connection has what it waited for; PAUSED and
 * STREAMING answer their held input first (peer_eof is read on the way
 * back to OPEN). */
static inline void srv_conn_peer_eof(srv_conn *c)
{
	c->peer_eof = 1;
	if (c->state == SRV_CS_OPEN)
		srv_conn_drain(c);
	else if (c->state == SRV_CS_LINGERING)
		srv_conn_fail(c);
}

/* ---- output ------------------------------------------------------------ */

/* The buffer new responses are appended to (an exchange is attached). */
static inline rb_buf *srv_conn_pending(srv_conn *c)
{
	return &c->x->out[c->x->sending ^ 1];
}

/* Output bytes queued and not yet sent (none without an exchange). */
static inline size_t srv_conn_queued(const srv_conn *c)
{
	const srv_exchange *x = c->x;
	if (!x)
		return 0;
	const rb_buf *s = &x->out[x->sending];
	return (s->len - s->off) + x->out[x->sending ^ 1].len;
}

/* The buffer the next send takes its bytes from: the rest of out[sending],
 * else (the two swapped) every response queued since; NULL when nothing is
 * queued.  The one rule of what leaves next, for srv_flush and the fuzzer. */
static inline rb_buf *srv_conn_next_send(srv_conn *c)
{
	srv_exchange *x = c->x;
	if (!x)
		return NULL;
	rb_buf *s = &x->out[x->sending];
	if (s->off == s->len) {
		rb_buf_reset(s);
		if (srv_conn_pending(c)->len) {
			x->sending ^= 1;
			s = &x->out[x->sending];
		}
	}
	return s->len > s->off ? s : NULL;
}

/* ---- the idle count ------------------------------------------------------ */

/* Keep st->conns_idle in step with c: a connection is idle when it is OPEN
 * with no exchange attached (between requests, nothing held or queued).
 * Called wherever that can change: the exchange attached (srv_http_input),
 * after each flush, when a connection is aborted or released. */
static inline void srv_conn_idle_sync(srv_conn *c, srv_stats *st)
{
	uint8_t idle = c->in_use && c->state == SRV_CS_OPEN && !c->x;
	if (idle == c->idle)
		return;
	c->idle = idle;
	if (idle)
		SRV_STAT_ADD(st, conns_idle, 1);
	else
		SRV_STAT_SUB(st, conns_idle, 1);
}

/* ---- the slot pool ----------------------------------------------------- */

typedef struct srv_pool {
	srv_conn *slots;
	uint32_t *free; /* stack of free slot indexes */
	uint32_t nfree;
	uint32_t cap;
} srv_pool;

int srv_pool_init(srv_pool *p, uint32_t cap);

/* Close every open socket and free the arrays.  The exchanges still
 * attached are given back first (srv_http_free). */
void srv_pool_free(srv_pool *p);

/* A free slot for fd (OPEN, no exchange), or NULL when every slot is in
 * use. */
srv_conn *srv_pool_get(srv_pool *p, int fd);

/* The live connection a completion names, or NULL if it is stale. */
srv_conn *srv_pool_lookup(srv_pool *p, uint32_t idx, uint32_t gen);

/* Close the socket and put the slot back (its exchange, if it had one, was
 * given back by srv_http_release). */
void srv_pool_put(srv_pool *p, srv_conn *c);

#endif
