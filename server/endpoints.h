/* The built-in benchmark endpoints (docs/server.md lists them). */
#ifndef SRV_ENDPOINTS_H
#define SRV_ENDPOINTS_H

#include "worker.h"

/* Build the pattern /bytes/N copies from; call once before the workers run. */
void srv_endpoints_init(void);

/* Append the response to c->req (its body, for /echo, is in c->body). */
void srv_endpoint_respond(srv_worker *w, srv_conn *c);

#endif
