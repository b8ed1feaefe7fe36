/*
 * A provided buffer ring (IORING_REGISTER_PBUF_RING), registered by hand:
 * liburing 2.3 has io_uring_register_buf_ring() but not the setup helper that
 * 2.4 added.  The ring of descriptors is mmap'd (page aligned, as the kernel
 * requires) and the buffers are one contiguous allocation, buffer i at
 * base + i * size.
 *
 * Multishot receives take a buffer per completion; the owner gives each one
 * back with rb_bufring_put() as soon as it is done with the bytes, and
 * publishes the returned batch with rb_bufring_commit().
 */
#ifndef RB_BUFRING_H
#define RB_BUFRING_H

#include "uring_compat.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rb_bufring {
	struct io_uring_buf_ring *br; /* shared with the kernel */
	char *base;                   /* entries * size bytes */
	size_t ring_bytes;            /* mmap length of br */
	uint32_t entries;             /* a power of two */
	uint32_t size;                /* bytes per buffer */
	int mask;                     /* io_uring_buf_ring_mask(entries) */
	uint16_t bgid;                /* buffer group id for IOSQE_BUFFER_SELECT */
	uint16_t pending;             /* added but not yet published */
} rb_bufring;

/* Allocate, register as group bgid and fill with every buffer.  entries must
 * be a power of two <= 32768.  Returns 0 or -errno (the kernel says -EINVAL
 * when it has no buffer rings). */
int rb_bufring_init(rb_bufring *b, struct io_uring *ring, uint16_t bgid, uint32_t entries,
		    uint32_t size);

/* Unregister (unless ring is NULL: after io_uring_queue_exit there is nothing
 * to unregister) and free; safe on a zeroed or failed rb_bufring, and on
 * buffers without a ring (br NULL: rb_loop's legacy provided buffers). */
void rb_bufring_free(rb_bufring *b, struct io_uring *ring);

/* The bytes of buffer bid. */
static inline char *rb_bufring_ptr(const rb_bufring *b, uint16_t bid)
{
	return b->base + (size_t)bid * b->size;
}

/* The buffer id a completion used (valid when cqe->flags has F_BUFFER). */
static inline uint16_t rb_bufring_bid(const struct io_uring_cqe *cqe)
{
	return (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
}

/* Give buffer bid back (visible to the kernel after rb_bufring_commit). */
static inline void rb_bufring_put(rb_bufring *b, uint16_t bid)
{
	io_uring_buf_ring_add(b->br, rb_bufring_ptr(b, bid), b->size, bid, b->mask, b->pending);
	b->pending++;
}

/* Publish every buffer put since the last commit (one release store). */
static inline void rb_bufring_commit(rb_bufring *b)
{
	if (b->pending) {
		io_uring_buf_ring_advance(b->br, b->pending);
		b->pending = 0;
	}
}

#endif
