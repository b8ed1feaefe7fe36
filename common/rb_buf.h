/*
 * rb_buf: a growable byte buffer, the one both programs use (rbserver's
 * per-connection input carry, output and bodies; rbload's carry of a
 * response head split across receives).
 *
 * A buffer is kept across uses (reset, not freed), so the steady state
 * allocates nothing; growth is geometric.  An append that fits is inline: a
 * compare and a memcpy.  Only growth leaves the caller, to rb_buf_grow().
 *
 * Running out of memory is a result (-1, or NULL), never an abort: the owner
 * closes what needed the memory and goes on.  To reach those paths in tests,
 * rb_buf_fail_every(n) makes every nth allocation this module makes on the
 * calling thread fail (rbserver sets it from RBSERVER_OOM_EVERY).  Only the
 * growth path and rb_buf_alloc() read it: an append that fits pays nothing.
 */
#ifndef RB_BUF_H
#define RB_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct rb_buf {
	char *data;
	size_t len; /* bytes held */
	size_t off; /* bytes already consumed (sent) from the front */
	size_t cap;
} rb_buf;

/* Make room for `extra` more bytes beyond len.  Returns 0, or -1 when out of
 * memory (the buffer is unchanged). */
int rb_buf_grow(rb_buf *b, size_t extra);

static inline int rb_buf_reserve(rb_buf *b, size_t extra)
{
	return __builtin_expect(b->len + extra <= b->cap, 1) ? 0 : rb_buf_grow(b, extra);
}

/* Append n bytes at p.  Returns 0, or -1 when out of memory (nothing
 * appended). */
static inline int rb_buf_append(rb_buf *b, const void *p, size_t n)
{
	if (rb_buf_reserve(b, n))
		return -1;
	if (n) /* p may be NULL when n is 0 */
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Empty b, keeping its memory. */
static inline void rb_buf_reset(rb_buf *b)
{
	b->len = 0;
	b->off = 0;
}

/* Drop the first n bytes, moving the rest to the front (off back to 0). */
void rb_buf_consume(rb_buf *b, size_t n);

/* Empty b and give its memory back if it grew beyond keep bytes, so one
 * large use does not pin memory for the rest of the owner's life. */
void rb_buf_trim(rb_buf *b, size_t keep);

void rb_buf_free(rb_buf *b);

/* n zeroed bytes for other memory an owner keeps beside its buffers (a
 * header array, a per-connection state block), under the same failure
 * switch.  NULL when out of memory; release with free(). */
void *rb_buf_alloc(size_t n);

/* Tests: every nth allocation by rb_buf_grow or rb_buf_alloc on the calling
 * thread fails as if memory were exhausted; 0 (the default) turns it off.
 * Per thread, so each worker's sequence is its own and repeatable. */
void rb_buf_fail_every(unsigned n);

#endif
