/*
 * Two rb_tls sessions talking in memory, the test moving the ciphertext:
 * what common_tls (test_tls.c) and common_ktls (test_ktls.c) share.  Static
 * functions over Criterion's asserts; include once per test file.
 */
#ifndef RB_TEST_TLS_PAIR_H
#define RB_TEST_TLS_PAIR_H

#include "rb_buf.h"
#include "rb_tls.h"

#include <criterion/criterion.h>

typedef struct peer {
	rb_tls *t;
	rb_buf got; /* plaintext read */
	int done;   /* handshake */
	int closed; /* the other side's close_notify */
	int failed;
} peer;

/* Take in what was fed: the handshake, then every record. */
static void step(peer *p)
{
	if (p->failed || p->closed)
		return;
	if (!p->done) {
		int r = rb_tls_handshake(p->t);
		if (r == RB_TLS_ERROR) {
			p->failed = 1;
			return;
		}
		if (r != 1)
			return;
		p->done = 1;
	}
	char buf[4096];
	for (;;) {
		int r = rb_tls_read(p->t, buf, sizeof(buf));
		if (r > 0) {
			cr_assert(rb_buf_append(&p->got, buf, (size_t)r) == 0);
			continue;
		}
		if (r == RB_TLS_CLOSED)
			p->closed = 1;
		else if (r == RB_TLS_ERROR)
			p->failed = 1;
		return;
	}
}

/* Move what a has to send into b, chunk bytes at a time (0: all at once),
 * b taking in each piece.  Returns the bytes moved. */
static size_t move(peer *a, peer *b, size_t chunk)
{
	size_t total = 0;
	const char *p;
	size_t n;
	while ((n = rb_tls_pending_out(a->t, &p)) > 0) {
		size_t off = 0;
		while (off < n) {
			size_t k = chunk && n - off > chunk ? chunk : n - off;
			cr_assert(rb_tls_feed(b->t, p + off, k) == 0);
			off += k;
			step(b);
		}
		rb_tls_consumed_out(a->t, n);
		total += n;
	}
	return total;
}

static void pump(peer *c, peer *s, size_t chunk)
{
	for (int i = 0; i < 100; i++) {
		size_t moved = move(c, s, chunk) + move(s, c, chunk);
		if (!moved)
			return;
	}
	cr_assert_fail("the sessions never went quiet");
}

#endif
