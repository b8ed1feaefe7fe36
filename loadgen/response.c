/*
 * Framing responses with ringparse and recording each one's latency.
 *
 * Bytes are framed where they lie in the receive buffer; only a header block
 * (or a chunked trailer) split across receives is copied, into c->carry.
 */
#include "worker.h"

#include "rb_log.h"

#include <stdlib.h>
#include <string.h>

/* Header blocks above the parser's limit are errors before this is reached. */
#define LG_CARRY_MAX (RP_DEFAULT_MAX_HEADER_BYTES + 65536u)

static void lg_parse_error(lg_worker *w, lg_conn *c, const char *what)
{
	static _Thread_local int logged[RP_E__COUNT + 1];
	int k = what ? RP_E__COUNT : c->m.error;
	if (!logged[k]) {
		logged[k] = 1;
		rb_log("malformed response from %s: %s (logged once)", w->cfg->peer,
		       what ? what : rp_error_message((rp_error)c->m.error));
	}
	lg_conn_close(w, c, LG_E_PARSE);
}

/* Append n bytes to the carry buffer.  Returns 0, or -1 when it would pass
 * LG_CARRY_MAX or memory ran out. */
static int lg_carry_append(lg_conn *c, const char *p, size_t n)
{
	size_t need = (size_t)c->carry_len + n;
	if (need > LG_CARRY_MAX)
		return -1;
	if (need > c->carry_cap) {
		size_t cap = c->carry_cap ? c->carry_cap : 1024;
		while (cap < need)
			cap *= 2;
		char *nb = realloc(c->carry, cap);
		if (!nb)
			return -1;
		c->carry = nb;
		c->carry_cap = (uint32_t)cap;
	}
	memcpy(c->carry + c->carry_len, p, n);
	c->carry_len = (uint32_t)need;
	return 0;
}

void lg_message_reset(lg_conn *c)
{
	rp_message_init(&c->m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
	c->phase = LG_PH_HEAD;
	c->body_left = 0;
}

/* The response to the oldest request in flight is complete. */
static void lg_complete(lg_worker *w, lg_conn *c)
{
	const lg_config *cfg = w->cfg;
	lg_inflight *e = &c->ring[c->head];
	c->head = (c->head + 1) % cfg->pipeline;
	c->inflight--;
	if (e->measured) {
		w->outstanding--;
		if (w->now < w->run->measure_end) {
			lg_counts *k = &w->counts;
			uint16_t st = c->m.status;
			k->requests++;
			k->status[st >= 100 && st < 600 ? st / 100 : 0]++;
			if (st < 200 || st >= 400)
				k->errors[LG_E_STATUS]++;
			rb_hist_record(&w->iv, (int64_t)(w->now - e->due_ns));
			rb_hist_record(&w->uncorr, (int64_t)(w->now - e->sent_ns));
			w->last_settled_ns = w->now;
		} else {
			w->counts.unanswered++; /* answered after the window closed */
		}
	}
	int keep = (c->m.flags & RP_F_KEEP_ALIVE) && cfg->mode != LG_MODE_CLOSE;
	lg_message_reset(c);
	if (!keep) {
		/* The server said this is the last response (or --close): what is
		 * still in flight was never going to be answered; not an error. */
		lg_conn_close(w, c, -1);
		return;
	}
	lg_conn_mark_dirty(w, c);
}

/* Chunked body bytes: from the carry if a trailer is split, else in place.
 * Returns the bytes of p consumed, or -1 after closing the connection. */
static ssize_t lg_feed_chunked(lg_worker *w, lg_conn *c, const char *p, size_t n)
{
	const char *buf = p;
	size_t len = n, old = c->carry_len;
	if (old) {
		if (lg_carry_append(c, p, n)) {
			lg_parse_error(w, c, "chunked trailer section too large");
			return -1;
		}
		buf = c->carry;
		len = c->carry_len;
	}
	size_t at = 0;
	while (at < len && !rp_chunked_done(c->ck)) {
		const char *data;
		size_t dlen;
		int64_t r = rp_chunked_feed(c->ck, buf + at, len - at, &data, &dlen);
		if (r == RP_ERROR) {
			c->m.error = c->ck->error;
			lg_parse_error(w, c, NULL);
			return -1;
		}
		if (r == 0)
			break;
		at += (size_t)r;
	}
	if (rp_chunked_done(c->ck)) {
		c->carry_len = 0;
		return (ssize_t)(at - old); /* at >= old: the carry alone was incomplete */
	}
	/* not done: keep what was not consumed, for the next receive */
	if (at < len) {
		if (old) {
			memmove(c->carry, c->carry + at, len - at);
			c->carry_len = (uint32_t)(len - at);
		} else if (lg_carry_append(c, p + at, len - at)) {
			lg_parse_error(w, c, "chunked trailer section too large");
			return -1;
		}
	} else {
		c->carry_len = 0;
	}
	return (ssize_t)n;
}

void lg_conn_input(lg_worker *w, lg_conn *c, const char *p, size_t n)
{
	while (n > 0 && c->state == LG_C_OPEN) {
		if (c->phase == LG_PH_HEAD) {
			if (c->inflight == 0) {
				lg_parse_error(w, c,
					       "bytes from the server with no request in flight");
				return;
			}
			const char *buf = p;
			size_t len = n, old = c->carry_len;
			if (old) {
				if (lg_carry_append(c, p, n)) {
					lg_parse_error(w, c, "response header block too large");
					return;
				}
				buf = c->carry;
				len = c->carry_len;
			}
			int64_t r = rp_parse_response(&c->m, buf, len, w->parse_flags);
			if (r == RP_INCOMPLETE) {
				if (!old && lg_carry_append(c, p, n))
					lg_parse_error(w, c, "response header block too large");
				return;
			}
			if (r == RP_ERROR) {
				lg_parse_error(w, c, NULL);
				return;
			}
			size_t used = (size_t)r - old;
			p += used;
			n -= used;
			c->carry_len = 0;
			uint16_t st = c->m.status;
			if (st >= 100 && st < 200 && st != 101) {
				lg_message_reset(c); /* interim: the final response follows */
				continue;
			}
			switch (c->m.framing) {
			case RP_BODY_NONE:
				lg_complete(w, c);
				continue;
			case RP_BODY_LENGTH:
				c->body_left = c->m.content_length;
				if (c->body_left == 0) {
					lg_complete(w, c);
					continue;
				}
				break;
			case RP_BODY_CHUNKED:
				if (!c->ck && !(c->ck = malloc(sizeof(*c->ck)))) {
					lg_parse_error(w, c, "no memory for a chunked decoder");
					return;
				}
				rp_chunked_init(c->ck);
				break;
			default: /* RP_BODY_CLOSE: the body runs to the server's close */
				break;
			}
			c->phase = LG_PH_BODY;
			continue;
		}

		/* LG_PH_BODY */
		switch (c->m.framing) {
		case RP_BODY_LENGTH: {
			size_t take = n < c->body_left ? n : (size_t)c->body_left;
			c->body_left -= take;
			p += take;
			n -= take;
			if (c->body_left == 0)
				lg_complete(w, c);
			break;
		}
		case RP_BODY_CHUNKED: {
			ssize_t used = lg_feed_chunked(w, c, p, n);
			if (used < 0)
				return;
			p += used;
			n -= (size_t)used;
			if (rp_chunked_done(c->ck))
				lg_complete(w, c);
			break;
		}
		default:
			n = 0; /* close-delimited: everything until EOF is body */
			break;
		}
	}
}

void lg_conn_eof(lg_worker *w, lg_conn *c)
{
	if (c->phase == LG_PH_BODY && c->m.framing == RP_BODY_CLOSE) {
		c->m.flags &= ~(uint32_t)RP_F_KEEP_ALIVE;
		lg_complete(w, c); /* closes */
		return;
	}
	if (c->inflight > 0 || c->phase == LG_PH_BODY || c->carry_len)
		lg_conn_close(w, c, LG_E_CLOSED);
	else
		lg_conn_close(w, c, -1); /* an idle keep-alive connection closed: reopen */
}
