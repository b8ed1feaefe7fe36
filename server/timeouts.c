#include "timeouts.h"

#include <stddef.h>

static void srv_timer_unlink(srv_timers *t, srv_conn *c)
{
	int k = c->timer_kind;
	if (c->t_prev)
		c->t_prev->t_next = c->t_next;
	else
		t->head[k] = c->t_next;
	if (c->t_next)
		c->t_next->t_prev = c->t_prev;
	else
		t->tail[k] = c->t_prev;
	c->t_prev = c->t_next = NULL;
}

void srv_timer_clear(srv_timers *t, srv_conn *c)
{
	if (c->timer_kind != SRV_T_NONE)
		srv_timer_unlink(t, c);
	c->timer_kind = SRV_T_NONE;
}

void srv_timer_set(srv_timers *t, srv_conn *c, int kind, uint64_t now_ms, int extend)
{
	if (c->timer_kind == kind && !extend)
		return;
	srv_timer_clear(t, c);
	c->timer_kind = (uint8_t)kind;
	c->deadline_ms = now_ms + t->duration_ms[kind];
	c->t_prev = t->tail[kind];
	c->t_next = NULL;
	if (t->tail[kind])
		t->tail[kind]->t_next = c;
	else
		t->head[kind] = c;
	t->tail[kind] = c;
}

srv_conn *srv_timer_expired(srv_timers *t, uint64_t now_ms, int *kind)
{
	for (int k = SRV_T_NONE + 1; k < SRV_T__COUNT; k++) {
		srv_conn *c = t->head[k];
		if (c && c->deadline_ms <= now_ms) {
			srv_timer_unlink(t, c);
			c->timer_kind = SRV_T_NONE;
			*kind = k;
			return c;
		}
	}
	return NULL;
}
