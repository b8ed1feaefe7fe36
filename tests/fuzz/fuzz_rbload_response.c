/*
 * libFuzzer target for rbload's response framing (lg_rx_feed, lg_rx_eof):
 * the functions rbload's connections call on every receive, driven as
 * lg_conn_input drives them, with no socket and no ring.
 *
 * Input: byte 0 picks the connection (bits 0-3: 1 to 16 requests in flight;
 * bit 4: they are HEAD requests; bit 5: the server closes after the last
 * byte), bytes 1-4 seed the split points, the rest is what the server sent.
 * The bytes are delivered whole, then split at pseudo-random points (small
 * pieces, then pieces around the receive buffer's size), then one byte at a
 * time (inputs up to 4 KiB).  Every delivery must give the same responses
 * (status, last or not) in the same order and end the same way (out of bytes
 * with the same state kept, closed after a response, or the same protocol
 * error), never complete more responses than requests were in flight, take
 * no more bytes than given, and keep the carry within LG_RX_CARRY_MAX.  Any
 * difference aborts; the sanitizers catch the rest (and lg_rx_free any leak).
 */
#include "fuzz_split.h"
#include "response.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (1u << 20)
#define HDR 5 /* control byte, 4 seed bytes */

typedef struct outcome {
	uint32_t completions;
	uint64_t hash; /* of every completion's status and kind, in order */
	int end;       /* LG_RX_MORE (out of bytes), LG_RX_LAST or LG_RX_ERROR */
	unsigned error;
	size_t consumed; /* bytes taken up to the end (not compared after an error) */
	uint32_t carry_len, phase;
} outcome;

static void fail(const char *what, const outcome *a, const outcome *b)
{
	fprintf(stderr,
		"fuzz_rbload_response: %s\n  whole: %u completions, hash %016llx, end %d, error "
		"%u, consumed %zu, carry %u, phase %u\n",
		what, a->completions, (unsigned long long)a->hash, a->end, a->error, a->consumed,
		a->carry_len, a->phase);
	if (b)
		fprintf(stderr,
			"  split: %u completions, hash %016llx, end %d, error %u, consumed %zu, "
			"carry %u, phase %u\n",
			b->completions, (unsigned long long)b->hash, b->end, b->error, b->consumed,
			b->carry_len, b->phase);
	abort();
}

/* rbload's receive buffers are 8 KiB: pieces up to 16 KiB straddle them. */
#define LARGE_PIECE 16384

/* One delivery of in[0, len) to a fresh connection with `depth` requests in
 * flight, as lg_conn_input and lg_conn_eof do it. */
static void deliver(const char *in, size_t len, unsigned depth, unsigned flags, int eof,
		    enum split how, uint64_t seed, outcome *o)
{
	lg_rx rx;
	lg_rx_init(&rx, flags);
	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ull;
	o->end = LG_RX_MORE;
	unsigned inflight = depth;
	size_t at = 0;
	int over = 0;
	while (at < len && !over) {
		size_t piece = next_piece(how, LARGE_PIECE, &seed, len - at);
		const char *p = in + at;
		size_t n = piece;
		at += piece;
		while (n > 0) {
			size_t used = SIZE_MAX;
			lg_rx_rc rc = lg_rx_feed(&rx, p, n, inflight > 0, &used);
			if (used > n)
				fail("lg_rx_feed took more bytes than given", o, NULL);
			if (rx.carry.len > LG_RX_CARRY_MAX)
				fail("the carry passed LG_RX_CARRY_MAX", o, NULL);
			p += used;
			n -= used;
			o->consumed += used;
			if (rc == LG_RX_MORE) {
				if (n != 0)
					fail("LG_RX_MORE with bytes left", o, NULL);
				break;
			}
			if (rc == LG_RX_ERROR) {
				o->end = LG_RX_ERROR;
				o->error = rx.error;
				if (rx.error == 0 || rx.error >= LG_RX_E__COUNT)
					fail("an error without a kind", o, NULL);
				over = 1;
				break;
			}
			/* a final response */
			if (inflight == 0)
				fail("a response completed with no request in flight", o, NULL);
			if (rx.status >= 100 && rx.status < 200 && rx.status != 101)
				fail("an interim response counted as final", o, NULL);
			inflight--;
			o->completions++;
			o->hash = (o->hash ^ (uint64_t)rx.status << 1 ^ (rc == LG_RX_LAST)) *
				  0x100000001b3ull;
			if (rc == LG_RX_LAST) {
				o->end = LG_RX_LAST;
				over = 1;
				break;
			}
		}
	}
	if (!over && eof && lg_rx_eof(&rx) == LG_RX_LAST) {
		if (inflight == 0)
			fail("a close-delimited response with no request in flight", o, NULL);
		inflight--;
		o->completions++;
		o->hash = (o->hash ^ (uint64_t)rx.status << 1 ^ 1) * 0x100000001b3ull;
		o->end = LG_RX_LAST;
	}
	if (o->completions > depth)
		fail("more completions than requests in flight", o, NULL);
	o->carry_len = (uint32_t)rx.carry.len;
	o->phase = rx.phase;
	lg_rx_free(&rx);
}

static int same(const outcome *a, const outcome *b)
{
	if (a->completions != b->completions || a->hash != b->hash || a->end != b->end)
		return 0;
	if (a->end == LG_RX_ERROR)
		return a->error == b->error;
	if (a->consumed != b->consumed)
		return 0;
	return a->end != LG_RX_MORE || (a->carry_len == b->carry_len && a->phase == b->phase);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR || size - HDR > CAP)
		return 0;
	unsigned depth = 1 + (data[0] & 15u);
	unsigned flags = data[0] & 16u ? RP_RESPONSE_TO_HEAD : 0;
	int eof = (data[0] & 32u) != 0;
	uint64_t seed = (uint64_t)data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16 |
			(uint64_t)data[4] << 24;
	const char *in = (const char *)data + HDR;
	size_t len = size - HDR;

	outcome whole, split;
	deliver(in, len, depth, flags, eof, SPLIT_WHOLE, seed, &whole);
	static const enum split hows[] = {SPLIT_SMALL, SPLIT_LARGE, SPLIT_BYTES};
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		if (hows[i] == SPLIT_BYTES && len > 4096)
			continue;
		deliver(in, len, depth, flags, eof, hows[i], seed, &split);
		if (!same(&whole, &split))
			fail(hows[i] == SPLIT_BYTES ? "byte by byte differs from whole"
						    : "a split differs from whole",
			     &whole, &split);
	}
	return 0;
}
