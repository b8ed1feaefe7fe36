/*
 * After each batch of completions: each connection that got work in it is
 * flushed once (one send for every response of the batch).
 */
#ifndef SRV_FLUSH_H
#define SRV_FLUSH_H

#include "worker_state.h"

/* Flush every connection on the dirty list (srv_conn_mark_dirty) and empty
 * the list: the exchange goes on where it waits (srv_http_continue), queued
 * output is sent, a drained connection lingers, a failed one is closed, the
 * recv is kept armed or cancelled by the state, and the timeout picked. */
void srv_flush_dirty(srv_worker *w);

#endif
