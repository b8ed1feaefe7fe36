/*
 * Connection timeouts: one FIFO list per kind of timeout.  Every connection
 * on a list got the same duration, so appending at the tail keeps each list
 * sorted by deadline: insert, remove and "extend" (move to the tail) are
 * O(1), and the once-a-second tick only looks at list heads.
 */
#ifndef SRV_TIMEOUTS_H
#define SRV_TIMEOUTS_H

#include "conn.h"

#include <stdint.h>

typedef struct srv_timers {
	srv_conn *head[SRV_T__COUNT], *tail[SRV_T__COUNT];
	uint64_t duration_ms[SRV_T__COUNT];
} srv_timers;

/* Put c on list kind with deadline now + that kind's duration.  If c is on
 * that list already its deadline is kept unless extend is set. */
void srv_timer_set(srv_timers *t, srv_conn *c, int kind, uint64_t now_ms, int extend);

/* Take c off whatever list it is on. */
void srv_timer_clear(srv_timers *t, srv_conn *c);

/* The first connection on any list whose deadline has passed, taken off its
 * list; *kind says which list.  NULL when none has expired. */
srv_conn *srv_timer_expired(srv_timers *t, uint64_t now_ms, int *kind);

#endif
