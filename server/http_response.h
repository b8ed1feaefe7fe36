/*
 * Building responses into a connection's pending output buffer.  Every
 * response carries Server, Date (the worker's cached string), Content-Length
 * and, when the connection will not persist, Connection: close.
 */
#ifndef SRV_HTTP_RESPONSE_H
#define SRV_HTTP_RESPONSE_H

#include "worker.h"

#include <stddef.h>
#include <stdint.h>

const char *srv_reason(int status);

/* Status line and headers for a body of clen bytes (the body itself is the
 * caller's to append, unless the request was HEAD).  extra: more header
 * lines, each ending in CRLF, or NULL. */
void srv_resp_head(srv_worker *w, srv_conn *c, int status, const char *ctype, uint64_t clen,
		   const char *extra);

/* Answer with f's bytes (srv_fixed_resp, in worker.h), written from ctype
 * and body again when the Date has changed; or, when the response needs
 * other headers (HTTP/1.0, Connection: close, shutting down), write it as
 * srv_resp_simple() does. */
void srv_resp_fixed(srv_worker *w, srv_conn *c, srv_fixed_resp *f, const char *ctype,
		    const char *body, size_t len);

/* A whole response: head and, unless HEAD, body. */
void srv_resp_simple(srv_worker *w, srv_conn *c, int status, const char *ctype, const void *body,
		     size_t len, const char *extra);

/* An error response whose body is "<status> <reason>: <detail>\n".  With
 * close set (framing unknown or not to be trusted) the connection is closed
 * after the response and no further input is read.  extra: as above. */
void srv_resp_error(srv_worker *w, srv_conn *c, int status, const char *detail, int close,
		    const char *extra);

/* "HTTP/1.1 100 Continue" for Expect: 100-continue. */
void srv_resp_continue(srv_worker *w, srv_conn *c);

#endif
