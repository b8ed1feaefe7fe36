/*
 * What the HTTP exchange decides about the request it is answering (data
 * only): the handler that answers it, whether the connection persists after
 * it, and where the parse of it is.  Decided when the header block completes
 * (srv_http_input), so the header bytes need not be kept; read by the
 * routes, the responders and the response writer.
 */
#ifndef SRV_REQUEST_H
#define SRV_REQUEST_H

#include "ringparse.h"

#include <stdint.h>

#define SRV_MAX_HEADERS RP_DEFAULT_MAX_HEADERS

/* Where the exchange is in reading a request. */
enum srv_phase {
	SRV_PH_IDLE = 0, /* between requests: the next byte starts a new one */
	SRV_PH_HEAD,     /* inside a request line / header block */
	SRV_PH_BODY,     /* headers done, reading the body */
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
	SRV_R_STATIC, /* a file under --root: decided by srv_static_prepare() */
};

typedef struct srv_request {
	uint8_t route; /* enum srv_route */
	uint8_t head;  /* HEAD: headers only */
	/* The connection persists after this response: decided once, by
	 * srv_exchange_decide(); only ever cleared after that, by
	 * srv_exchange_close(). */
	uint8_t keep_alive;
	uint8_t http10;     /* HTTP/1.0 request: say Connection: keep-alive */
	uint8_t chunked;    /* body in chunked coding */
	uint8_t keep_body;  /* collect the body (echo) */
	uint16_t status;    /* SRV_R_ERROR */
	const char *detail; /* SRV_R_ERROR: one line for the body */
	const char *extra;  /* SRV_R_ERROR: header lines to add (Allow for 405), or NULL */
	uint64_t body_left; /* Content-Length bytes still to read */
	uint64_t arg;       /* /bytes/N: N */
} srv_request;

#endif
