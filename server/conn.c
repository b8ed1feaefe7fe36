#include "conn.h"
#include "static_file.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Buffers up to this size stay with a slot after its connection closes. */
#define SRV_KEEP_BUF (16u * 1024u)

int srv_pool_init(srv_pool *p, uint32_t cap)
{
	memset(p, 0, sizeof(*p));
	/* calloc'd pages are only touched (and so only cost memory) once the
	 * slots are used: --max-conns is a limit, not a preallocation. */
	p->slots = calloc(cap, sizeof(*p->slots));
	p->free = malloc(cap * sizeof(*p->free));
	if (!p->slots || !p->free) {
		srv_pool_free(p);
		return -1;
	}
	p->cap = cap;
	/* Lowest index on top: a lightly loaded worker touches few pages. */
	for (uint32_t i = 0; i < cap; i++)
		p->free[i] = cap - 1 - i;
	p->nfree = cap;
	return 0;
}

static void srv_conn_free_bufs(srv_conn *c)
{
	srv_buf_free(&c->in);
	srv_buf_free(&c->out[0]);
	srv_buf_free(&c->out[1]);
	srv_buf_free(&c->body);
	free(c->hdrs);
	c->hdrs = NULL;
	srv_static_free(c->st);
	c->st = NULL;
}

void srv_pool_free(srv_pool *p)
{
	if (p->slots) {
		for (uint32_t i = 0; i < p->cap; i++) {
			srv_conn *c = &p->slots[i];
			if (c->in_use && c->fd >= 0)
				close(c->fd);
			if (c->file_open)
				close(c->file_fd);
			srv_conn_free_bufs(c);
		}
	}
	free(p->slots);
	free(p->free);
	memset(p, 0, sizeof(*p));
}

srv_conn *srv_pool_get(srv_pool *p, int fd)
{
	if (!p->nfree)
		return NULL;
	uint32_t idx = p->free[--p->nfree];
	srv_conn *c = &p->slots[idx];
	/* Reset the state, keep the buffers, the generation and on_dirty: a
	 * slot released and reused within one batch may still be on the
	 * worker's dirty list, and must not be added to it a second time (the
	 * list has room for each slot once). */
	srv_buf in = c->in, o0 = c->out[0], o1 = c->out[1], body = c->body;
	rp_header *hdrs = c->hdrs;
	struct srv_static *st = c->st;
	uint32_t gen = c->gen;
	uint8_t on_dirty = c->on_dirty;
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->out[0] = o0;
	c->out[1] = o1;
	c->body = body;
	c->hdrs = hdrs;
	c->st = st;
	c->gen = gen;
	c->on_dirty = on_dirty;
	c->idx = idx;
	c->fd = fd;
	c->in_use = 1;
	return c;
}

srv_conn *srv_pool_lookup(srv_pool *p, uint32_t idx, uint32_t gen)
{
	if (idx >= p->cap)
		return NULL;
	srv_conn *c = &p->slots[idx];
	return c->in_use && c->gen == gen ? c : NULL;
}

void srv_pool_put(srv_pool *p, srv_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->file_open)
		close(c->file_fd);
	c->file_open = 0;
	c->streaming = 0;
	c->in_use = 0;
	c->gen++;
	srv_buf_trim(&c->in, SRV_KEEP_BUF);
	srv_buf_trim(&c->out[0], SRV_KEEP_BUF);
	srv_buf_trim(&c->out[1], SRV_KEEP_BUF);
	srv_buf_trim(&c->body, SRV_KEEP_BUF);
	p->free[p->nfree++] = c->idx;
}
