/*
 * HTTP/1.1 on one connection: received bytes in, responses out.
 *
 * Bytes are parsed where they arrived (the provided buffer) whenever nothing
 * is carried over; only the unfinished tail of a batch (a partial header
 * block or chunk-size line) is copied into c->in, and parsing resumes there
 * when more bytes come (ringparse keeps its place; spans are relative to the
 * message start, so moving the bytes is fine).  Every complete request in a
 * batch is answered, in order, into the connection's pending output; the
 * worker sends all of it in one send after the batch.
 */
#ifndef SRV_HTTP_CONN_H
#define SRV_HTTP_CONN_H

#include "worker.h"

#include <stddef.h>

/* Output queued beyond this pauses reading: the client is asking faster than
 * it reads, and the server must not buffer without bound. */
#define SRV_OUT_HIGH (1u << 20)

/* Bytes received on c.  data is only valid during the call. */
void srv_http_input(srv_worker *w, srv_conn *c, const char *data, size_t len);

/* Continue with the bytes carried in c->in (after a pause ends). */
void srv_http_resume(srv_worker *w, srv_conn *c);

#endif
