/*
 * Connection state and the per-worker pool of connection slots.
 *
 * Lifecycle: a slot is taken at accept, lives while the socket is open, and
 * is released exactly once, by srv_release_if_done() (worker.c), when the
 * connection is closing AND no operation naming it is still in flight (the
 * recv and at most one send; aborting cancels both).  Completions carry (slot, generation)
 * in their user_data; a completion whose generation no longer matches the
 * slot is stale and ignored, so nothing ever touches a freed connection.
 */
#ifndef SRV_CONN_H
#define SRV_CONN_H

#include "buf.h"
#include "ringparse.h"

#include <stdint.h>

#define SRV_MAX_HEADERS RP_DEFAULT_MAX_HEADERS
/* Output buffers grown beyond this are given back when the connection goes
 * idle, so idle keep-alive connections do not hold megabytes. */
#define SRV_IDLE_KEEP_BUF (64u * 1024u)

/* Where the connection is in reading a request. */
enum srv_phase {
	SRV_PH_IDLE = 0, /* between requests: the next byte starts a new one */
	SRV_PH_HEAD,     /* inside a request line / header block */
	SRV_PH_BODY,     /* headers done, reading the body */
};

/* Which timeout list the connection is on (timeouts.c). */
enum srv_timer_kind {
	SRV_T_NONE = 0,
	SRV_T_IDLE,   /* keep-alive, nothing pending: --idle-timeout */
	SRV_T_HEAD,   /* header block incomplete: --header-timeout, never extended */
	SRV_T_BODY,   /* body incomplete: --body-timeout, extended on progress */
	SRV_T_WRITE,  /* waiting for the client to take our output: --idle-timeout */
	SRV_T_LINGER, /* after our last response, draining the client: fixed 2 s */
	SRV_T__COUNT
};

/* Which built-in handler answers the current request. */
enum srv_route {
	SRV_R_NOT_FOUND = 0,
	SRV_R_PLAINTEXT,
	SRV_R_JSON,
	SRV_R_BYTES,
	SRV_R_ECHO,
	SRV_R_STATS,
	SRV_R_ERROR,  /* status set in srv_request.status */
	SRV_R_STATIC, /* a file under --root: decided in c->st (static_file.h) */
};

/* What was decided when the header block completed: everything the response
 * needs, so the header bytes themselves need not be kept. */
typedef struct srv_request {
	uint8_t route;      /* enum srv_route */
	uint8_t head;       /* HEAD: headers only */
	uint8_t keep_alive; /* the connection persists after this response */
	uint8_t http10;     /* HTTP/1.0 request: say Connection: keep-alive */
	uint8_t chunked;    /* body in chunked coding */
	uint8_t keep_body;  /* collect the body (echo) */
	uint16_t status;    /* SRV_R_ERROR */
	const char *detail; /* SRV_R_ERROR: one line for the body */
	const char *extra;  /* SRV_R_ERROR: header lines to add (Allow for 405), or NULL */
	uint64_t body_left; /* Content-Length bytes still to read */
	uint64_t arg;       /* /bytes/N: N */
} srv_request;

typedef struct srv_conn {
	int fd;
	uint32_t idx; /* slot index in the worker's pool */
	uint32_t gen; /* bumped at release: stale completions do not match */
	uint8_t phase;
	uint8_t timer_kind;

	/* Operations in flight and the closing state machine. */
	uint8_t in_use;
	uint8_t recv_armed;    /* a recv (multishot, or single-shot fallback) is live */
	uint8_t cancel_sent;   /* its cancellation is in flight */
	uint8_t send_inflight; /* out[sending] is with the kernel */
	uint8_t send_cancel;   /* the send's cancellation is in flight */
	uint8_t closing;       /* no new work; release once nothing is in flight */
	uint8_t input_done;    /* ignore further input (error sent, or closing after output) */
	uint8_t close_after;   /* close once every byte of output is sent */
	uint8_t lingering;     /* output done, write side shut, draining the client */
	uint8_t peer_eof;      /* the client half-closed: no more input */
	uint8_t paused;        /* too much output queued: recv cancelled, input kept */
	uint8_t on_dirty;      /* on the worker's dirty list */
	uint8_t oom;           /* an allocation failed: close */
	uint8_t file_open;     /* file_fd is open (a static response not yet fully queued) */
	uint8_t streaming;     /* the file's body is being queued as sends drain */
	uint8_t stream_resume; /* the stream ended: parse the requests held behind it */
	int file_fd;

	/* Timeout list links (timeouts.c). */
	struct srv_conn *t_prev, *t_next;
	uint64_t deadline_ms;

	/* Request parsing.  With --root, header lines are stored in the
	 * worker's shared array while a header block is parsed in one go; one
	 * that spans receives moves them to hdrs (allocated on first need,
	 * kept with the slot). */
	rp_message m;
	rp_header *hdrs; /* SRV_MAX_HEADERS entries, or NULL */
	rp_chunked chunked;
	srv_request req;
	struct srv_static *st; /* static-file state, allocated on first use, kept */

	srv_buf in;     /* bytes carried between receives (a partial request) */
	srv_buf out[2]; /* out[sending] is being sent; the other collects responses */
	uint8_t sending;
	srv_buf body; /* /echo: the request body */
} srv_conn;

/* The buffer new responses are appended to. */
static inline srv_buf *srv_conn_pending(srv_conn *c)
{
	return &c->out[c->sending ^ 1];
}

/* Output bytes queued and not yet sent. */
static inline size_t srv_conn_queued(const srv_conn *c)
{
	const srv_buf *s = &c->out[c->sending];
	return (s->len - s->off) + c->out[c->sending ^ 1].len;
}

typedef struct srv_pool {
	srv_conn *slots;
	uint32_t *free; /* stack of free slot indexes */
	uint32_t nfree;
	uint32_t cap;
} srv_pool;

int srv_pool_init(srv_pool *p, uint32_t cap);
void srv_pool_free(srv_pool *p);

/* A free slot for fd, or NULL when every slot is in use. */
srv_conn *srv_pool_get(srv_pool *p, int fd);

/* The live connection a completion names, or NULL if it is stale. */
srv_conn *srv_pool_lookup(srv_pool *p, uint32_t idx, uint32_t gen);

/* Close the socket, keep the slot's buffers (trimmed) for the next
 * connection, and put the slot back. */
void srv_pool_put(srv_pool *p, srv_conn *c);

#endif
