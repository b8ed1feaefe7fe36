/* The responders: the built-in benchmark endpoints (docs/server.md lists
 * them) and, by way of srv_static_respond(), static files.  Called by the
 * exchange; calls the response writer and the static-file module. */
#ifndef SRV_ENDPOINTS_H
#define SRV_ENDPOINTS_H

#include "conn.h"
#include "http_ctx.h"

/* Build the pattern /bytes/N copies from; call once before the workers run. */
void srv_endpoints_init(void);

/* Append the response to c->req (its body, for /echo, is in c->body). */
void srv_endpoint_respond(srv_http *h, srv_conn *c);

#endif
