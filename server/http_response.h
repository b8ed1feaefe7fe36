/*
 * The response writer: status line and header block (and whole small
 * responses) appended to a connection's pending output.  Every response
 * carries Server, Date (the worker's cached string), Content-Length and,
 * when the exchange decided the connection will not persist
 * (srv_request.keep_alive), Connection: close.  It counts each response;
 * it reads the keep-alive decision and never changes it or the
 * connection's state, except to fail the connection when out of memory
 * (srv_resp_oom).
 */
#ifndef SRV_HTTP_RESPONSE_H
#define SRV_HTTP_RESPONSE_H

#include "conn.h"
#include "stats.h"

#include "rb_httpdate.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A 200 response with a fixed body, kept whole (head and body) and rewritten
 * only when the Date changes: the benchmark endpoints answer the same bytes
 * every time, and writing the head field by field was a third of rbserver's
 * user time pipelined.  Written by srv_resp_fixed(); one per endpoint per
 * worker (srv_writer). */
typedef struct srv_fixed_resp {
	time_t date_sec; /* the Date second the bytes were written for */
	uint32_t head_len, len;
	char bytes[256];
} srv_fixed_resp;

/* The writer's own state, one per worker (in its srv_http): the counters
 * every response adds to, the Date it writes, the fixed responses. */
typedef struct srv_writer {
	int worker_id;    /* for log lines */
	srv_stats *stats; /* the worker's counters */
	rb_httpdate date; /* refreshed by the worker once per batch */
	srv_fixed_resp plaintext, json;
} srv_writer;

const char *srv_reason(int status);

/* Status line and headers for a body of clen bytes (the body itself is the
 * caller's to append, unless the request was HEAD); SRV_NO_LENGTH: no
 * Content-Length (a 304).  extra: more header lines, each ending in CRLF,
 * or NULL. */
#define SRV_NO_LENGTH UINT64_MAX
void srv_resp_head(srv_writer *wr, srv_conn *c, int status, const char *ctype, uint64_t clen,
		   const char *extra);

/* For caches of whole responses (the file cache): the head srv_resp_head()
 * writes for a persisting HTTP/1.1 request, written at p, which has
 * srv_resp_head_room() bytes; returns its end.  Counts nothing.  Its length
 * depends on nothing that changes from one second to the next (the Date
 * has a fixed width), so a kept head is rewritten in place. */
size_t srv_resp_head_room(int status, const char *ctype, const char *extra);
char *srv_resp_head_at(const srv_writer *wr, char *p, int status, const char *ctype, uint64_t clen,
		       const char *extra);

/* Append a kept response (n bytes at p, from srv_resp_head_at() and its
 * body) and count it. */
void srv_resp_kept(srv_writer *wr, srv_conn *c, int status, const char *p, size_t n);

/* Answer with f's bytes, written from ctype and body again when the Date has
 * changed; or, when the response needs other headers (HTTP/1.0, Connection:
 * close), write it as srv_resp_simple() does. */
void srv_resp_fixed(srv_writer *wr, srv_conn *c, srv_fixed_resp *f, const char *ctype,
		    const char *body, size_t len);

/* A whole response: head and, unless HEAD, body. */
void srv_resp_simple(srv_writer *wr, srv_conn *c, int status, const char *ctype, const void *body,
		     size_t len, const char *extra);

/* An error response whose body is "<status> <reason>: <detail>\n".  Whether
 * the connection persists after it is the exchange's decision, made before
 * (srv_exchange_close).  extra: as above. */
void srv_resp_error(srv_writer *wr, srv_conn *c, int status, const char *detail, const char *extra);

/* "HTTP/1.1 100 Continue" for Expect: 100-continue (interim: no count). */
void srv_resp_continue(srv_writer *wr, srv_conn *c);

/* Out of memory building what c needs (what: one word for the log): log
 * it, count it, and fail the connection (srv_conn_fail): its output is
 * dropped, it reads nothing more, and it is closed after this batch.  Every
 * allocation failure on a connection ends here. */
void srv_resp_oom(srv_writer *wr, srv_conn *c, const char *what);

#endif
