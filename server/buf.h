/*
 * A growable byte buffer owned by one connection.  Buffers are kept across
 * requests (and across connections reusing the same slot), so the steady
 * state allocates nothing per request; growth is geometric.
 */
#ifndef SRV_BUF_H
#define SRV_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct srv_buf {
	char *data;
	size_t len; /* bytes held */
	size_t off; /* bytes already consumed (sent) from the front */
	size_t cap;
} srv_buf;

/* Make room for `extra` more bytes.  Returns 0, or -1 when out of memory. */
int srv_buf_grow(srv_buf *b, size_t extra);

static inline int srv_buf_reserve(srv_buf *b, size_t extra)
{
	return b->len + extra <= b->cap ? 0 : srv_buf_grow(b, extra);
}

static inline int srv_buf_append(srv_buf *b, const void *p, size_t n)
{
	if (srv_buf_reserve(b, n))
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static inline void srv_buf_reset(srv_buf *b)
{
	b->len = 0;
	b->off = 0;
}

/* Drop the first n bytes, moving the rest to the front. */
void srv_buf_consume(srv_buf *b, size_t n);

/* Empty b and give its memory back if it grew beyond keep bytes, so one large
 * request does not pin memory for the rest of a slot's life. */
void srv_buf_trim(srv_buf *b, size_t keep);

void srv_buf_free(srv_buf *b);

#endif
