/*
 * The kTLS key hand-over (rb_tls_ktls_export, rb_ktls): proven without the
 * kernel's record layer.  A client and a server session talk in memory; at
 * the point the programs would hand a direction to the kernel, the test
 * exports it, then lets OpenSSL go on sealing in user space and opens the
 * next records itself -- EVP AES-GCM / ChaCha20-Poly1305 with exactly the
 * exported key, salt, iv and rec_seq (nonce = IV XOR sequence number, the
 * 5-byte record header as additional data, the inner content type last) --
 * so what the kernel would be given is what the peer really uses.  Wrong
 * sequence numbers and keys are shown to fail.  The install is run against
 * this kernel: without the tls ULP it must refuse (ENOENT) and leave the
 * socket a plain TCP socket; with it, a record sealed by the kernel is
 * opened by the user-space peer.
 */
#include "rb_buf.h"
#include "rb_faults.h"
#include "rb_ktls.h"
#include "rb_tls.h"
#include "tls_pair.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

/* ---- certificates ---------------------------------------------------------- */

static char dir[64], cert[128], key[128];

static void certs_make(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rbktls.XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	cr_assert(system(cmd) == 0, "%s", cmd);
}

static void certs_remove(void)
{
	char cmd[128];
	if (strncmp(dir, "/tmp/rbktls.", 12))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
}

TestSuite(ktls, .init = certs_make, .fini = certs_remove, .timeout = 60.);

/* ---- two sessions in memory ------------------------------------------------ */

typedef struct pair {
	rb_tls_ctx *sctx, *cctx;
	peer c, s;
} pair;

static void pair_open(pair *p, const char *suite, int max, int no_tickets, int ktls)
{
	char err[256] = "";
	rb_tls_opts so = {
		.max_version = max, .ciphersuites = suite, .no_tickets = no_tickets, .ktls = ktls};
	rb_tls_opts co = {.max_version = max, .ciphersuites = suite, .cafile = cert, .ktls = ktls};
	memset(p, 0, sizeof(*p));
	p->sctx = rb_tls_server_ctx_new(cert, key, &so, err, sizeof(err));
	cr_assert(p->sctx, "%s", err);
	p->cctx = rb_tls_client_ctx_new(&co, err, sizeof(err));
	cr_assert(p->cctx, "%s", err);
	p->s.t = rb_tls_new(p->sctx, NULL);
	p->c.t = rb_tls_new(p->cctx, "localhost");
	cr_assert(p->s.t && p->c.t);
}

static void pair_connect(pair *p, size_t chunk)
{
	cr_assert(rb_tls_handshake(p->c.t) == RB_TLS_WANT); /* the ClientHello */
	pump(&p->c, &p->s, chunk);
	cr_assert(!p->c.failed && !p->s.failed);
	cr_assert(rb_tls_handshake(p->c.t) == 1 && rb_tls_handshake(p->s.t) == 1);
}

static void pair_close(pair *p)
{
	rb_tls_free(p->c.t);
	rb_tls_free(p->s.t);
	rb_tls_ctx_free(p->cctx);
	rb_tls_ctx_free(p->sctx);
	rb_buf_free(&p->c.got);
	rb_buf_free(&p->s.got);
}

static void export_ok(rb_tls *t, enum rb_ktls_dir d, rb_ktls_crypto *c)
{
	char why[200] = "";
	int r = rb_tls_ktls_export(t, d, c, why, sizeof(why));
	cr_assert(r == 1, "export %s: %d %s", d == RB_KTLS_TX ? "TX" : "RX", r, why);
}

/* ---- opening records with the exported keys -------------------------------- */

static uint64_t crypto_seq(const rb_ktls_crypto *c)
{
	const unsigned char *rs =
		c->u.info.cipher_type == TLS_CIPHER_AES_GCM_128   ? c->u.gcm128.rec_seq
		: c->u.info.cipher_type == TLS_CIPHER_AES_GCM_256 ? c->u.gcm256.rec_seq
								  : c->u.chacha.rec_seq;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | rs[i];
	return v;
}

/* The 12-byte IV the kernel rebuilds: salt || iv for AES-GCM, iv for ChaCha. */
static void crypto_iv(const rb_ktls_crypto *c, unsigned char iv[12], const unsigned char **k,
		      const EVP_CIPHER **alg)
{
	switch (c->u.info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		memcpy(iv, c->u.gcm128.salt, 4);
		memcpy(iv + 4, c->u.gcm128.iv, 8);
		*k = c->u.gcm128.key;
		*alg = EVP_aes_128_gcm();
		break;
	case TLS_CIPHER_AES_GCM_256:
		memcpy(iv, c->u.gcm256.salt, 4);
		memcpy(iv + 4, c->u.gcm256.iv, 8);
		*k = c->u.gcm256.key;
		*alg = EVP_aes_256_gcm();
		break;
	default:
		cr_assert(c->u.info.cipher_type == TLS_CIPHER_CHACHA20_POLY1305);
		memcpy(iv, c->u.chacha.iv, 12);
		*k = c->u.chacha.key;
		*alg = EVP_chacha20_poly1305();
		break;
	}
}

/* One bit off in the key (part 0), the salt (1: the IV's first bytes; ChaCha
 * has no salt, its iv's first byte) or the iv (2: its last byte), in the
 * struct of c's suite. */
static void crypto_flip(rb_ktls_crypto *c, int part)
{
	unsigned char *k, *salt, *iv;
	size_t ivlen;
	switch (c->u.info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		k = c->u.gcm128.key, salt = c->u.gcm128.salt, iv = c->u.gcm128.iv;
		ivlen = sizeof(c->u.gcm128.iv);
		break;
	case TLS_CIPHER_AES_GCM_256:
		k = c->u.gcm256.key, salt = c->u.gcm256.salt, iv = c->u.gcm256.iv;
		ivlen = sizeof(c->u.gcm256.iv);
		break;
	default:
		k = c->u.chacha.key, salt = c->u.chacha.iv, iv = c->u.chacha.iv;
		ivlen = sizeof(c->u.chacha.iv);
		break;
	}
	if (part == 0)
		k[0] ^= 1;
	else if (part == 1)
		salt[0] ^= 1;
	else
		iv[ivlen - 1] ^= 1;
}

/* Open one TLS 1.3 record (header included) as record number seq under c.
 * Returns the plaintext length (content only) with its inner type in *type,
 * or -1 when it does not authenticate. */
static int open_record(const rb_ktls_crypto *c, uint64_t seq, const unsigned char *rec, size_t len,
		       unsigned char *out, int *type)
{
	unsigned char iv[12];
	const unsigned char *k;
	const EVP_CIPHER *alg;
	crypto_iv(c, iv, &k, &alg);
	for (int i = 0; i < 8; i++)
		iv[4 + i] ^= (unsigned char)(seq >> (56 - 8 * i));
	cr_assert(len > 5 + 16 && rec[0] == 23);
	size_t clen = len - 5 - 16;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, f = 0,
	    ok = EVP_DecryptInit_ex(x, alg, NULL, NULL, NULL) &&
		 EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
		 EVP_DecryptInit_ex(x, NULL, NULL, k, iv) &&
		 EVP_DecryptUpdate(x, NULL, &n, rec, 5) && /* the header: AAD */
		 EVP_DecryptUpdate(x, out, &n, rec + 5, (int)clen) &&
		 EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(rec + 5 + clen)) &&
		 EVP_DecryptFinal_ex(x, out + n, &f) > 0;
	EVP_CIPHER_CTX_free(x);
	if (!ok)
		return -1;
	int m = n + f;
	while (m > 0 && out[m - 1] == 0) /* padding */
		m--;
	cr_assert(m > 0, "no inner content type");
	*type = out[m - 1];
	return m - 1;
}

static unsigned char big[70000];

/* Take what a has pending (without feeding anyone yet), open every record
 * with c from its rec_seq on, check the plaintext is want (application data),
 * then check a wrong sequence number and a wrong key fail, and hand the
 * bytes to b as usual.  Returns the number of records. */
static int check_wire(peer *a, peer *b, const rb_ktls_crypto *c, const char *want, size_t wlen)
{
	const char *p;
	size_t n = rb_tls_pending_out(a->t, &p);
	cr_assert(n > 0);
	static unsigned char wire[70000 + 1024];
	cr_assert(n <= sizeof(wire));
	memcpy(wire, p, n);
	uint64_t seq = crypto_seq(c);
	size_t off = 0, got = 0;
	int recs = 0;
	while (off < n) {
		cr_assert(n - off >= 5);
		size_t rl = 5 + ((size_t)wire[off + 3] << 8 | wire[off + 4]);
		cr_assert(off + rl <= n);
		int type = 0;
		int m = open_record(c, seq + (uint64_t)recs, wire + off, rl, big, &type);
		cr_assert(m >= 0,
			  "record %d (sequence number %llu) does not open with the exported keys",
			  recs, (unsigned long long)(seq + (uint64_t)recs));
		cr_assert(type == 23, "record %d: inner type %d", recs, type);
		cr_assert(got + (size_t)m <= wlen && !memcmp(big, want + got, (size_t)m));
		if (recs == 0) {
			/* The controls: one off in the sequence number, one bit off in
			 * the key, one in the IV: none may authenticate. */
			cr_assert(open_record(c, seq + 1, wire + off, rl, big, &type) < 0);
			if (seq)
				cr_assert(open_record(c, seq - 1, wire + off, rl, big, &type) < 0);
			for (int part = 0; part < 3; part++) {
				rb_ktls_crypto bad = *c;
				crypto_flip(&bad, part);
				cr_assert(open_record(&bad, seq, wire + off, rl, big, &type) < 0,
					  "a flipped %s still opens the record",
					  part == 0   ? "key"
					  : part == 1 ? "salt"
						      : "iv");
			}
		}
		got += (size_t)m;
		off += rl;
		recs++;
	}
	cr_assert(got == wlen, "opened %zu of %zu bytes", got, wlen);
	size_t before = b->got.len;
	move(a, b, 0);
	cr_assert(!b->failed && b->got.len - before == wlen &&
		  !memcmp(b->got.data + before, want, wlen));
	return recs;
}

/* ---- export matches the wire ----------------------------------------------- */

/* Criterion runs each case in a new process (BoxFort re-executes the test
 * binary), so parameters hold no pointers: the suite name is inline. */
typedef struct wire_case {
	char suite[32];
	size_t chunk;   /* the handshake fed this many bytes at a time (0: whole) */
	int no_tickets; /* else OpenSSL's two NewSessionTickets take seq 0 and 1 */
	int early;      /* the client's request written before the handshake */
} wire_case;

ParameterizedTestParameters(ktls, export_matches_wire)
{
	static wire_case cases[] = {
		{"TLS_AES_128_GCM_SHA256", 0, 0, 0},
		{"TLS_AES_256_GCM_SHA384", 0, 0, 0},
		{"TLS_CHACHA20_POLY1305_SHA256", 0, 0, 0},
		{"TLS_AES_128_GCM_SHA256", 1, 0, 0},
		{"TLS_AES_256_GCM_SHA384", 1, 0, 1},
		{"TLS_CHACHA20_POLY1305_SHA256", 1, 1, 0},
		{"TLS_AES_128_GCM_SHA256", 0, 1, 1},
		{"TLS_CHACHA20_POLY1305_SHA256", 0, 0, 1},
	};
	return cr_make_param_array(wire_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(wire_case *w, ktls, export_matches_wire)
{
	pair p;
	pair_open(&p, w->suite, RB_TLS_V1_3, w->no_tickets, 1);
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	if (w->early)
		cr_assert(rb_tls_write(p.c.t, req, sizeof(req) - 1) == 0);
	pair_connect(&p, w->chunk);
	if (w->early)
		cr_assert(p.s.got.len == sizeof(req) - 1);

	/* The clean point for all four: everything sent and opened. */
	rb_ktls_crypto stx, srx, ctx, crx;
	export_ok(p.s.t, RB_KTLS_TX, &stx);
	export_ok(p.s.t, RB_KTLS_RX, &srx);
	export_ok(p.c.t, RB_KTLS_TX, &ctx);
	export_ok(p.c.t, RB_KTLS_RX, &crx);
	cr_assert(stx.u.info.version == TLS_1_3_VERSION && stx.len > 0);
	/* Each direction: both ends derived the same keys and count the same. */
	cr_assert(stx.len == crx.len && !memcmp(&stx.u, &crx.u, stx.len));
	cr_assert(ctx.len == srx.len && !memcmp(&ctx.u, &srx.u, ctx.len));
	/* The tickets the server sent consumed write sequence numbers; the
	 * early request one of the client's. */
	cr_assert(crypto_seq(&stx) == (w->no_tickets ? 0u : 2u), "server TX seq %llu",
		  (unsigned long long)crypto_seq(&stx));
	cr_assert(crypto_seq(&ctx) == (w->early ? 1u : 0u));

	/* Server to client: 16 small writes flushed once (one record), then a
	 * 40 KiB write (three records): both flushes in one pending span. */
	static char msg[16 * 11 + 40 * 1024];
	size_t mlen = 0;
	for (int i = 0; i < 16; i++) {
		int k = snprintf(msg + mlen, 12, "response%02d;", i);
		cr_assert(rb_tls_write(p.s.t, msg + mlen, (size_t)k) == 0);
		mlen += (size_t)k;
	}
	cr_assert(rb_tls_flush(p.s.t) == 0);
	for (size_t i = 0; i < 40 * 1024; i++)
		msg[mlen + i] = (char)('a' + i % 26);
	cr_assert(rb_tls_write(p.s.t, msg + mlen, 40 * 1024) == 0);
	mlen += 40 * 1024;
	cr_assert(rb_tls_flush(p.s.t) == 0);
	cr_assert(check_wire(&p.s, &p.c, &stx, msg, mlen) == 4);

	/* Client to server: one request, then three pipelined in one flush. */
	cr_assert(rb_tls_write(p.c.t, req, sizeof(req) - 1) == 0);
	cr_assert(rb_tls_flush(p.c.t) == 0);
	size_t before = p.s.got.len;
	cr_assert(check_wire(&p.c, &p.s, &ctx, req, sizeof(req) - 1) == 1);
	cr_assert(p.s.got.len == before + sizeof(req) - 1);

	/* And again from where the last check left off: the exports are now
	 * stale by the records since, and a fresh one is not. */
	rb_ktls_crypto again;
	export_ok(p.s.t, RB_KTLS_TX, &again);
	cr_assert(crypto_seq(&again) == crypto_seq(&stx) + 4);
	export_ok(p.c.t, RB_KTLS_RX, &crx);
	cr_assert(!memcmp(&again.u, &crx.u, again.len));
	char three[3 * (sizeof(req) - 1)];
	for (int i = 0; i < 3; i++)
		memcpy(three + (size_t)i * (sizeof(req) - 1), req, sizeof(req) - 1);
	cr_assert(rb_tls_write(p.s.t, three, sizeof(three)) == 0);
	cr_assert(rb_tls_flush(p.s.t) == 0);
	cr_assert(check_wire(&p.s, &p.c, &again, three, sizeof(three)) == 1);
	rb_ktls_crypto_wipe(&stx);
	pair_close(&p);
}

/* A KeyUpdate in user space (the server asks, the client answers with its
 * own): both directions renumber from 0 under the next secret ("traffic
 * upd"), and the export follows. */
Test(ktls, export_after_key_update)
{
	pair p;
	pair_open(&p, "TLS_AES_256_GCM_SHA384", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	rb_ktls_crypto old;
	export_ok(p.s.t, RB_KTLS_TX, &old);
	cr_assert(rb_tls_key_update(p.s.t, 1) == 0);
	pump(&p.c, &p.s, 0); /* the client reads it, answers with its own */
	cr_assert(!p.c.failed && !p.s.failed);
	rb_ktls_crypto stx, crx, ctx, srx;
	export_ok(p.s.t, RB_KTLS_TX, &stx);
	export_ok(p.c.t, RB_KTLS_RX, &crx);
	export_ok(p.c.t, RB_KTLS_TX, &ctx);
	export_ok(p.s.t, RB_KTLS_RX, &srx);
	cr_assert(crypto_seq(&stx) == 0 && crypto_seq(&ctx) == 0);
	cr_assert(memcmp(old.u.gcm256.key, stx.u.gcm256.key, sizeof(stx.u.gcm256.key)),
		  "the key did not change");
	cr_assert(!memcmp(&stx.u, &crx.u, stx.len) && !memcmp(&ctx.u, &srx.u, ctx.len));
	static const char m[] = "after the update";
	cr_assert(rb_tls_write(p.s.t, m, sizeof(m) - 1) == 0 && rb_tls_flush(p.s.t) == 0);
	check_wire(&p.s, &p.c, &stx, m, sizeof(m) - 1);
	cr_assert(rb_tls_write(p.c.t, m, sizeof(m) - 1) == 0 && rb_tls_flush(p.c.t) == 0);
	check_wire(&p.c, &p.s, &ctx, m, sizeof(m) - 1);
	pair_close(&p);
}

/* ---- refusals and clean points ---------------------------------------------- */

static void export_no(rb_tls *t, enum rb_ktls_dir d, int want, const char *why_has)
{
	rb_ktls_crypto c;
	char why[200] = "";
	int r = rb_tls_ktls_export(t, d, &c, why, sizeof(why));
	cr_assert(r == want, "export: %d (%s), not %d", r, why, want);
	cr_assert(strstr(why, why_has), "why: %s", why);
}

Test(ktls, tls12_and_other_suites_stay)
{
	pair p;
	pair_open(&p, NULL, RB_TLS_V1_2, 0, 1);
	pair_connect(&p, 0);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_ERROR, "kTLS: TLS 1.2 stays in user space");
	export_no(p.c.t, RB_KTLS_RX, RB_TLS_ERROR, "kTLS: TLS 1.2 stays in user space");
	pair_close(&p);

	pair_open(&p, "TLS_AES_128_CCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_ERROR, "suite stays in user space");
	pair_close(&p);

	/* A context not asked for kTLS keeps nothing. */
	pair_open(&p, NULL, RB_TLS_V1_3, 0, 0);
	pair_connect(&p, 0);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_ERROR, "rb_tls_opts.ktls");
	pair_close(&p);
}

Test(ktls, clean_points)
{
	pair p;
	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	/* Before the handshake: later. */
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_WANT, "handshake is not done");
	pair_connect(&p, 0);

	/* TX: written, not flushed; flushed, not sent: not yet. */
	static const char m[] = "0123456789abcdef";
	cr_assert(rb_tls_write(p.s.t, m, 16) == 0);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_WANT, "not all sent");
	cr_assert(rb_tls_flush(p.s.t) == 0);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_WANT, "not all sent");

	/* RX: half a record fed, then a whole record read only in part. */
	const char *w;
	size_t n = rb_tls_pending_out(p.s.t, &w);
	rb_ktls_crypto before;
	export_ok(p.c.t, RB_KTLS_RX, &before);
	cr_assert(rb_tls_feed(p.c.t, w, n / 2) == 0);
	char buf[64];
	cr_assert(rb_tls_read(p.c.t, buf, sizeof(buf)) == RB_TLS_WANT);
	export_no(p.c.t, RB_KTLS_RX, RB_TLS_WANT, "not all opened");
	cr_assert(rb_tls_feed(p.c.t, w + n / 2, n - n / 2) == 0);
	rb_tls_consumed_out(p.s.t, n);
	cr_assert(rb_tls_read(p.c.t, buf, 4) == 4); /* 12 bytes left in OpenSSL */
	export_no(p.c.t, RB_KTLS_RX, RB_TLS_WANT, "not all opened");
	cr_assert(rb_tls_read(p.c.t, buf + 4, sizeof(buf) - 4) == 12);
	cr_assert(!memcmp(buf, m, 16));
	rb_ktls_crypto after, stx;
	export_ok(p.c.t, RB_KTLS_RX, &after);
	export_ok(p.s.t, RB_KTLS_TX, &stx);
	cr_assert(crypto_seq(&after) == crypto_seq(&before) + 1);
	cr_assert(!memcmp(&after.u, &stx.u, stx.len));
	pair_close(&p);
}

/* After a TX commit the session seals nothing more: writes are refused, and a
 * peer's KeyUpdate request (whose answer would need sealing) fails the
 * session, which says why; RX committed is reported too. */
Test(ktls, commit_stops_user_space_sealing)
{
	pair p;
	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	rb_ktls_crypto c;
	export_ok(p.s.t, RB_KTLS_TX, &c);
	rb_tls_ktls_commit(p.s.t, RB_KTLS_TX);
	cr_assert(rb_tls_ktls_state(p.s.t) == RB_KTLS_STATE_TX);
	cr_assert(rb_tls_write(p.s.t, "x", 1) == -1);
	cr_assert(rb_tls_key_update(p.s.t, 0) == RB_TLS_ERROR);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_ERROR, "already handed over");
	cr_assert(rb_tls_shutdown(p.s.t) == 0);
	const char *w;
	cr_assert(rb_tls_pending_out(p.s.t, &w) == 0, "close_notify is the kernel's to send");

	export_ok(p.s.t, RB_KTLS_RX, &c);
	rb_tls_ktls_commit(p.s.t, RB_KTLS_RX);
	cr_assert(rb_tls_ktls_state(p.s.t) == (RB_KTLS_STATE_TX | RB_KTLS_STATE_RX));
	pair_close(&p);

	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	export_ok(p.s.t, RB_KTLS_TX, &c);
	rb_tls_ktls_commit(p.s.t, RB_KTLS_TX);
	cr_assert(rb_tls_key_update(p.c.t, 1) == 0);
	move(&p.c, &p.s, 0);
	cr_assert(p.s.failed);
	const char *msg;
	cr_assert(rb_tls_error(p.s.t, &msg) == RB_TLS_ERR_IO);
	cr_assert(strstr(msg, "KeyUpdate after TX went to the kernel"), "%s", msg);

	/* The KeyUpdate and data in one receive: the read that returns the data
	 * takes the KeyUpdate with it, and the drained read after it must still
	 * see that an answer is owed (here: the session fails; before a commit:
	 * the answer is sealed at once). */
	pair_close(&p);
	for (int committed = 0; committed < 2; committed++) {
		pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
		pair_connect(&p, 0);
		if (committed) {
			export_ok(p.s.t, RB_KTLS_TX, &c);
			rb_tls_ktls_commit(p.s.t, RB_KTLS_TX);
		}
		cr_assert(rb_tls_key_update(p.c.t, 1) == 0);
		cr_assert(rb_tls_write(p.c.t, "GET", 3) == 0 && rb_tls_flush(p.c.t) == 0);
		const char *out;
		size_t n = rb_tls_pending_out(p.c.t, &out);
		cr_assert(rb_tls_feed(p.s.t, out, n) == 0);
		rb_tls_consumed_out(p.c.t, n);
		step(&p.s);
		cr_assert(p.s.got.len == 3, "the data came through: %zu", p.s.got.len);
		if (committed) {
			cr_assert(p.s.failed && rb_tls_error(p.s.t, &msg) == RB_TLS_ERR_IO);
			cr_assert(strstr(msg, "KeyUpdate after TX went to the kernel"), "%s", msg);
		} else {
			cr_assert(!p.s.failed && rb_tls_pending_out(p.s.t, &out) > 0,
				  "the KeyUpdate answer waits for the next write");
		}
		pair_close(&p);
	}

	/* Dropped: both directions stay in user space for good. */
	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	rb_tls_ktls_drop(p.c.t);
	export_no(p.c.t, RB_KTLS_TX, RB_TLS_ERROR, "given up");
	cr_assert(rb_tls_write(p.c.t, "x", 1) == 0 && rb_tls_flush(p.c.t) == 0);
	move(&p.c, &p.s, 0);
	cr_assert(p.s.got.len == 1);
	pair_close(&p);

	/* One direction dropped (rbserver: TX refused, RX tried later): the
	 * other still exports, and its keys still open the peer's records. */
	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	rb_tls_ktls_drop_dir(p.s.t, RB_KTLS_TX);
	export_no(p.s.t, RB_KTLS_TX, RB_TLS_ERROR, "given up for this direction");
	rb_ktls_crypto srx, ctx;
	export_ok(p.s.t, RB_KTLS_RX, &srx);
	export_ok(p.c.t, RB_KTLS_TX, &ctx);
	cr_assert(srx.len == ctx.len && !memcmp(&srx.u, &ctx.u, ctx.len));
	rb_tls_ktls_drop_dir(p.s.t, RB_KTLS_RX);
	export_no(p.s.t, RB_KTLS_RX, RB_TLS_ERROR, "given up for this direction");
	pair_close(&p);
}

/* ---- the install, against this kernel ---------------------------------------- */

static void tcp_pair(int fds[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	cr_assert(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0);
	cr_assert(getsockname(l, (struct sockaddr *)&a, &al) == 0);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(connect(fds[0], (struct sockaddr *)&a, sizeof(a)) == 0);
	fds[1] = accept(l, NULL, NULL);
	cr_assert(fds[1] >= 0);
	close(l);
}

Test(ktls, install_here)
{
	pair p;
	pair_open(&p, "TLS_AES_128_GCM_SHA256", RB_TLS_V1_3, 0, 1);
	pair_connect(&p, 0);
	rb_ktls_crypto c;
	export_ok(p.s.t, RB_KTLS_TX, &c);
	int fds[2];
	tcp_pair(fds);
	char why[200] = "", probe[200] = "";
	int has =
		rb_tls_ktls_probe("/proc/sys/net/ipv4/tcp_available_ulp", 0, probe, sizeof(probe));
	int r = rb_ktls_install(fds[1], RB_KTLS_TX, &c, why, sizeof(why));
	rb_ktls_crypto_wipe(&c);
	static const char m[] = "plaintext";
	char buf[256];
	if (!has) {
		/* This kernel: refused at TCP_ULP, the socket plain TCP as before,
		 * the session still sealing in user space. */
		cr_assert(r == -ENOENT, "install: %d %s", r, why);
		cr_assert(strstr(why, "TCP_ULP") && strstr(why, "no tls module"), "%s", why);
		rb_tls_ktls_drop(p.s.t);
		cr_assert(rb_tls_write(p.s.t, m, sizeof(m) - 1) == 0 && rb_tls_flush(p.s.t) == 0);
		const char *w;
		size_t n = rb_tls_pending_out(p.s.t, &w);
		cr_assert(send(fds[1], w, n, 0) == (ssize_t)n);
		rb_tls_consumed_out(p.s.t, n);
		size_t got = 0;
		while (got < n) {
			ssize_t k = recv(fds[0], buf + got, sizeof(buf) - got, 0);
			cr_assert(k > 0);
			got += (size_t)k;
		}
		cr_assert(rb_tls_feed(p.c.t, buf, got) == 0);
	} else {
		/* A kernel with the ULP: the record is sealed by the kernel and
		 * opened by the client session in user space. */
		cr_assert(r == 0, "install: %d %s", r, why);
		rb_tls_ktls_commit(p.s.t, RB_KTLS_TX);
		cr_assert(send(fds[1], m, sizeof(m) - 1, 0) == (ssize_t)(sizeof(m) - 1));
		ssize_t k = recv(fds[0], buf, sizeof(buf), 0);
		cr_assert(k > 5 && buf[0] == 23);
		cr_assert(rb_tls_feed(p.c.t, buf, (size_t)k) == 0);
	}
	step(&p.c);
	cr_assert(!p.c.failed && p.c.got.len == sizeof(m) - 1 &&
		  !memcmp(p.c.got.data, m, p.c.got.len));
	close(fds[0]);
	close(fds[1]);
	pair_close(&p);
}

/* RB_FAULTS=ktls-try: the probe says yes without the ULP; no-ktls wins. */
Test(ktls, probe_ktls_try)
{
	char why[200];
	cr_assert(rb_tls_ktls_probe("/nonexistent/ulp", RB_FAULT_KTLS_TRY, why, sizeof(why)) == 1);
	cr_assert(rb_tls_ktls_probe("/nonexistent/ulp", RB_FAULT_KTLS_TRY | RB_FAULT_NO_KTLS, why,
				    sizeof(why)) == 0);
	cr_assert(strstr(why, "no-ktls"));
	unsigned bits;
	char err[256];
	cr_assert(rb_faults_parse("ktls-try", &bits, err, sizeof(err)) == 0 &&
		  bits == RB_FAULT_KTLS_TRY);
}
