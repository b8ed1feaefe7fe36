/*
 * What a worker lends the HTTP layer (the exchange, the responders and the
 * response writer): the limits, the header store, --root, the cached Date
 * and fixed responses, the counters, whether the worker is stopping.  Data
 * only; set up by srv_http_init().  The HTTP layer sees no ring, socket,
 * timer or slot pool: it works on a connection's buffers and state
 * (srv_conn) and this, so it runs the same with no worker at all (the
 * fuzz_server_conn target drives it so).
 */
#ifndef SRV_HTTP_CTX_H
#define SRV_HTTP_CTX_H

#include "config.h"
#include "file_cache.h"
#include "http_response.h"
#include "request.h"
#include "static_open.h"
#include "stats.h"

#include "rb_httpdate.h"
#include "ringparse.h"

#include <stddef.h>
#include <stdint.h>

/* Held input (x->in) beyond this closes the connection, counted as
 * input_overflows.  Outside a pause the parser's own limits bound it (header
 * block, chunk-size line, trailers); while paused or streaming it holds what
 * arrived before the recv was cancelled.  RBSERVER_IN_CAP=N sets it (tests). */
#define SRV_IN_CAP (4u << 20)

/* The worker's exchanges not attached to a connection (srv_exchange): a
 * free list holding at most as many as are attached (and at least
 * SRV_XPOOL_KEEP), so steady traffic allocates none and a burst's surplus
 * is freed once it is over (srv_exchange_put).  srv_http_fini frees them. */
#define SRV_XPOOL_KEEP 64
typedef struct srv_xpool {
	srv_exchange *free;
	uint32_t nfree;
	uint32_t nlive; /* allocated: on the free list or attached */
} srv_xpool;

typedef struct srv_http {
	int worker_id; /* for log lines */
	/* The worker is shutting down: every exchange decided from now on
	 * closes (srv_exchange_decide).  Set by the worker. */
	int stopping;
	const srv_config *cfg;
	rp_limits limits;
	size_t in_cap; /* SRV_IN_CAP unless RBSERVER_IN_CAP */

	/* Header lines of the request being parsed: with --root (header
	 * values are read) this is hdr_store, shared by the worker's
	 * connections; without it NULL, and ringparse stores nothing. */
	rp_header *hdr_array;
	rp_header hdr_store[SRV_MAX_HEADERS];

	/* Static files (--root). */
	srv_root root; /* root.fd -1 without --root */
	char *path;    /* a normalised path, path_cap bytes */
	char *key;     /* its open-file cache key (srv_static_find), path_cap bytes */
	size_t path_cap;
	srv_file_cache files;
	int zerocopy; /* large bodies by sendfile (off under RB_FAULTS=no-zerocopy) */
	/* HTTPS: zerocopy is off (user space seals every byte), but a
	 * connection whose TX is the kernel's (c->ktls_tx) may sendfile: the
	 * kernel seals what sendfile moves.  Off under no-zerocopy too. */
	int zerocopy_ktls;
	uint64_t boundary_state; /* multipart boundaries */

	/* The response writer's: the counters (wr.stats), the Date, the
	 * fixed responses of /plaintext and /json. */
	srv_writer wr;
	const srv_stats_ref *workers; /* every worker's, for /stats */
	/* /stats "tls": "off" (NULL), or the path HTTPS takes ("user space,
	 * no kTLS: <why>"); set by the worker, JSON-safe. */
	const char *tls_mode;
	int nworkers;

	srv_xpool xpool; /* exchanges between requests */
} srv_http;

#endif
