/* Request target -> built-in handler.  A path no built-in endpoint claims
 * is a static file when --root is given (srv_static_prepare). */
#ifndef SRV_ROUTES_H
#define SRV_ROUTES_H

#include "request.h"

#include "ringparse.h"

#include <stddef.h>

/* Largest N for /bytes/N; larger gets 400. */
#define SRV_BYTES_MAX (8u * 1024u * 1024u)

/* Set r->route (and r->arg, or r->status and r->detail for SRV_R_ERROR) from
 * the parsed request's target (buf: the message's first byte), split by
 * ringparse (rp_target_split), and check the method: a route answers only
 * the methods it implements (405 otherwise).  Authority-form (CONNECT): 501;
 * asterisk-form (OPTIONS *): 404. */
void srv_route(srv_request *r, const rp_message *m, const char *buf);

#endif
