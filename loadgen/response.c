/*
 * Framing responses with ringparse: the status line and header block, then
 * the body by its framing (Content-Length, chunked, or to the close).
 */
#include "response.h"

#include <stdlib.h>
#include <string.h>

void lg_rx_init(lg_rx *rx, unsigned parse_flags)
{
	memset(rx, 0, sizeof(*rx));
	rx->parse_flags = (uint8_t)parse_flags;
	rp_message_init(&rx->m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
}

/* The next response starts at the next byte. */
static void lg_rx_next(lg_rx *rx)
{
	rp_message_init(&rx->m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
	rx->phase = LG_RX_HEAD;
	rx->body_left = 0;
}

void lg_rx_reset(lg_rx *rx)
{
	lg_rx_next(rx);
	rb_buf_reset(&rx->carry);
	rx->error = 0;
}

void lg_rx_free(lg_rx *rx)
{
	rb_buf_free(&rx->carry);
	free(rx->ck);
	rx->ck = NULL;
}

const char *lg_rx_error_message(unsigned e)
{
	switch (e) {
	case LG_RX_E_UNSOLICITED:
		return "bytes from the server with no request in flight";
	case LG_RX_E_CARRY:
		return "a header block or trailer section split across receives is too large";
	case LG_RX_E_NOMEM:
		return "no memory to keep a split header block or to decode a chunked body";
	default:
		return e < RP_E__COUNT ? rp_error_message((rp_error)e) : "unknown error";
	}
}

static lg_rx_rc lg_rx_fail(lg_rx *rx, unsigned e)
{
	rx->error = (uint16_t)e;
	return LG_RX_ERROR;
}

/* Append n bytes to the carry (the caller keeps it within LG_RX_CARRY_MAX).
 * Returns 0, or -1 when memory ran out. */
static int lg_rx_carry(lg_rx *rx, const char *p, size_t n)
{
	return rb_buf_append(&rx->carry, p, n);
}

/* Of n new bytes, how many fit in the carry. */
static size_t lg_rx_room(const lg_rx *rx, size_t n)
{
	size_t room = LG_RX_CARRY_MAX - rx->carry.len;
	return n < room ? n : room;
}

/* The bytes to parse: p's own n when nothing is carried; else the carry
 * with as much of p appended as it has room for (*add of the n).  Returns
 * 0, or -1 when memory ran out. */
static int lg_rx_join(lg_rx *rx, const char *p, size_t n, const char **buf, size_t *len,
		      size_t *add)
{
	*buf = p;
	*len = *add = n;
	if (!rx->carry.len)
		return 0;
	*add = lg_rx_room(rx, n);
	if (lg_rx_carry(rx, p, *add))
		return -1;
	*buf = rx->carry.data;
	*len = rx->carry.len;
	return 0;
}

/* A final response is complete. */
static lg_rx_rc lg_rx_done(lg_rx *rx)
{
	rx->status = rx->m.status;
	lg_rx_rc rc = (rx->m.flags & RP_F_KEEP_ALIVE) ? LG_RX_KEEP : LG_RX_LAST;
	lg_rx_next(rx);
	return rc;
}

/* The status line and header block, from p or, when an earlier receive
 * left part of it, from the carry with p's bytes appended. */
static lg_rx_rc lg_rx_head(lg_rx *rx, const char *p, size_t n, int awaiting, size_t *took)
{
	size_t old = rx->carry.len, add, len;
	const char *buf;
	if (!old && !awaiting)
		return lg_rx_fail(rx, LG_RX_E_UNSOLICITED);
	/* Never past the parser's limit: it fails a block that reaches it,
	 * whether it came in one receive or many. */
	if (lg_rx_join(rx, p, n, &buf, &len, &add))
		return lg_rx_fail(rx, LG_RX_E_NOMEM);
	int64_t r = rp_parse_response(&rx->m, buf, len, rx->parse_flags);
	if (r == RP_ERROR)
		return lg_rx_fail(rx, rx->m.error);
	if (r == RP_INCOMPLETE) {
		/* (The parser fails a block at the carry's size, so neither
		 * limit test below is met; they keep the bound local.) */
		if (old) {
			if (add < n)
				return lg_rx_fail(rx, LG_RX_E_CARRY);
		} else if (n > LG_RX_CARRY_MAX) {
			return lg_rx_fail(rx, LG_RX_E_CARRY);
		} else if (lg_rx_carry(rx, p, n)) {
			return lg_rx_fail(rx, LG_RX_E_NOMEM);
		}
		*took = add;
		return LG_RX_MORE;
	}
	*took = (size_t)r - old; /* the carry alone was incomplete: r > old */
	rx->carry.len = 0;
	uint16_t st = rx->m.status;
	if (st >= 100 && st < 200 && st != 101) {
		lg_rx_next(rx); /* interim: the final response follows */
		return LG_RX_MORE;
	}
	switch (rx->m.framing) {
	case RP_BODY_NONE:
		return lg_rx_done(rx);
	case RP_BODY_LENGTH:
		if (rx->m.content_length == 0)
			return lg_rx_done(rx);
		rx->body_left = rx->m.content_length;
		break;
	case RP_BODY_CHUNKED:
		if (!rx->ck && !(rx->ck = malloc(sizeof(*rx->ck))))
			return lg_rx_fail(rx, LG_RX_E_NOMEM);
		rp_chunked_init(rx->ck);
		break;
	default: /* RP_BODY_CLOSE: the body runs to the server's close */
		break;
	}
	rx->phase = LG_RX_BODY;
	return LG_RX_MORE;
}

/* Chunked body bytes, in place; the decoder takes a trailer section only
 * whole, so what it leaves of one is kept in the carry for the next
 * receive, which is appended to it. */
static lg_rx_rc lg_rx_chunked(lg_rx *rx, const char *p, size_t n, size_t *took)
{
	size_t old = rx->carry.len, add, len;
	const char *buf;
	if (lg_rx_join(rx, p, n, &buf, &len, &add))
		return lg_rx_fail(rx, LG_RX_E_NOMEM);
	size_t at = 0;
	while (at < len && !rp_chunked_done(rx->ck)) {
		const char *data;
		size_t dlen;
		int64_t r = rp_chunked_feed(rx->ck, buf + at, len - at, &data, &dlen);
		if (r == RP_ERROR)
			return lg_rx_fail(rx, rx->ck->error);
		if (r == 0)
			break;
		at += (size_t)r;
	}
	if (rp_chunked_done(rx->ck)) {
		rx->carry.len = 0;
		*took = at - old; /* the carry alone was an incomplete trailer: at > old */
		return lg_rx_done(rx);
	}
	*took = add;
	if (at == len) {
		rx->carry.len = 0;
		return LG_RX_MORE;
	}
	/* A trailer section not yet whole (the decoder fails one far below
	 * the carry's size: the limit tests are a local bound). */
	if (old) {
		if (add < n)
			return lg_rx_fail(rx, LG_RX_E_CARRY);
		rb_buf_consume(&rx->carry, at); /* len is the carry's */
	} else if (len - at > LG_RX_CARRY_MAX) {
		return lg_rx_fail(rx, LG_RX_E_CARRY);
	} else if (lg_rx_carry(rx, p + at, len - at)) {
		return lg_rx_fail(rx, LG_RX_E_NOMEM);
	}
	return LG_RX_MORE;
}

static lg_rx_rc lg_rx_body(lg_rx *rx, const char *p, size_t n, size_t *took)
{
	switch (rx->m.framing) {
	case RP_BODY_LENGTH: {
		size_t take = n < rx->body_left ? n : (size_t)rx->body_left;
		rx->body_left -= take;
		*took = take;
		return rx->body_left == 0 ? lg_rx_done(rx) : LG_RX_MORE;
	}
	case RP_BODY_CHUNKED:
		return lg_rx_chunked(rx, p, n, took);
	default: /* close-delimited: everything until the close is body */
		*took = n;
		return LG_RX_MORE;
	}
}

lg_rx_rc lg_rx_feed(lg_rx *rx, const char *p, size_t n, int awaiting, size_t *used)
{
	size_t at = 0;
	lg_rx_rc rc = LG_RX_MORE;
	while (at < n && rc == LG_RX_MORE) {
		size_t took = 0;
		if (rx->phase == LG_RX_HEAD)
			rc = lg_rx_head(rx, p + at, n - at, awaiting, &took);
		else
			rc = lg_rx_body(rx, p + at, n - at, &took);
		at += took;
	}
	*used = at;
	return rc;
}

lg_rx_rc lg_rx_eof(lg_rx *rx)
{
	if (rx->phase == LG_RX_BODY && rx->m.framing == RP_BODY_CLOSE) {
		rx->m.flags &= ~(uint32_t)RP_F_KEEP_ALIVE;
		return lg_rx_done(rx);
	}
	return LG_RX_MORE;
}
