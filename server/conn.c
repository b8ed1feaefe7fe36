#include "conn.h"

#include "rb_tls.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void srv_pool_free(srv_pool *p)
{
	if (p->slots) {
		for (uint32_t i = 0; i < p->cap; i++) {
			srv_conn *c = &p->slots[i];
			if (c->in_use && c->fd >= 0)
				close(c->fd);
			rb_tls_free(c->tls);
			c->tls = NULL;
			free(c->krec);
			c->krec = NULL;
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
	/* Reset the state, keep the generation and on_dirty: a slot released
	 * and reused within one batch may still be on the worker's dirty
	 * list, and must not be added to it a second time (the list has room
	 * for each slot once).  A released slot holds no exchange. */
	uint32_t gen = c->gen;
	uint8_t on_dirty = c->on_dirty;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->on_dirty = on_dirty;
	c->idx = idx;
	c->fd = fd;
	c->in_use = 1; /* state OPEN */
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
	rb_tls_free(c->tls);
	c->tls = NULL;
	free(c->krec); /* kTLS RX: no recvmsg is in flight (the slot is idle) */
	c->krec = NULL;
	c->in_use = 0;
	c->gen++;
	p->free[p->nfree++] = c->idx;
}
