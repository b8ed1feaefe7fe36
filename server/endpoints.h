/* The responders: the built-in benchmark endpoints (docs/server.md lists
 * them) and, by way of srv_static_respond(), static files.  Called by the
 * exchange; calls the response writer and the static-file module. */
#ifndef SRV_ENDPOINTS_H
#define SRV_ENDPOINTS_H

#include "conn.h"
#include "http_ctx.h"

/* Build the pattern /bytes/N copies from; call once before the workers run. */
void srv_endpoints_init(void);

/* Append the response to c->x->req (its body, for /echo, is in
 * c->x->body).  A body too large to queue at once (/bytes/N, a static
 * file) moves the connection OPEN -> STREAMING. */
void srv_endpoint_respond(srv_http *h, srv_conn *c);

/* STREAMING: queue more of the body being streamed, up to SRV_STREAM_CHUNK
 * in the pending output.  Returns 1 when its end is queued (the caller
 * moves the connection on: srv_conn_stream_done); a failure fails the
 * connection (returns 0). */
int srv_endpoint_fill(srv_http *h, srv_conn *c);

#endif
