#include "rb_buf.h"

#include <stdlib.h>

/* The failure switch (rb_buf_fail_every): this thread's period and count. */
static __thread unsigned rb_buf_fail_n, rb_buf_fail_count;

void rb_buf_fail_every(unsigned n)
{
	rb_buf_fail_n = n;
	rb_buf_fail_count = 0;
}

/* Does this allocation fail on purpose?  One predictable branch when the
 * switch is off, and only on the paths that allocate. */
static int rb_buf_fail_now(void)
{
	if (__builtin_expect(rb_buf_fail_n == 0, 1))
		return 0;
	return ++rb_buf_fail_count % rb_buf_fail_n == 0;
}

int rb_buf_grow(rb_buf *b, size_t extra)
{
	size_t need = b->len + extra;
	if (need < b->len) /* wrapped: no buffer holds that */
		return -1;
	size_t cap = b->cap ? b->cap : 512;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if (rb_buf_fail_now())
		return -1;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

void rb_buf_consume(rb_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else if (n) {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	b->off = 0;
}

void rb_buf_trim(rb_buf *b, size_t keep)
{
	rb_buf_reset(b);
	if (b->cap > keep)
		rb_buf_free(b);
}

void rb_buf_free(rb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->off = b->cap = 0;
}

void *rb_buf_alloc(size_t n)
{
	if (rb_buf_fail_now())
		return NULL;
	return calloc(1, n);
}
