#include "buf.h"

#include <stdlib.h>

int srv_buf_grow(srv_buf *b, size_t extra)
{
	size_t need = b->len + extra;
	size_t cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

void srv_buf_consume(srv_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else if (n) {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	b->off = 0;
}

void srv_buf_trim(srv_buf *b, size_t keep)
{
	srv_buf_reset(b);
	if (b->cap > keep)
		srv_buf_free(b);
}

void srv_buf_free(srv_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->off = b->cap = 0;
}
