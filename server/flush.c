/*
 * What a connection needs after a batch of completions: resume paused
 * input, read the next part of a file being streamed, send what is queued
 * (one send for every response of the batch), finish closing, keep the recv
 * armed or cancelled, pick the timeout.
 */
#include "http_conn.h"
#include "ops.h"
#include "static_file.h"

#include "rb_log.h"

#include <sys/socket.h>

/* Which timeout applies now (timeouts.h). */
static void srv_timer_update(srv_worker *w, srv_conn *c)
{
	srv_timers *t = &w->timers;
	if (c->closing)
		srv_timer_clear(t, c);
	else if (c->lingering)
		srv_timer_set(t, c, SRV_T_LINGER, w->now_ms, 0);
	else if (c->send_inflight || c->paused || c->streaming)
		srv_timer_set(t, c, SRV_T_WRITE, w->now_ms, 0);
	else if (c->phase == SRV_PH_HEAD)
		srv_timer_set(t, c, SRV_T_HEAD, w->now_ms, 0); /* never extended: slowloris */
	else if (c->phase == SRV_PH_BODY)
		srv_timer_set(t, c, SRV_T_BODY, w->now_ms, 1); /* extended on each event */
	else
		srv_timer_set(t, c, SRV_T_IDLE, w->now_ms, 0);
}

/* Read more of the file being served into the pending output; once the
 * whole body is queued, pipelined requests held back behind it may be
 * parsed (stream_resume). */
static void srv_stream_step(srv_worker *w, srv_conn *c)
{
	if (c->streaming && srv_static_fill(w, c))
		c->stream_resume = 1;
}

static void srv_flush(srv_worker *w, srv_conn *c)
{
	if (!c->in_use)
		return;
	if (c->closing) {
		srv_release_if_done(w, c);
		return;
	}
	if (c->oom) {
		rb_log("worker %d: out of memory on a connection; closing it", w->id);
		SRV_STAT_ADD(&w->stats, errors, 1);
		srv_worker_abort(w, c);
		return;
	}
	srv_stream_step(w, c);
	if (c->closing) { /* the file could not be read: the response is cut */
		srv_release_if_done(w, c);
		return;
	}
	if ((c->paused && !c->streaming && srv_conn_pending(c)->len == 0) ||
	    (c->stream_resume && !c->paused)) {
		c->paused = 0;
		c->stream_resume = 0;
		srv_http_resume(w, c);
		if (c->oom || c->closing) {
			srv_flush(w, c);
			return;
		}
	}
	/* The client half-closed: answer what it sent, then close. */
	if (c->peer_eof && !c->paused)
		c->close_after = 1;

	if (!c->send_inflight) {
		srv_buf *s = &c->out[c->sending];
		if (s->off == s->len) {
			srv_buf_reset(s);
			if (srv_conn_pending(c)->len) {
				c->sending ^= 1;
				s = &c->out[c->sending];
			}
		}
		if (s->len > s->off) {
			srv_send(w, c, s->data + s->off, s->len - s->off);
		} else if (c->close_after && !c->streaming) {
			if (c->peer_eof) {
				srv_worker_abort(w, c);
				return;
			}
			/* Our FIN goes after the last response; keep reading until
			 * the client closes too (or SRV_LINGER_MS). */
			shutdown(c->fd, SHUT_WR);
			c->close_after = 0;
			c->lingering = 1;
			c->input_done = 1;
		}
	}
	/* Double buffering: the next part of the file is read while the
	 * kernel sends this one.  With no send in flight the next flush
	 * (there is one: the send's completion) does it. */
	if (c->send_inflight) {
		srv_stream_step(w, c);
		if (c->closing) {
			srv_release_if_done(w, c);
			return;
		}
	}
	/* While a file streams, later pipelined requests wait, unread, in
	 * the socket: like a pause, so a client cannot queue without bound. */
	if (c->paused || c->streaming || c->stream_resume)
		srv_cancel_recv(w, c);
	else if (!c->recv_armed && !c->peer_eof)
		srv_arm_recv(w, c);
	/* Idle with nothing queued: give back output grown by a large
	 * response, so idle keep-alive connections stay small. */
	if (!c->send_inflight && !c->streaming && srv_conn_queued(c) == 0 &&
	    c->phase == SRV_PH_IDLE) {
		srv_buf_trim(&c->out[0], SRV_IDLE_KEEP_BUF);
		srv_buf_trim(&c->out[1], SRV_IDLE_KEEP_BUF);
		srv_buf_trim(&c->body, SRV_IDLE_KEEP_BUF);
	}
	srv_timer_update(w, c);
}

void srv_flush_dirty(srv_worker *w)
{
	/* A connection is on the list at most once; flushing it may mark it
	 * again only while on_dirty is still set, which is a no-op. */
	for (uint32_t i = 0; i < w->ndirty; i++) {
		srv_conn *c = w->dirty[i];
		srv_flush(w, c);
		c->on_dirty = 0;
	}
	w->ndirty = 0;
}
