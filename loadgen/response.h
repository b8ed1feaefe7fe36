/*
 * Response framing: the bytes a connection receives, cut into responses.
 *
 * An lg_rx is one connection's framing state.  lg_rx_feed() takes the bytes
 * of a receive and stops at the end of each final response, returning what
 * the caller must do: go on, close after it, or give the connection up.  The
 * caller keeps the requests in flight, the clock and the counters; this
 * module knows nothing of sockets, rings or workers and calls nothing back,
 * so a test drives it exactly as the worker does (lg_conn_input).
 *
 * Bytes are framed where they lie in the receive buffer; only a header block
 * (or a chunked trailer section) split across receives is copied, into the
 * carry, which never holds more than LG_RX_CARRY_MAX bytes.
 */
#ifndef LG_RESPONSE_H
#define LG_RESPONSE_H

#include "rb_buf.h"
#include "ringparse.h"

#include <stddef.h>
#include <stdint.h>

/* ringparse refuses a header block of this size (RP_E_HEADERS_TOO_LARGE)
 * and a chunked trailer section well before it, so the carry never needs
 * more: a block split across receives is copied up to here and no further. */
#define LG_RX_CARRY_MAX RP_DEFAULT_MAX_HEADER_BYTES

typedef enum lg_rx_rc {
	LG_RX_MORE = 0, /* every byte taken; a response continues in later bytes */
	LG_RX_KEEP,     /* a final response is complete; the connection persists */
	LG_RX_LAST,     /* a final response is complete and the server closes after it */
	LG_RX_ERROR,    /* a protocol error (rx->error): the connection is unusable */
} lg_rx_rc;

/* Protocol errors: ringparse's rp_error values, then these. */
enum {
	LG_RX_E_UNSOLICITED = RP_E__COUNT, /* bytes with no request in flight */
	LG_RX_E_CARRY,                     /* a split block too large for the carry */
	LG_RX_E_NOMEM,                     /* no memory for the carry or a chunked decoder */
	LG_RX_E__COUNT
};

enum lg_rx_phase {
	LG_RX_HEAD = 0, /* reading a status line and header block */
	LG_RX_BODY,     /* reading the body by m.framing */
};

typedef struct lg_rx {
	rp_message m;
	uint8_t phase;       /* enum lg_rx_phase */
	uint8_t parse_flags; /* RP_RESPONSE_TO_HEAD: every request is a HEAD */
	uint16_t status;     /* after LG_RX_KEEP or LG_RX_LAST: the final response's */
	uint16_t error;      /* after LG_RX_ERROR: an rp_error or LG_RX_E_* */
	uint64_t body_left;  /* Content-Length bytes still to come */
	rp_chunked *ck;      /* allocated on the first chunked response */
	rb_buf carry;        /* a header block or trailer section split across receives */
} lg_rx;

/* Ready rx for a connection's first response (parse_flags: RP_RESPONSE_TO_HEAD
 * or 0).  Allocates nothing. */
void lg_rx_init(lg_rx *rx, unsigned parse_flags);

/* Start over at a response's first byte (a new socket): a connection closed
 * in the middle of a response must not leave its state to the next one.
 * Keeps the carry and decoder memory for reuse. */
void lg_rx_reset(lg_rx *rx);

void lg_rx_free(lg_rx *rx);

/* Frame p[0, n): take bytes up to the end of the next final response
 * (interim 1xx responses other than 101 are skipped) or all of them, and
 * set *used to the bytes taken.  awaiting: a request is in flight, so a
 * response may start here; a byte that would start one when none is
 * awaited is LG_RX_E_UNSOLICITED.  After LG_RX_ERROR, only lg_rx_reset or
 * lg_rx_free may follow. */
lg_rx_rc lg_rx_feed(lg_rx *rx, const char *p, size_t n, int awaiting, size_t *used);

/* The peer closed its side: LG_RX_LAST when that completes a close-delimited
 * response, else LG_RX_MORE (the caller decides whether that lost one). */
lg_rx_rc lg_rx_eof(lg_rx *rx);

/* One sentence for a log line about error e (an rx->error). */
const char *lg_rx_error_message(unsigned e);

#endif
