/*
 * rb_tls: a client session and a server session talking purely in memory
 * (the test moves the ciphertext), and the client against a real peer,
 * `openssl s_server` on a loopback port, over a blocking socket the test
 * drives.  Certificates are made at test time in a temporary directory.
 */
#include "rb_buf.h"
#include "rb_faults.h"
#include "rb_tls.h"
#include "tls_pair.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- certificates ---------------------------------------------------------- */

static char dir[64];
static char cert[128], key[128], key2[128], junk[128], ulp[128];

static void run_ok(const char *cmd)
{
	int rc = system(cmd);
	cr_assert(rc == 0, "command failed (%d): %s", rc, cmd);
}

static void certs_make(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rbtls.XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
	snprintf(ulp, sizeof(ulp), "%s/ulp", dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1 && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s "
		 ">/dev/null 2>&1 && echo 'not a certificate' > %s",
		 key, cert, key2, junk);
	run_ok(cmd);
}

static void certs_remove(void)
{
	if (!dir[0] || strncmp(dir, "/tmp/rbtls.", 11))
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
}

TestSuite(tls, .init = certs_make, .fini = certs_remove, .timeout = 30.);

/* ---- two sessions in memory ------------------------------------------------ */

/* A handshake from the client's first call to quiet. */
static void connect_pair(peer *c, peer *s, size_t chunk)
{
	step(c); /* the client hello */
	pump(c, s, chunk);
}

typedef struct pair {
	rb_tls_ctx *sctx, *cctx;
	peer c, s;
} pair;

static rb_tls_ctx *server_ctx(const rb_tls_opts *o)
{
	char err[256] = "";
	rb_tls_ctx *x = rb_tls_server_ctx_new(cert, key, o, err, sizeof(err));
	cr_assert(x, "server context: %s", err);
	return x;
}

static rb_tls_ctx *client_ctx(const rb_tls_opts *o)
{
	char err[256] = "";
	rb_tls_ctx *x = rb_tls_client_ctx_new(o, err, sizeof(err));
	cr_assert(x, "client context: %s", err);
	return x;
}

static rb_tls_opts trusting(void)
{
	rb_tls_opts o = {.cafile = cert};
	return o;
}

static void pair_open(pair *p, rb_tls_ctx *sctx, rb_tls_ctx *cctx, const char *host)
{
	memset(&p->c, 0, sizeof(p->c));
	memset(&p->s, 0, sizeof(p->s));
	p->sctx = sctx;
	p->cctx = cctx;
	p->s.t = rb_tls_new(sctx, NULL);
	p->c.t = rb_tls_new(cctx, host);
	cr_assert(p->s.t && p->c.t);
}

static void pair_close(pair *p)
{
	rb_tls_free(p->c.t);
	rb_tls_free(p->s.t);
	rb_buf_free(&p->c.got);
	rb_buf_free(&p->s.got);
}

/* The sessions and both contexts (a test's own pair of contexts). */
static void pair_free(pair *p)
{
	pair_close(p);
	rb_tls_ctx_free(p->sctx);
	rb_tls_ctx_free(p->cctx);
}

static void expect_ok(const pair *p)
{
	const char *m = "";
	enum rb_tls_err k = rb_tls_error(p->c.t, &m);
	cr_assert(!p->c.failed, "client failed: %s: %s", rb_tls_err_name(k), m);
	k = rb_tls_error(p->s.t, &m);
	cr_assert(!p->s.failed, "server failed: %s: %s", rb_tls_err_name(k), m);
	cr_assert(p->c.done && p->s.done, "handshake not done");
}

static void expect_err(const peer *p, enum rb_tls_err kind, const char *needle)
{
	const char *m = "";
	enum rb_tls_err k = rb_tls_error(p->t, &m);
	cr_assert(p->failed, "no failure (want %s)", rb_tls_err_name(kind));
	cr_assert(k == kind, "kind %s (%s), want %s", rb_tls_err_name(k), m, rb_tls_err_name(kind));
	cr_assert(strstr(m, needle), "message '%s' lacks '%s'", m, needle);
}

static void send_text(peer *from, peer *to, pair *p, const char *text, size_t chunk)
{
	size_t before = to->got.len;
	cr_assert(rb_tls_write(from->t, text, strlen(text)) == 0);
	cr_assert(rb_tls_flush(from->t) == 0);
	pump(&p->c, &p->s, chunk);
	cr_assert(to->got.len - before == strlen(text));
	cr_assert(!memcmp(to->got.data + before, text, strlen(text)));
}

static void both_ways(pair *p, size_t chunk)
{
	send_text(&p->c, &p->s, p, "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n", chunk);
	send_text(&p->s, &p->c, p, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!",
		  chunk);
}

static void handshake_and_data(int version, size_t chunk, const char *want_version)
{
	rb_tls_opts co = trusting();
	co.max_version = version;
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, chunk);
	expect_ok(&p);
	rb_tls_facts f;
	cr_assert(rb_tls_get_facts(p.c.t, &f) == 0);
	cr_assert_str_eq(f.version, want_version);
	cr_assert_str_eq(f.alpn, "http/1.1");
	cr_assert(f.cipher && f.cipher[0]);
	cr_assert(!f.resumed);
	cr_assert(f.handshake_ns > 0);
	rb_tls_facts g;
	cr_assert(rb_tls_get_facts(p.s.t, &g) == 0);
	cr_assert_str_eq(g.version, want_version);
	cr_assert_str_eq(g.cipher, f.cipher);
	cr_assert_str_eq(g.alpn, "http/1.1");
	both_ways(&p, chunk);
	both_ways(&p, chunk);
	pair_free(&p);
}

Test(tls, handshake_tls13)
{
	handshake_and_data(RB_TLS_V1_3, 0, "TLSv1.3");
}

Test(tls, handshake_tls12)
{
	handshake_and_data(RB_TLS_V1_2, 0, "TLSv1.2");
}

/* Every split point of the ciphertext, both ways: fed one byte at a time. */
Test(tls, one_byte_at_a_time_tls13)
{
	handshake_and_data(RB_TLS_V1_3, 1, "TLSv1.3");
}

Test(tls, one_byte_at_a_time_tls12)
{
	handshake_and_data(RB_TLS_V1_2, 1, "TLSv1.2");
}

/* Count the records in ciphertext by their 5-byte headers. */
static int count_records(const char *p, size_t n, int *app)
{
	int count = 0;
	*app = 0;
	size_t off = 0;
	while (off + 5 <= n) {
		size_t len = ((size_t)(unsigned char)p[off + 3] << 8) | (unsigned char)p[off + 4];
		if ((unsigned char)p[off] == 23)
			(*app)++;
		count++;
		off += 5 + len;
	}
	cr_assert(off == n, "records do not tile the ciphertext (%zu of %zu)", off, n);
	return count;
}

static void batch_records(int version)
{
	rb_tls_opts co = trusting();
	co.max_version = version;
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, 0);
	expect_ok(&p);
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
	for (int i = 0; i < 16; i++)
		cr_assert(rb_tls_write(p.s.t, resp, strlen(resp)) == 0);
	const char *out;
	cr_assert(rb_tls_pending_out(p.s.t, &out) == 0, "sealed before the flush");
	cr_assert(rb_tls_flush(p.s.t) == 0);
	size_t n = rb_tls_pending_out(p.s.t, &out);
	int app, records = count_records(out, n, &app);
	cr_assert(records <= 2 && app >= 1, "16 writes became %d records", records);
	cr_assert(n < 16 * strlen(resp) + 2 * 64, "ciphertext %zu bytes", n);
	pump(&p.c, &p.s, 0);
	cr_assert(p.c.got.len == 16 * strlen(resp));

	/* A 40 KiB body: one record per 16 KiB. */
	static char big[40 * 1024];
	memset(big, 'x', sizeof(big));
	cr_assert(rb_tls_write(p.s.t, big, sizeof(big)) == 0);
	cr_assert(rb_tls_flush(p.s.t) == 0);
	n = rb_tls_pending_out(p.s.t, &out);
	records = count_records(out, n, &app);
	cr_assert(app == 3, "40 KiB became %d application records", app);
	pump(&p.c, &p.s, 0);
	cr_assert(p.c.got.len == 16 * strlen(resp) + sizeof(big));
	pair_free(&p);
}

Test(tls, batch_of_16_writes_is_one_record_tls13)
{
	batch_records(RB_TLS_V1_3);
}

Test(tls, batch_of_16_writes_is_one_record_tls12)
{
	batch_records(RB_TLS_V1_2);
}

/* The client's request written before the handshake completes leaves with
 * its Finished, in the same bytes. */
Test(tls, write_before_handshake_rides_with_finished)
{
	rb_tls_opts co = trusting();
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	const char *req = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	cr_assert(rb_tls_write(p.c.t, req, strlen(req)) == 0);
	cr_assert(rb_tls_flush(p.c.t) == 0); /* kept: not sealed before the handshake */
	step(&p.c);
	move(&p.c, &p.s, 0); /* hello */
	move(&p.s, &p.c, 0); /* server flight: the client completes */
	cr_assert(p.c.done);
	const char *out;
	size_t n = rb_tls_pending_out(p.c.t, &out);
	int app;
	count_records(out, n, &app);
	cr_assert(app >= 2, "Finished and the request: %d encrypted records", app);
	pump(&p.c, &p.s, 0);
	expect_ok(&p);
	cr_assert(p.s.got.len == strlen(req) && !memcmp(p.s.got.data, req, strlen(req)));
	pair_free(&p);
}

/* What rb_tls_pending_out lends stays put while more is written, flushed and
 * read; a short send leaves the rest first in line. */
Test(tls, pending_out_stays_put)
{
	rb_tls_opts co = trusting();
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, 0);
	expect_ok(&p);
	cr_assert(rb_tls_write(p.s.t, "first", 5) == 0 && rb_tls_flush(p.s.t) == 0);
	const char *a;
	size_t na = rb_tls_pending_out(p.s.t, &a);
	cr_assert(na > 0);
	char copy[256];
	cr_assert(na <= sizeof(copy));
	memcpy(copy, a, na);
	static char more[64 * 1024];
	for (int i = 0; i < 4; i++)
		cr_assert(rb_tls_write(p.s.t, more, sizeof(more)) == 0 && rb_tls_flush(p.s.t) == 0);
	const char *a2;
	cr_assert(rb_tls_pending_out(p.s.t, &a2) == na && a2 == a && !memcmp(a, copy, na));
	rb_tls_consumed_out(p.s.t, 3); /* a short send */
	cr_assert(rb_tls_pending_out(p.s.t, &a2) == na - 3 && a2 == a + 3);
	cr_assert(rb_tls_feed(p.c.t, copy, na) == 0);
	rb_tls_consumed_out(p.s.t, na - 3);
	step(&p.c);
	cr_assert(p.c.got.len == 5 && !memcmp(p.c.got.data, "first", 5));
	pump(&p.c, &p.s, 0);
	cr_assert(p.c.got.len == 5 + 4 * sizeof(more));
	pair_free(&p);
}

/* A first connection stores the ticket; the second, on the same client
 * context, resumes with it (both ends say so). */
static void resumption(int version, int no_tickets, int no_resume, int want)
{
	rb_tls_opts so = {.no_tickets = no_tickets};
	rb_tls_opts co = trusting();
	co.max_version = version;
	co.no_resume = no_resume;
	rb_tls_ctx *sctx = server_ctx(&so), *cctx = client_ctx(&co);
	for (int i = 0; i < 2; i++) {
		pair p;
		pair_open(&p, sctx, cctx, "localhost");
		connect_pair(&p.c, &p.s, 0);
		expect_ok(&p);
		both_ways(&p, 0);
		rb_tls_facts fc, fs;
		cr_assert(rb_tls_get_facts(p.c.t, &fc) == 0 && rb_tls_get_facts(p.s.t, &fs) == 0);
		int expect = i == 1 ? want : 0;
		cr_assert(fc.resumed == expect && fs.resumed == expect,
			  "connection %d: client resumed %d, server %d, want %d", i, fc.resumed,
			  fs.resumed, expect);
		pair_close(&p);
	}
	rb_tls_ctx_free(sctx);
	rb_tls_ctx_free(cctx);
}

Test(tls, resumption_ticket_tls13)
{
	resumption(RB_TLS_V1_3, 0, 0, 1);
}

Test(tls, resumption_ticket_tls12)
{
	resumption(RB_TLS_V1_2, 0, 0, 1);
}

Test(tls, no_tickets_no_resumption)
{
	resumption(RB_TLS_V1_3, 1, 0, 0);
	resumption(RB_TLS_V1_2, 1, 0, 0);
}

Test(tls, client_no_resume)
{
	resumption(RB_TLS_V1_3, 0, 1, 0);
}

/* A session saved for one name is not offered to another. */
Test(tls, resumption_per_name)
{
	rb_tls_opts co = trusting();
	rb_tls_ctx *sctx = server_ctx(NULL), *cctx = client_ctx(&co);
	const char *names[] = {"localhost", "127.0.0.1"};
	for (int i = 0; i < 2; i++) {
		pair p;
		pair_open(&p, sctx, cctx, names[i]);
		connect_pair(&p.c, &p.s, 0);
		expect_ok(&p);
		rb_tls_facts f;
		cr_assert(rb_tls_get_facts(p.c.t, &f) == 0 && !f.resumed);
		pair_close(&p);
	}
	rb_tls_ctx_free(sctx);
	rb_tls_ctx_free(cctx);
}

static void verify_case(const rb_tls_opts *co, const char *host, int ok, const char *needle)
{
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(co), host);
	connect_pair(&p.c, &p.s, 0);
	if (ok) {
		expect_ok(&p);
	} else {
		expect_err(&p.c, RB_TLS_ERR_CERTIFICATE, needle);
		/* The client's alert reaches the server, which names it. */
		cr_assert(p.s.failed);
		cr_assert(rb_tls_error(p.s.t, NULL) == RB_TLS_ERR_ALERT);
	}
	pair_free(&p);
}

Test(tls, verify_self_signed_refused_by_default)
{
	rb_tls_opts co = {0}; /* the system store: our certificate is in none */
	verify_case(&co, "localhost", 0, "self-signed");
}

Test(tls, verify_with_cafile_or_insecure)
{
	rb_tls_opts co = trusting();
	verify_case(&co, "localhost", 1, "");
	verify_case(&co, "127.0.0.1", 1, "");
	rb_tls_opts k = {.insecure = 1};
	verify_case(&k, "localhost", 1, "");
	verify_case(&k, "wrong.example", 1, "");
}

Test(tls, verify_wrong_name)
{
	rb_tls_opts co = trusting();
	verify_case(&co, "wrong.example", 0, "hostname mismatch");
	verify_case(&co, "127.0.0.2", 0, "IP address mismatch");
}

/* No cipher in common: the server finds none (tls-handshake, "no shared
 * cipher") and says so with a handshake_failure alert, which is what the
 * client sees (tls-alert, "handshake failure"). */
Test(tls, no_shared_cipher)
{
	rb_tls_opts so = {.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256",
			  .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"};
	rb_tls_opts co = trusting();
	co.ciphersuites = "TLS_AES_128_GCM_SHA256";
	co.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
	for (int v = 0; v < 2; v++) {
		co.max_version = v ? RB_TLS_V1_2 : RB_TLS_V1_3;
		pair p;
		pair_open(&p, server_ctx(&so), client_ctx(&co), "localhost");
		connect_pair(&p.c, &p.s, 0);
		expect_err(&p.s, RB_TLS_ERR_HANDSHAKE, "no shared cipher");
		expect_err(&p.c, RB_TLS_ERR_ALERT, "handshake failure");
		pair_free(&p);
	}
}

Test(tls, no_shared_version)
{
	rb_tls_opts so = {.min_version = RB_TLS_V1_3};
	rb_tls_opts co = trusting();
	co.max_version = RB_TLS_V1_2;
	pair p;
	pair_open(&p, server_ctx(&so), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, 0);
	expect_err(&p.s, RB_TLS_ERR_HANDSHAKE, "unsupported protocol");
	expect_err(&p.c, RB_TLS_ERR_ALERT, "protocol version");
	pair_free(&p);
}

/* close_notify from either side: the other reads RB_TLS_CLOSED, can still
 * send (a half close), and answers with its own. */
Test(tls, close_notify_both_ways)
{
	rb_tls_opts co = trusting();
	for (int who = 0; who < 2; who++) {
		pair p;
		pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
		connect_pair(&p.c, &p.s, 0);
		expect_ok(&p);
		peer *a = who ? &p.s : &p.c, *b = who ? &p.c : &p.s;
		cr_assert(rb_tls_write(a->t, "last", 4) == 0);
		cr_assert(rb_tls_shutdown(a->t) == 0); /* flushes first */
		cr_assert(rb_tls_write(a->t, "x", 1) == -1, "written after the shutdown");
		pump(&p.c, &p.s, 0);
		cr_assert(b->closed && !b->failed);
		cr_assert(b->got.len == 4 && !memcmp(b->got.data, "last", 4));
		cr_assert(rb_tls_read(b->t, (char[8]){0}, 8) == RB_TLS_CLOSED);
		cr_assert(rb_tls_write(b->t, "tail", 4) == 0 && rb_tls_flush(b->t) == 0);
		cr_assert(rb_tls_shutdown(b->t) == 0);
		pump(&p.c, &p.s, 0);
		cr_assert(a->got.len == 4 && !memcmp(a->got.data, "tail", 4));
		cr_assert(a->closed && !a->failed);
		pair_free(&p);
	}
}

/* The peer's FIN without close_notify: tls-io, truncated (and during the
 * handshake: tls-handshake). */
Test(tls, eof_without_close_notify)
{
	rb_tls_opts co = trusting();
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, 0);
	expect_ok(&p);
	rb_tls_feed_eof(p.c.t);
	step(&p.c);
	expect_err(&p.c, RB_TLS_ERR_IO, "truncated");
	rb_tls_ctx *s = p.sctx, *c = p.cctx;
	pair_close(&p);
	rb_tls_ctx_free(s);

	pair q;
	pair_open(&q, server_ctx(NULL), c, "localhost");
	step(&q.c);
	rb_tls_feed_eof(q.c.t);
	step(&q.c);
	expect_err(&q.c, RB_TLS_ERR_HANDSHAKE, "closed during the handshake");
	s = q.sctx;
	pair_close(&q);
	rb_tls_ctx_free(s);
	rb_tls_ctx_free(c);
}

/* A corrupted record after the handshake: tls-io with OpenSSL's reason. */
Test(tls, corrupt_record)
{
	rb_tls_opts co = trusting();
	pair p;
	pair_open(&p, server_ctx(NULL), client_ctx(&co), "localhost");
	connect_pair(&p.c, &p.s, 0);
	expect_ok(&p);
	cr_assert(rb_tls_write(p.s.t, "hello", 5) == 0 && rb_tls_flush(p.s.t) == 0);
	const char *out;
	size_t n = rb_tls_pending_out(p.s.t, &out);
	char bad[256];
	cr_assert(n <= sizeof(bad));
	memcpy(bad, out, n);
	bad[n - 1] ^= 1; /* the tag */
	cr_assert(rb_tls_feed(p.c.t, bad, n) == 0);
	step(&p.c);
	expect_err(&p.c, RB_TLS_ERR_IO, "bad record mac");
	cr_assert(rb_tls_pending_out(p.c.t, &out) > 0, "no alert queued for the peer");
	pair_free(&p);
}

/* ---- context errors: one line naming the file and OpenSSL's reason ------- */

static void server_ctx_fails(const char *c, const char *k, const rb_tls_opts *o, const char *n1,
			     const char *n2)
{
	char err[256] = "";
	rb_tls_ctx *x = rb_tls_server_ctx_new(c, k, o, err, sizeof(err));
	cr_assert(!x, "accepted %s %s", c, k);
	cr_assert(strstr(err, n1) && strstr(err, n2), "'%s' lacks '%s' or '%s'", err, n1, n2);
	cr_assert(!strchr(err, '\n'));
}

Test(tls, server_ctx_errors)
{
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.pem", dir);
	server_ctx_fails(missing, key, NULL, missing, "No such file or directory");
	server_ctx_fails(cert, missing, NULL, missing, "No such file or directory");
	server_ctx_fails(junk, key, NULL, junk, "no start line");
	server_ctx_fails(cert, junk, NULL, junk, "key");
	server_ctx_fails(cert, key2, NULL, "does not match", key2);
	server_ctx_fails(cert, key2, NULL, cert, "mismatch");
	rb_tls_opts bad = {.ciphers = "NOT-A-CIPHER"};
	server_ctx_fails(cert, key, &bad, "NOT-A-CIPHER", "no cipher match");
	rb_tls_opts bad13 = {.ciphersuites = "TLS_NOT_A_SUITE"};
	server_ctx_fails(cert, key, &bad13, "TLS_NOT_A_SUITE", "no cipher match");
	rb_tls_opts inverted = {.min_version = RB_TLS_V1_3, .max_version = RB_TLS_V1_2};
	server_ctx_fails(cert, key, &inverted, "minimum version 1.3", "maximum 1.2");
}

Test(tls, client_ctx_errors)
{
	char err[256] = "";
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.pem", dir);
	rb_tls_opts o = {.cafile = missing};
	cr_assert(!rb_tls_client_ctx_new(&o, err, sizeof(err)));
	cr_assert(strstr(err, missing) && strstr(err, "No such file"), "%s", err);
	rb_tls_opts j = {.cafile = junk};
	cr_assert(!rb_tls_client_ctx_new(&j, err, sizeof(err)));
	cr_assert(strstr(err, junk), "%s", err);
}

Test(tls, version_parse_and_names)
{
	int v = 0;
	cr_assert(rb_tls_version_parse("1.2", &v) == 0 && v == RB_TLS_V1_2);
	cr_assert(rb_tls_version_parse("TLSv1.3", &v) == 0 && v == RB_TLS_V1_3);
	cr_assert(rb_tls_version_parse("tls1.3", &v) == 0 && v == RB_TLS_V1_3);
	cr_assert(rb_tls_version_parse("1.1", &v) == -1);
	cr_assert(rb_tls_version_parse("", &v) == -1);
	cr_assert_str_eq(rb_tls_err_name(RB_TLS_ERR_HANDSHAKE), "tls-handshake");
	cr_assert_str_eq(rb_tls_err_name(RB_TLS_ERR_CERTIFICATE), "tls-certificate");
	cr_assert_str_eq(rb_tls_err_name(RB_TLS_ERR_ALERT), "tls-alert");
	cr_assert_str_eq(rb_tls_err_name(RB_TLS_ERR_IO), "tls-io");
}

/* ---- kTLS probe ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

Test(tls, ktls_probe)
{
	char why[256] = "";
	write_file(ulp, "mptcp\n");
	cr_assert(rb_tls_ktls_probe(ulp, 0, why, sizeof(why)) == 0);
	cr_assert(strstr(why, "no tls ULP") && strstr(why, "mptcp"), "%s", why);
	write_file(ulp, "espintcp mptcp tls\n");
	cr_assert(rb_tls_ktls_probe(ulp, 0, why, sizeof(why)) == 1);
	cr_assert(rb_tls_ktls_probe(ulp, RB_FAULT_NO_KTLS, why, sizeof(why)) == 0);
	cr_assert(strstr(why, "RB_FAULTS=no-ktls"), "%s", why);
	write_file(ulp, "tlsx\n");
	cr_assert(rb_tls_ktls_probe(ulp, 0, why, sizeof(why)) == 0);
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	cr_assert(rb_tls_ktls_probe(missing, 0, why, sizeof(why)) == 0);
	cr_assert(strstr(why, "cannot read"), "%s", why);
}

/* Under RB_FAULTS=no-ktls the process-wide answer is no, logged once. */
Test(tls, ktls_fault_forces_fallback, .init = cr_redirect_stderr)
{
	setenv("RB_FAULTS", "no-ktls", 1);
	cr_assert(rb_faults_init() == 0);
	cr_assert(rb_faults() & RB_FAULT_NO_KTLS);
	cr_assert(rb_tls_ktls_available() == 0);
	cr_assert(rb_tls_ktls_available() == 0);
	fflush(stderr);
	char buf[1024] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	cr_assert(strstr(buf, "kTLS off, TLS records in user space: RB_FAULTS=no-ktls"), "%s", buf);
	int lines = 0;
	for (char *q = strstr(buf, "kTLS"); q; q = strstr(q + 1, "kTLS"))
		lines++;
	cr_assert(lines == 1, "logged %d times: %s", lines, buf);
}

/* ---- a real peer: openssl s_server, our client over a blocking socket ----- */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	socklen_t len = sizeof(a);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

static pid_t s_server_start(int port, const char *version_flag)
{
	char portarg[16];
	snprintf(portarg, sizeof(portarg), "%d", port);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test takes it along */
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close_range(3, ~0u, 0); /* nothing of Criterion's pipes */
		execlp("openssl", "openssl", "s_server", "-accept", portarg, "-cert", cert, "-key",
		       key, "-www", "-alpn", "http/1.1", "-naccept", "8", version_flag,
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void s_server_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
}

static int connect_retry(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	for (int i = 0; i < 100; i++) { /* up to 5 s for s_server to listen */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		cr_assert(fd >= 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			struct timeval tv = {.tv_sec = 5};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			return fd;
		}
		close(fd);
		usleep(50 * 1000);
	}
	cr_assert_fail("openssl s_server never listened on port %d", port);
	return -1;
}

static void send_out(rb_tls *t, int fd)
{
	const char *p;
	size_t n;
	while ((n = rb_tls_pending_out(t, &p)) > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		cr_assert(k > 0, "send: %s", strerror(errno));
		rb_tls_consumed_out(t, (size_t)k);
	}
}

/* One GET over TLS: the test does the socket I/O, rb_tls the TLS. */
static void s_server_get(int port, rb_tls_ctx *cctx, rb_tls_facts *f)
{
	int fd = connect_retry(port);
	rb_tls *t = rb_tls_new(cctx, "localhost");
	cr_assert(t);
	const char *req = "GET / HTTP/1.0\r\n\r\n";
	cr_assert(rb_tls_write(t, req, strlen(req)) == 0);
	rb_buf got = {0};
	int done = 0, end = 0;
	char net[4096], plain[4096];
	while (!end) {
		if (!done) {
			int r = rb_tls_handshake(t);
			if (r == 1)
				done = 1;
			const char *m = "";
			cr_assert(r != RB_TLS_ERROR, "handshake: %s", (rb_tls_error(t, &m), m));
		}
		for (int r; done && (r = rb_tls_read(t, plain, sizeof(plain))) != RB_TLS_WANT;) {
			if (r > 0) {
				cr_assert(rb_buf_append(&got, plain, (size_t)r) == 0);
				continue;
			}
			end = 1; /* closed, or an error (s_server -www may close abruptly) */
			break;
		}
		send_out(t, fd);
		if (end)
			break;
		ssize_t k = recv(fd, net, sizeof(net), 0);
		cr_assert(k >= 0, "recv: %s", strerror(errno));
		if (k == 0)
			rb_tls_feed_eof(t);
		else
			cr_assert(rb_tls_feed(t, net, (size_t)k) == 0);
	}
	cr_assert(rb_tls_get_facts(t, f) == 0);
	cr_assert(rb_buf_append(&got, "", 1) == 0);
	cr_assert(got.len > 1 && strstr(got.data, "HTTP/1.0 200 ok"), "answer: %.*s", (int)got.len,
		  got.data);
	rb_tls_shutdown(t);
	send_out(t, fd);
	close(fd);
	rb_tls_free(t);
	rb_buf_free(&got);
}

static void s_server_case(const char *flag, const char *want_version)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		cr_skip_test("openssl (the command) is not installed");
	int port = free_port();
	pid_t pid = s_server_start(port, flag);
	rb_tls_opts co = trusting();
	rb_tls_ctx *cctx = client_ctx(&co);
	rb_tls_facts f;
	s_server_get(port, cctx, &f);
	cr_assert_str_eq(f.version, want_version);
	cr_assert_str_eq(f.alpn, "http/1.1");
	cr_assert(!f.resumed);
	s_server_get(port, cctx, &f);
	cr_assert(f.resumed, "the second connection did not resume");
	s_server_stop(pid);
	rb_tls_ctx_free(cctx);
}

Test(tls, openssl_s_server_tls13)
{
	s_server_case("-tls1_3", "TLSv1.3");
}

Test(tls, openssl_s_server_tls12)
{
	s_server_case("-tls1_2", "TLSv1.2");
}

/* ---- a real peer on the other side: openssl s_client against our server -- */

static int listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 4) == 0);
	socklen_t len = sizeof(a);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static pid_t s_client_start(int port, const char *alpn, const char *in, const char *out)
{
	char connect_to[32];
	snprintf(connect_to, sizeof(connect_to), "127.0.0.1:%d", port);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);
		dup2(i, 0);
		dup2(o, 1);
		dup2(null, 2);
		close_range(3, ~0u, 0);
		execlp("openssl", "openssl", "s_client", "-connect", connect_to, "-servername",
		       "localhost", "-CAfile", cert, "-verify_return_error", "-alpn", alpn,
		       "-quiet", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int s_client_wait(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 200; i++) { /* 10 s */
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_fail("openssl s_client did not finish");
	return -1;
}

/* Serve one connection: read a request head, answer, close_notify. Returns
 * the session's result: 1 answered, or RB_TLS_ERROR (the session kept). */
static int serve_one(int lfd, rb_tls_ctx *sctx, rb_tls **out)
{
	int fd = accept(lfd, NULL, NULL);
	cr_assert(fd >= 0);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rb_tls *t = rb_tls_new(sctx, NULL);
	cr_assert(t);
	*out = t;
	rb_buf req = {0};
	char net[4096], plain[4096];
	int result = 0;
	while (!result) {
		int r;
		while ((r = rb_tls_read(t, plain, sizeof(plain))) > 0)
			cr_assert(rb_buf_append(&req, plain, (size_t)r) == 0);
		if (r == RB_TLS_ERROR || r == RB_TLS_CLOSED) {
			result = RB_TLS_ERROR;
		} else if (req.len >= 4 && !memcmp(req.data + req.len - 4, "\r\n\r\n", 4)) {
			const char *resp =
				"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
			cr_assert(rb_tls_write(t, resp, strlen(resp)) == 0);
			cr_assert(rb_tls_shutdown(t) == 0);
			result = 1;
		}
		send_out(t, fd);
		if (result)
			break;
		ssize_t k = recv(fd, net, sizeof(net), 0);
		cr_assert(k >= 0, "recv: %s", strerror(errno));
		if (k == 0)
			rb_tls_feed_eof(t);
		else
			cr_assert(rb_tls_feed(t, net, (size_t)k) == 0);
	}
	close(fd);
	rb_buf_free(&req);
	return result;
}

Test(tls, openssl_s_client_against_server)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		cr_skip_test("openssl (the command) is not installed");
	char in[160], out[160];
	snprintf(in, sizeof(in), "%s/request", dir);
	snprintf(out, sizeof(out), "%s/answer", dir);
	write_file(in, "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n");
	rb_tls_ctx *sctx = server_ctx(NULL);
	int port, lfd = listen_loopback(&port);

	pid_t pid = s_client_start(port, "http/1.1", in, out);
	rb_tls *t;
	int r = serve_one(lfd, sctx, &t);
	const char *m = "";
	cr_assert(r == 1, "server: %s", (rb_tls_error(t, &m), m));
	rb_tls_facts f;
	cr_assert(rb_tls_get_facts(t, &f) == 0);
	cr_assert_str_eq(f.version, "TLSv1.3");
	cr_assert_str_eq(f.alpn, "http/1.1");
	rb_tls_free(t);
	int st = s_client_wait(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "s_client status %d", st);
	char got[512] = "";
	FILE *fp = fopen(out, "r");
	cr_assert(fp);
	size_t n = fread(got, 1, sizeof(got) - 1, fp);
	fclose(fp);
	got[n] = '\0';
	cr_assert(strstr(got, "HTTP/1.1 200 OK") && strstr(got, "Hello, World!"), "got: %s", got);

	/* A client that offers only h2: no_application_protocol (RFC 7301). */
	pid = s_client_start(port, "h2", in, out);
	r = serve_one(lfd, sctx, &t);
	cr_assert(r == RB_TLS_ERROR);
	cr_assert(rb_tls_error(t, &m) == RB_TLS_ERR_HANDSHAKE, "%s", m);
	cr_assert(strstr(m, "no application protocol"), "%s", m);
	rb_tls_free(t);
	s_client_wait(pid);
	close(lfd);
	rb_tls_ctx_free(sctx);
}

/* Out of memory at every allocation rb_tls makes in turn (rb_buf_fail_every):
 * each run either completes or fails cleanly with a kind, never crashes or
 * leaks (ASan). */
Test(tls, out_of_memory_anywhere)
{
	rb_tls_opts co = trusting();
	rb_tls_ctx *sctx = server_ctx(NULL), *cctx = client_ctx(&co);
	int failed = 0;
	for (unsigned every = 1; every <= 12; every++) {
		pair p;
		pair_open(&p, sctx, cctx, "localhost");
		/* the test's own buffers allocate nothing under the switch */
		cr_assert(rb_buf_reserve(&p.c.got, 4096) == 0 &&
			  rb_buf_reserve(&p.s.got, 4096) == 0);
		rb_buf_fail_every(every);
		step(&p.c);
		for (int i = 0; i < 20; i++) {
			const char *ptr;
			size_t n = rb_tls_pending_out(p.c.t, &ptr);
			if (n && rb_tls_feed(p.s.t, ptr, n) == 0)
				step(&p.s);
			rb_tls_consumed_out(p.c.t, n);
			n = rb_tls_pending_out(p.s.t, &ptr);
			if (n && rb_tls_feed(p.c.t, ptr, n) == 0)
				step(&p.c);
			rb_tls_consumed_out(p.s.t, n);
			if (p.c.done && p.s.done && !p.s.got.len) {
				if (rb_tls_write(p.c.t, "ping", 4) == 0)
					rb_tls_flush(p.c.t);
			}
		}
		rb_buf_fail_every(0);
		if (p.c.failed || p.s.failed) {
			failed++;
			const char *m = "";
			enum rb_tls_err k = rb_tls_error(p.c.failed ? p.c.t : p.s.t, &m);
			cr_assert(k != RB_TLS_ERR_NONE && m[0]);
		}
		pair_close(&p);
	}
	cr_assert(failed > 0, "no allocation failure reached rb_tls");
	rb_tls_ctx_free(sctx);
	rb_tls_ctx_free(cctx);
}
