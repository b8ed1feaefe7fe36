/*
 * Static files under --root: GET and HEAD, validators, conditional and
 * range requests, and the body streamed in bounded chunks.
 *
 * Everything is decided when the header block completes (the header values
 * are at hand only then): srv_static_prepare() normalises the path, opens
 * the file beneath the root, evaluates the preconditions and the Range, and
 * keeps the decision and the file in x->st and x->file (an entry of the
 * worker's open-file cache, srv_file_cache) or x->file_fd (opened for this
 * request alone when the cache is off or no entry could be made).  The response
 * goes out when the request (its body, if any) is done: srv_static_respond()
 * queues the head and as much of the body as fits; a larger body puts the
 * connection in STREAMING, and srv_static_fill() queues the rest as the
 * sends drain (srv_http_continue), never more than SRV_STREAM_CHUNK ahead,
 * so a client that stops reading holds at most about twice that.
 *
 * Called by the exchange only; calls only the response writer.  A failure
 * is reported through the connection's state (srv_conn_fail), never by
 * calling back.
 */
#ifndef SRV_STATIC_FILE_H
#define SRV_STATIC_FILE_H

#include "conn.h"
#include "file_cache.h"
#include "http_ctx.h"
#include "http_range.h"

/* Body bytes queued ahead of the socket per connection (the pending output
 * buffer is filled up to this while the other one is being sent). */
#define SRV_STREAM_CHUNK (256u * 1024u)
#define SRV_BOUNDARY_LEN 24 /* "rbserver" and 16 hex digits */

typedef struct srv_static {
	uint16_t status;   /* 200, 206, 301, 304, 412 or 416 */
	uint8_t multipart; /* 206 with more than one range */
	uint8_t closed;    /* multipart: the closing delimiter is queued */
	uint8_t zc;        /* the body goes by sendfile (x->zc_*), not through the buffers */
	uint8_t etag_len;
	const char *ctype; /* the file's media type */
	uint64_t size;     /* the file's */
	uint64_t clen;     /* the response body's */
	time_t lm;         /* Last-Modified, clamped to the Date */

	/* The stream: the current run of file bytes and the next part. */
	uint64_t off, left;
	uint32_t part, nranges;
	srv_range ranges[SRV_RANGE_SPECS_MAX];

	char etag[SRV_ETAG_MAX];
	char boundary[SRV_BOUNDARY_LEN + 1];
	char mp_ctype[64]; /* "multipart/byteranges; boundary=..." */
	rb_buf extra;      /* header lines of the response, NUL-terminated */
} srv_static;

/* The header block of c's request (buf: its first byte) is complete and
 * routed to no built-in endpoint: decide the response (x->req.route becomes
 * SRV_R_STATIC, or SRV_R_ERROR with the status to send).  Out of memory
 * fails the connection. */
void srv_static_prepare(srv_http *h, srv_conn *c, const char *buf);

/* Queue the decided response's head and the start of its body; a body that
 * does not fit in one go moves the connection OPEN -> STREAMING. */
void srv_static_respond(srv_http *h, srv_conn *c);

/* Queue more of the body, up to SRV_STREAM_CHUNK in the pending output.
 * Returns 1 when this call queued the end of the body (the file is closed);
 * the caller moves the connection on (srv_conn_stream_done).  A file that
 * shrank or cannot be read fails the connection (returns 0): the promised
 * Content-Length cannot be kept. */
int srv_static_fill(srv_http *h, srv_conn *c);

/* The request is answered otherwise (refused, timed out) or the connection
 * is released: close a file still open for it, or give back its cache
 * entry.  srv_static_close does it for an exchange going back to its pool. */
void srv_static_drop(srv_conn *c);
void srv_static_close(srv_exchange *x);

/* Multipart pieces: part i's delimiter and headers, and
 * the closing delimiter, written at out (SRV_PART_HEAD_MAX bytes); return
 * their length.  Also used to compute Content-Length up front. */
#define SRV_PART_HEAD_MAX 256
size_t srv_static_part_head(const srv_static *st, uint32_t i, char *out);
size_t srv_static_part_end(const srv_static *st, char *out);

void srv_static_free(srv_static *st);

#endif
