#include "rb_tls.h"
#include "rb_buf.h"
#include "rb_ktls.h"
#include "rb_clock.h"
#include "rb_faults.h"
#include "rb_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct rb_tls_ctx {
	SSL_CTX *ssl;
	int server;
	int no_resume;
	int ktls; /* opts.ktls: sessions keep what rb_tls_ktls_export needs */
	/* Client: the last resumable session, for the next session to the same
	 * name.  One entry: rbload talks to one server. */
	pthread_mutex_t mu;
	SSL_SESSION *saved;
	uint64_t saved_gen; /* bumped on each save */
	char saved_host[256];
};

/* Record framing of one direction's ciphertext, as it passes the BIO: where
 * the record boundaries are and how many records of outer type 23 (every
 * encrypted TLS 1.3 record) went by. */
typedef struct rb_tls_scan {
	uint8_t hdr[5], hn; /* the header being read, hn bytes of it */
	uint32_t left;      /* body bytes of the current record still to come */
	uint64_t n23;       /* records of outer type 23 whose header passed */
} rb_tls_scan;

/* What the kernel hand-over needs, per direction (0 = TX, 1 = RX).
 *
 * Sequence numbers.  TLS 1.3 numbers the records under each traffic key from
 * 0; the kernel must be told the next one.  OpenSSL 3 has no public call for
 * it, so rb_tls counts records of outer type 23 (every encrypted TLS 1.3
 * record) since the application key took effect in each direction:
 *  - TX: SSL_set_msg_callback reports each record's header as OpenSSL seals
 *    it (SSL3_RT_HEADER, write_p) and each handshake message after the
 *    record that carried it was sealed (ssl3_do_write, before the key change
 *    in the state machine's post_work).  Our Finished, then, is the last
 *    record under the handshake key: tx_seal at that moment is base[0], and
 *    the next write sequence number is tx_seal - base[0].  The count is taken
 *    at sealing, not in our BIO, because during the handshake OpenSSL writes
 *    through a buffering BIO of its own and flushes it later; at a TX clean
 *    point every sealed record must also have passed our BIO (scan[0].n23
 *    == tx_seal, at a record boundary), which checks the two counts agree.
 *  - RX: our BIO hands OpenSSL every byte it reads; scan[1] frames that
 *    stream (whatever the chunks: OpenSSL reads without read-ahead, header
 *    then body, so it stops at record ends, but the scan does not rely on
 *    it).  The peer's Finished is reported once its record was read, before
 *    it is processed and the read key changes: scan[1].n23 then is base[1].
 * The server's NewSessionTickets, sent after its Finished, are records under
 * the application key and so are counted; so is everything a pipelined
 * flush seals.  A KeyUpdate (a new key, numbering from 0 again) moves base
 * and the secret (rb_ktls_secret_update) the same way.  A key change that
 * does not end its record (which RFC 8446 5.1 forbids) makes that direction
 * unusable.
 *
 * Secrets: from the key-log callback (public API), matched to the session by
 * its client_random; kept only until exported or the session is done, then
 * wiped (OPENSSL_cleanse). */
typedef struct rb_tls_kt {
	rb_tls_scan scan[2];
	uint64_t tx_seal; /* records of outer type 23 OpenSSL sealed */
	uint64_t base[2];
	uint8_t secret[2][48];
	uint8_t slen[2];
	uint8_t app[2];     /* the application key is in force (Finished seen) */
	uint8_t bad[2];     /* this direction cannot be handed over (why: badwhy) */
	uint8_t kernel[2];  /* handed over (rb_tls_ktls_commit) */
	uint8_t late_write; /* OpenSSL wrote a record after TX went to the kernel */
	const char *badwhy[2];
} rb_tls_kt;

struct rb_tls {
	SSL *ssl;
	rb_tls_kt *kt; /* only with ctx->ktls; freed (wiped) with the session */
	rb_tls_ctx *ctx;
	rb_buf in;    /* ciphertext fed, not yet read by OpenSSL (from in.off) */
	rb_buf plain; /* plaintext written since the last flush */
	/* Outgoing ciphertext: OpenSSL's records land in out[w]; the owner sends
	 * out[!w] (lent by rb_tls_pending_out, never appended to, so a send in
	 * flight over it stays valid).  Swapped when out[!w] is all sent. */
	rb_buf out[2];
	int w;
	uint64_t hs_start_ns, hs_ns;
	char host[256];
	uint64_t saved_gen; /* the ctx's saved_gen when this session saved, or 0 */
	uint8_t hs_done, peer_closed, shut, eof, oom;
	int alert;           /* a fatal alert the peer sent (its description), or -1 */
	enum rb_tls_err err; /* the failure, once failed */
	char errmsg[200];
};

const char *rb_tls_err_name(enum rb_tls_err kind)
{
	static const char *const names[RB_TLS_ERR__COUNT] = {
		[RB_TLS_ERR_NONE] = "none",
		[RB_TLS_ERR_HANDSHAKE] = "tls-handshake",
		[RB_TLS_ERR_CERTIFICATE] = "tls-certificate",
		[RB_TLS_ERR_ALERT] = "tls-alert",
		[RB_TLS_ERR_IO] = "tls-io",
	};
	return (unsigned)kind < RB_TLS_ERR__COUNT ? names[kind] : "?";
}

int rb_tls_version_parse(const char *s, int *v)
{
	if (!strncasecmp(s, "tlsv", 4))
		s += 4;
	else if (!strncasecmp(s, "tls", 3))
		s += 3;
	if (!strcmp(s, "1.2"))
		*v = RB_TLS_V1_2;
	else if (!strcmp(s, "1.3"))
		*v = RB_TLS_V1_3;
	else
		return -1;
	return 0;
}

/* OpenSSL's reason for the oldest error queued (the cause; later ones wrap
 * it), then an empty queue. */
static const char *rb_tls_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	static __thread char buf[64];
	if (!r) {
		snprintf(buf, sizeof(buf), e ? "error %lu" : "unknown error", e);
		r = buf;
	}
	ERR_clear_error();
	return r;
}

/* ---- the BIO: both directions over the session's buffers ----------------- */

static void rb_tls_scan_bytes(rb_tls_scan *sc, const uint8_t *p, size_t n)
{
	while (n) {
		if (sc->left) {
			size_t k = n < sc->left ? n : sc->left;
			sc->left -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		sc->hdr[sc->hn++] = *p++;
		n--;
		if (sc->hn == sizeof(sc->hdr)) {
			sc->hn = 0;
			sc->left = (uint32_t)sc->hdr[3] << 8 | sc->hdr[4];
			if (sc->hdr[0] == 23)
				sc->n23++;
		}
	}
}

static int rb_tls_scan_boundary(const rb_tls_scan *sc)
{
	return !sc->hn && !sc->left;
}

static int rb_tls_bio_write(BIO *b, const char *data, int len)
{
	rb_tls *s = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (s->kt) {
		/* After TX went to the kernel, a record sealed here would carry a
		 * stale key and sequence number: refuse it, the session fails. */
		if (s->kt->kernel[0]) {
			s->kt->late_write = 1;
			return -1;
		}
		rb_tls_scan_bytes(&s->kt->scan[0], (const uint8_t *)data, (size_t)len);
	}
	if (rb_buf_append(&s->out[s->w], data, (size_t)len)) {
		s->oom = 1;
		return -1;
	}
	return len;
}

static int rb_tls_bio_read(BIO *b, char *buf, int len)
{
	rb_tls *s = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	size_t avail = s->in.len - s->in.off;
	if (avail == 0) {
		if (s->eof)
			return 0;
		BIO_set_retry_read(b);
		return -1;
	}
	size_t n = avail < (size_t)len ? avail : (size_t)len;
	memcpy(buf, s->in.data + s->in.off, n);
	if (s->kt)
		rb_tls_scan_bytes(&s->kt->scan[1], (const uint8_t *)buf, n);
	s->in.off += n;
	if (s->in.off == s->in.len)
		rb_buf_reset(&s->in);
	return (int)n;
}

static long rb_tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	rb_tls *s = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)(s->in.len - s->in.off);
	case BIO_CTRL_WPENDING:
		return 0; /* everything written is already ours */
	case BIO_CTRL_EOF:
		return s->eof && s->in.len == s->in.off;
	default:
		return 0; /* kTLS queries among them: not a socket, so no */
	}
}

static int rb_tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int rb_tls_bio_destroy(BIO *b)
{
	(void)b;
	return 1;
}

static BIO_METHOD *rb_tls_bio_method;
static pthread_once_t rb_tls_bio_once = PTHREAD_ONCE_INIT;

static void rb_tls_bio_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rb_tls memory");
	if (!m)
		return;
	BIO_meth_set_write(m, rb_tls_bio_write);
	BIO_meth_set_read(m, rb_tls_bio_read);
	BIO_meth_set_ctrl(m, rb_tls_bio_ctrl);
	BIO_meth_set_create(m, rb_tls_bio_create);
	BIO_meth_set_destroy(m, rb_tls_bio_destroy);
	rb_tls_bio_method = m;
}

/* ---- contexts ------------------------------------------------------------ */

static int rb_tls_file_ok(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return 0;
	}
	fclose(f);
	return 1;
}

/* ---- what the kernel hand-over needs ---------------------------------------- */

static int rb_tls_unhex(const char *h, size_t hexlen, uint8_t *out)
{
	for (size_t i = 0; i < hexlen / 2; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char ch = h[2 * i + (size_t)j];
			unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
				     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
				     : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
							      : 16u;
			if (d > 15)
				return -1;
			v = v << 4 | d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* OpenSSL's key log, one NSS-format line per secret: "LABEL <client_random
 * hex> <secret hex>".  Only the two application traffic secrets are kept, in
 * the session whose client_random the line names (the SSL given is that
 * session; the client_random check makes the match explicit), as TX or RX
 * by which end we are.  OpenSSL wipes its line after the call. */
static void rb_tls_keylog(const SSL *ssl, const char *line)
{
	rb_tls *s = SSL_get_app_data(ssl);
	if (!s || !s->kt)
		return;
	static const char cl[] = "CLIENT_TRAFFIC_SECRET_0 ", sl[] = "SERVER_TRAFFIC_SECRET_0 ";
	int client = !strncmp(line, cl, sizeof(cl) - 1);
	if (!client && strncmp(line, sl, sizeof(sl) - 1))
		return;
	const char *p = line + sizeof(cl) - 1; /* both labels have the same length */
	uint8_t cr[32], want[32];
	const char *sp = strchr(p, ' ');
	if (!sp || sp - p != 64 || rb_tls_unhex(p, 64, cr) ||
	    SSL_get_client_random(ssl, want, sizeof(want)) != sizeof(want) ||
	    memcmp(cr, want, sizeof(cr)))
		return;
	p = sp + 1;
	size_t hl = strlen(p);
	int d = client == !s->ctx->server ? 0 : 1; /* ours is TX, the peer's RX */
	if ((hl != 64 && hl != 96) || rb_tls_unhex(p, hl, s->kt->secret[d])) {
		OPENSSL_cleanse(s->kt->secret[d], sizeof(s->kt->secret[d]));
		return;
	}
	s->kt->slen[d] = (uint8_t)(hl / 2);
}

static void rb_tls_kt_bad(rb_tls_kt *k, int d, const char *why)
{
	if (!k->bad[d])
		k->badwhy[d] = why;
	k->bad[d] = 1;
	OPENSSL_cleanse(k->secret[d], sizeof(k->secret[d]));
	k->slen[d] = 0;
}

/* Handshake messages, reported after the record that carried them was
 * written or read (see rb_tls_kt): the key changes that follow a Finished or
 * a KeyUpdate start a new count. */
static void rb_tls_msg(int write_p, int version, int content_type, const void *buf, size_t len,
		       SSL *ssl, void *arg)
{
	(void)version;
	rb_tls *s = arg;
	if (len < 1 || !s || !s->kt)
		return;
	rb_tls_kt *k = s->kt;
	int type = ((const uint8_t *)buf)[0];
	if (content_type == SSL3_RT_HEADER) {
		if (write_p && type == 23)
			k->tx_seal++;
		return;
	}
	if (content_type != SSL3_RT_HANDSHAKE)
		return;
	int d = write_p ? 0 : 1;
	uint64_t now = d ? k->scan[1].n23 : k->tx_seal;
	/* Reading, the key change comes at a record end in the byte stream;
	 * writing, OpenSSL seals a whole message per record (our BIO may lag
	 * behind its buffering BIO, so it is not checked here). */
	int boundary = d ? rb_tls_scan_boundary(&k->scan[1]) : 1;
	if (type == SSL3_MT_FINISHED && !k->app[d]) {
		k->app[d] = 1;
		k->base[d] = now;
		if (!boundary)
			rb_tls_kt_bad(k, d, "the Finished did not end its record");
	} else if (type == SSL3_MT_KEY_UPDATE && k->app[d] && !k->bad[d]) {
		unsigned suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl));
		k->base[d] = now;
		if (!k->slen[d] || rb_ktls_secret_update(suite, k->secret[d], k->slen[d]))
			rb_tls_kt_bad(k, d, "no traffic secret to update after a KeyUpdate");
		else if (!boundary)
			rb_tls_kt_bad(k, d, "a KeyUpdate did not end its record");
	}
}

static int rb_tls_ctx_common(rb_tls_ctx *c, const rb_tls_opts *o, char *err, size_t errlen)
{
	int lo = o->min_version, hi = o->max_version;
	if ((lo && lo != RB_TLS_V1_2 && lo != RB_TLS_V1_3) ||
	    (hi && hi != RB_TLS_V1_2 && hi != RB_TLS_V1_3)) {
		snprintf(err, errlen, "TLS versions: only 1.2 and 1.3");
		return -1;
	}
	if (lo && hi && lo > hi) {
		snprintf(err, errlen, "TLS minimum version 1.%d above the maximum 1.%d",
			 lo & 0xff ? (lo & 0xff) - 1 : 0, hi & 0xff ? (hi & 0xff) - 1 : 0);
		return -1;
	}
	if ((lo && !SSL_CTX_set_min_proto_version(c->ssl, lo)) ||
	    (hi && !SSL_CTX_set_max_proto_version(c->ssl, hi))) {
		snprintf(err, errlen, "TLS versions: %s", rb_tls_reason());
		return -1;
	}
	if (o->ciphers && !SSL_CTX_set_cipher_list(c->ssl, o->ciphers)) {
		snprintf(err, errlen, "TLS 1.2 cipher list '%s': %s", o->ciphers, rb_tls_reason());
		return -1;
	}
	if (o->ciphersuites && !SSL_CTX_set_ciphersuites(c->ssl, o->ciphersuites)) {
		snprintf(err, errlen, "TLS 1.3 cipher suites '%s': %s", o->ciphersuites,
			 rb_tls_reason());
		return -1;
	}
	/* Renegotiation would re-enter the handshake under a running exchange. */
	SSL_CTX_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION);
	if (o->ktls) {
		c->ktls = 1;
		SSL_CTX_set_keylog_callback(c->ssl, rb_tls_keylog);
	}
	return 0;
}

static rb_tls_ctx *rb_tls_ctx_alloc(int server, char *err, size_t errlen)
{
	pthread_once(&rb_tls_bio_once, rb_tls_bio_init);
	rb_tls_ctx *c = calloc(1, sizeof(*c));
	if (!c || !rb_tls_bio_method) {
		free(c);
		snprintf(err, errlen, "TLS: out of memory");
		return NULL;
	}
	c->server = server;
	pthread_mutex_init(&c->mu, NULL);
	ERR_clear_error();
	c->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!c->ssl) {
		snprintf(err, errlen, "TLS context: %s", rb_tls_reason());
		pthread_mutex_destroy(&c->mu);
		free(c);
		return NULL;
	}
	return c;
}

static int rb_tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			      const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel = NULL;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol (RFC 7301) */
}

static int rb_tls_is_mismatch(unsigned long e)
{
	int r = ERR_GET_REASON(e);
	return (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		(r == X509_R_KEY_VALUES_MISMATCH || r == X509_R_KEY_TYPE_MISMATCH)) ||
	       (ERR_GET_LIB(e) == ERR_LIB_SSL && r == SSL_R_NO_CERTIFICATE_ASSIGNED);
}

rb_tls_ctx *rb_tls_server_ctx_new(const char *cert_path, const char *key_path,
				  const rb_tls_opts *opts, char *err, size_t errlen)
{
	static const rb_tls_opts none;
	const rb_tls_opts *o = opts ? opts : &none;
	if (!rb_tls_file_ok("certificate", cert_path, err, errlen) ||
	    !rb_tls_file_ok("key", key_path, err, errlen))
		return NULL;
	rb_tls_ctx *c = rb_tls_ctx_alloc(1, err, errlen);
	if (!c)
		return NULL;
	if (!SSL_CTX_use_certificate_chain_file(c->ssl, cert_path)) {
		snprintf(err, errlen, "certificate %s: %s", cert_path, rb_tls_reason());
		goto fail;
	}
	if (!SSL_CTX_use_PrivateKey_file(c->ssl, key_path, SSL_FILETYPE_PEM)) {
		if (rb_tls_is_mismatch(ERR_peek_last_error()))
			snprintf(err, errlen, "key %s does not match certificate %s: %s", key_path,
				 cert_path, rb_tls_reason());
		else
			snprintf(err, errlen, "key %s: %s", key_path, rb_tls_reason());
		goto fail;
	}
	if (!SSL_CTX_check_private_key(c->ssl)) {
		snprintf(err, errlen, "key %s does not match certificate %s: %s", key_path,
			 cert_path, rb_tls_reason());
		goto fail;
	}
	if (rb_tls_ctx_common(c, o, err, errlen))
		goto fail;
	SSL_CTX_set_alpn_select_cb(c->ssl, rb_tls_alpn_select, NULL);
	/* Stateless tickets only: no server-side store to grow or share.  Not
	 * SSL_SESS_CACHE_OFF: with it OpenSSL sends an empty session id, and
	 * clients do not keep such sessions. */
	SSL_CTX_set_session_cache_mode(c->ssl,
				       SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_set_session_id_context(c->ssl, (const unsigned char *)"ringbench", 9);
	if (o->no_tickets) {
		SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(c->ssl, 0);
	}
	return c;
fail:
	rb_tls_ctx_free(c);
	return NULL;
}

/* The client's cache: keep the newest resumable session (OpenSSL calls this
 * after a full handshake in TLS 1.2, on each NewSessionTicket in TLS 1.3).
 * A copy: OpenSSL marks the connection's own session object not resumable
 * when the connection is freed without close_notify (a run that ends, a
 * server that just closes), which RFC 5246 (since TLS 1.1) and RFC 8446 do
 * not ask for; a fatal error drops the copy instead (rb_tls_forget). */
static int rb_tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	rb_tls *s = SSL_get_app_data(ssl);
	if (!s || s->ctx->no_resume || !SSL_SESSION_is_resumable(sess))
		return 0;
	SSL_SESSION *copy = SSL_SESSION_dup(sess);
	if (!copy)
		return 0;
	rb_tls_ctx *c = s->ctx;
	pthread_mutex_lock(&c->mu);
	SSL_SESSION *old = c->saved;
	c->saved = copy;
	s->saved_gen = ++c->saved_gen;
	snprintf(c->saved_host, sizeof(c->saved_host), "%s", s->host);
	pthread_mutex_unlock(&c->mu);
	if (old)
		SSL_SESSION_free(old);
	return 0; /* OpenSSL keeps its own reference to sess */
}

/* "Any connection terminated with a fatal alert MUST NOT be resumed" (RFC
 * 5246 7.2.2): a failed session takes back what it saved, if still newest. */
static void rb_tls_forget(rb_tls *s)
{
	rb_tls_ctx *c = s->ctx;
	if (c->server || !s->saved_gen)
		return;
	SSL_SESSION *drop = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->saved_gen == s->saved_gen) {
		drop = c->saved;
		c->saved = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	if (drop)
		SSL_SESSION_free(drop);
}

rb_tls_ctx *rb_tls_client_ctx_new(const rb_tls_opts *opts, char *err, size_t errlen)
{
	static const rb_tls_opts none;
	const rb_tls_opts *o = opts ? opts : &none;
	if (o->cafile && !rb_tls_file_ok("CA file", o->cafile, err, errlen))
		return NULL;
	rb_tls_ctx *c = rb_tls_ctx_alloc(0, err, errlen);
	if (!c)
		return NULL;
	c->no_resume = o->no_resume;
	if (rb_tls_ctx_common(c, o, err, errlen))
		goto fail;
	if (o->insecure) {
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
		if (o->cafile) {
			if (!SSL_CTX_load_verify_locations(c->ssl, o->cafile, NULL)) {
				snprintf(err, errlen, "CA file %s: %s", o->cafile, rb_tls_reason());
				goto fail;
			}
		} else if (!SSL_CTX_set_default_verify_paths(c->ssl)) {
			snprintf(err, errlen, "the system's CA store: %s", rb_tls_reason());
			goto fail;
		}
	}
	static const unsigned char h11[] = "\x08http/1.1";
	if (SSL_CTX_set_alpn_protos(c->ssl, h11, sizeof(h11) - 1)) { /* 0 is success */
		snprintf(err, errlen, "TLS ALPN: %s", rb_tls_reason());
		goto fail;
	}
	SSL_CTX_set_session_cache_mode(c->ssl,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(c->ssl, rb_tls_new_session);
	return c;
fail:
	rb_tls_ctx_free(c);
	return NULL;
}

void rb_tls_ctx_free(rb_tls_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ssl);
	if (c->saved)
		SSL_SESSION_free(c->saved);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* ---- sessions ------------------------------------------------------------ */

/* Note the alerts the peer sends: the failure they cause is named by them. */
static void rb_tls_info(const SSL *ssl, int where, int ret)
{
	if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT) /* not the ones we send */
		return;
	rb_tls *s = SSL_get_app_data(ssl);
	int desc = ret & 0xff;
	if (s && desc != SSL_AD_CLOSE_NOTIFY && desc != SSL_AD_USER_CANCELLED && s->alert < 0)
		s->alert = desc;
}

rb_tls *rb_tls_new(rb_tls_ctx *ctx, const char *host)
{
	rb_tls *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ctx = ctx;
	s->alert = -1;
	ERR_clear_error();
	s->ssl = SSL_new(ctx->ssl);
	BIO *b = s->ssl ? BIO_new(rb_tls_bio_method) : NULL;
	if (!b)
		goto fail;
	BIO_set_data(b, s);
	SSL_set_bio(s->ssl, b, b); /* one reference, taken by the SSL */
	SSL_set_app_data(s->ssl, s);
	SSL_set_info_callback(s->ssl, rb_tls_info);
	if (ctx->ktls) {
		if (!(s->kt = calloc(1, sizeof(*s->kt))))
			goto fail;
		SSL_set_msg_callback(s->ssl, rb_tls_msg);
		SSL_set_msg_callback_arg(s->ssl, s);
	}
	if (ctx->server) {
		SSL_set_accept_state(s->ssl);
		return s;
	}
	SSL_set_connect_state(s->ssl);
	if (host && *host) {
		snprintf(s->host, sizeof(s->host), "%s", host);
		unsigned char addr[16];
		if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
			if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), host))
				goto fail;
		} else if (!SSL_set_tlsext_host_name(s->ssl, host) ||
			   !SSL_set1_host(s->ssl, host)) {
			goto fail;
		}
	}
	SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS); /* as curl does */
	if (!ctx->no_resume) {
		pthread_mutex_lock(&ctx->mu);
		if (ctx->saved && !strcmp(ctx->saved_host, s->host))
			SSL_set_session(s->ssl, ctx->saved); /* takes its own reference */
		pthread_mutex_unlock(&ctx->mu);
	}
	return s;
fail:
	ERR_clear_error();
	rb_tls_free(s);
	return NULL;
}

void rb_tls_free(rb_tls *s)
{
	if (!s)
		return;
	/* OpenSSL marks the session of a connection freed without
	 * close_notify as not resumable; the client cache lends one session
	 * object to every connection, so one peer's bare FIN (rbload closes on
	 * the server's, sending nothing) would cost every later connection a
	 * full handshake.  A session that failed was forgotten already
	 * (rb_tls_forget); one that did not is as good as closed. */
	if (!s->err)
		SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(s->ssl); /* frees the BIO */
	if (s->kt) {
		OPENSSL_cleanse(s->kt, sizeof(*s->kt));
		free(s->kt);
	}
	rb_buf_free(&s->in);
	rb_buf_free(&s->plain);
	rb_buf_free(&s->out[0]);
	rb_buf_free(&s->out[1]);
	free(s);
}

int rb_tls_feed(rb_tls *s, const void *data, size_t len)
{
	if (s->in.off && s->in.off == s->in.len)
		rb_buf_reset(&s->in);
	else if (s->in.off > 4096 && s->in.off * 2 > s->in.len)
		rb_buf_consume(&s->in, s->in.off);
	return rb_buf_append(&s->in, data, len);
}

void rb_tls_feed_eof(rb_tls *s)
{
	s->eof = 1;
}

/* OpenSSL's error queue must be empty before a call whose failure
 * SSL_get_error classifies.  ERR_clear_error itself is not cheap in OpenSSL 3
 * (it frees two strings in each of its 16 slots, NULL or not: 5% of rbload's
 * CPU over HTTPS, most of it free()), and the queue is almost always empty
 * already, so look first. */
static inline void rb_tls_err_reset(void)
{
	if (ERR_peek_error())
		ERR_clear_error();
}

static int rb_tls_set_error(rb_tls *s, enum rb_tls_err kind, const char *fmt, const char *arg)
{
	s->err = kind;
	rb_tls_forget(s);
	snprintf(s->errmsg, sizeof(s->errmsg), fmt, arg);
	ERR_clear_error();
	return RB_TLS_ERROR;
}

/* What an OpenSSL call that returned ret means: RB_TLS_WANT, RB_TLS_CLOSED,
 * or a failure classified once, here. */
static int rb_tls_result(rb_tls *s, int ret)
{
	int e = SSL_get_error(s->ssl, ret);
	unsigned long first = ERR_peek_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
		rb_tls_err_reset();
		return RB_TLS_WANT;
	case SSL_ERROR_ZERO_RETURN:
		rb_tls_err_reset();
		s->peer_closed = 1;
		return RB_TLS_CLOSED;
	default:
		break;
	}
	/* A refused late record is the reason only when OpenSSL has no
	 * protocol error of its own: a bad record from the peer also makes it
	 * seal an alert (refused too), and "bad record mac" is what happened. */
	if (s->kt && s->kt->late_write && (!first || ERR_GET_LIB(first) != ERR_LIB_SSL))
		return rb_tls_set_error(
			s, RB_TLS_ERR_IO, "%s",
			"kTLS: a record to seal after TX went to the kernel (a KeyUpdate "
			"answer: rekeying under kTLS is not built)");
	if (s->oom)
		return rb_tls_set_error(s, s->hs_done ? RB_TLS_ERR_IO : RB_TLS_ERR_HANDSHAKE, "%s",
					"out of memory");
	long vr = SSL_get_verify_result(s->ssl);
	if (!s->ctx->server && vr != X509_V_OK &&
	    ERR_GET_REASON(first) == SSL_R_CERTIFICATE_VERIFY_FAILED)
		return rb_tls_set_error(s, RB_TLS_ERR_CERTIFICATE, "certificate verify failed: %s",
					X509_verify_cert_error_string(vr));
	if (s->alert >= 0)
		return rb_tls_set_error(s, RB_TLS_ERR_ALERT, "%s",
					SSL_alert_desc_string_long(s->alert));
	if ((e == SSL_ERROR_SYSCALL && !first) ||
	    (ERR_GET_LIB(first) == ERR_LIB_SSL &&
	     ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		if (!s->hs_done)
			return rb_tls_set_error(s, RB_TLS_ERR_HANDSHAKE, "%s",
						"connection closed during the handshake");
		return rb_tls_set_error(s, RB_TLS_ERR_IO, "%s",
					"truncated: connection closed without close_notify");
	}
	const char *why = first ? ERR_reason_error_string(first) : NULL;
	return rb_tls_set_error(s, s->hs_done ? RB_TLS_ERR_IO : RB_TLS_ERR_HANDSHAKE, "%s",
				why ? why : "TLS error");
}

static int rb_tls_seal(rb_tls *s)
{
	const char *p = s->plain.data;
	size_t left = s->plain.len;
	while (left) {
		size_t n = left < INT_MAX ? left : INT_MAX, wrote = 0;
		rb_tls_err_reset();
		if (!SSL_write_ex(s->ssl, p, n, &wrote)) {
			int r = rb_tls_result(s, 0);
			if (r != RB_TLS_ERROR) /* a write needs no input here: say so */
				r = rb_tls_set_error(s, RB_TLS_ERR_IO, "%s", "write refused");
			return r;
		}
		p += wrote;
		left -= wrote;
	}
	rb_buf_trim(&s->plain, 65536);
	return 0;
}

int rb_tls_handshake(rb_tls *s)
{
	if (s->err)
		return RB_TLS_ERROR;
	if (s->hs_done)
		return 1;
	if (!s->hs_start_ns)
		s->hs_start_ns = rb_now_ns();
	rb_tls_err_reset();
	int r = SSL_do_handshake(s->ssl);
	if (r != 1) {
		r = rb_tls_result(s, r);
		return r == RB_TLS_CLOSED ? rb_tls_set_error(s, RB_TLS_ERR_HANDSHAKE, "%s",
							     "close_notify during the handshake")
					  : r;
	}
	s->hs_done = 1;
	s->hs_ns = rb_now_ns() - s->hs_start_ns;
	if (s->plain.len && !s->shut && rb_tls_seal(s))
		return RB_TLS_ERROR;
	return 1;
}

/* The peer asked for a KeyUpdate (read, all drained).  OpenSSL would send
 * ours with the next write; a kTLS session sends it now, so that a TX
 * hand-over never waits on it (rb_tls_ktls_refuse) -- unless TX is the
 * kernel's already: then it cannot be sealed here, and rekeying the kernel
 * is not built, so the session fails with the reason. */
static int rb_tls_ktls_answer_update(rb_tls *s)
{
	if (s->kt->kernel[0])
		return rb_tls_set_error(s, RB_TLS_ERR_IO, "%s",
					"kTLS: the peer asked for a KeyUpdate after TX went to the "
					"kernel (rekeying under kTLS is not built)");
	ERR_clear_error();
	if (!SSL_key_update(s->ssl, SSL_KEY_UPDATE_NOT_REQUESTED) || SSL_do_handshake(s->ssl) != 1)
		return rb_tls_result(s, 0);
	return RB_TLS_WANT;
}

int rb_tls_read(rb_tls *s, void *buf, size_t cap)
{
	if (s->err)
		return RB_TLS_ERROR;
	if (s->peer_closed)
		return RB_TLS_CLOSED;
	if (!s->hs_done) {
		int r = rb_tls_handshake(s);
		if (r != 1)
			return r;
	}
	if (cap > INT_MAX)
		cap = INT_MAX;
	/* Drained (every byte fed was taken, no record held half-read): the
	 * SSL_read that would only say "want read" is skipped; it is the last
	 * call of every rb_tls_read loop. */
	int r = RB_TLS_WANT;
	if (s->in.off != s->in.len || s->eof || SSL_has_pending(s->ssl)) {
		size_t n = 0;
		rb_tls_err_reset();
		if (SSL_read_ex(s->ssl, buf, cap, &n))
			return (int)n;
		r = rb_tls_result(s, 0);
	}
	/* A KeyUpdate that came with data was taken by an earlier call, which
	 * returned the data: its answer is owed whichever way we got here. */
	if (r == RB_TLS_WANT && s->kt && SSL_get_key_update_type(s->ssl) != SSL_KEY_UPDATE_NONE)
		return rb_tls_ktls_answer_update(s);
	return r;
}

int rb_tls_write(rb_tls *s, const void *data, size_t len)
{
	if (s->err || s->shut || (s->kt && s->kt->kernel[0]))
		return -1;
	return rb_buf_append(&s->plain, data, len);
}

int rb_tls_flush(rb_tls *s)
{
	if (s->err)
		return RB_TLS_ERROR;
	if (!s->hs_done || !s->plain.len)
		return 0;
	return rb_tls_seal(s);
}

size_t rb_tls_pending_out(rb_tls *s, const char **p)
{
	rb_buf *tx = &s->out[!s->w];
	if (tx->off == tx->len && s->out[s->w].len) {
		rb_buf_reset(tx);
		s->w = !s->w; /* the written side becomes the lent side */
		tx = &s->out[!s->w];
	}
	*p = tx->data ? tx->data + tx->off : NULL;
	return tx->len - tx->off;
}

void rb_tls_consumed_out(rb_tls *s, size_t n)
{
	rb_buf *tx = &s->out[!s->w];
	size_t left = tx->len - tx->off;
	tx->off += n < left ? n : left;
	if (tx->off == tx->len)
		rb_buf_trim(tx, 256 * 1024);
}

int rb_tls_shutdown(rb_tls *s)
{
	if (s->err)
		return RB_TLS_ERROR;
	if (s->shut)
		return 0;
	if (s->kt && s->kt->kernel[0]) {
		/* The kernel seals now: the owner sends the close_notify as an
		 * alert record through it (TLS_SET_RECORD_TYPE). */
		s->shut = 1;
		return 0;
	}
	if (s->hs_done) {
		if (rb_tls_flush(s))
			return RB_TLS_ERROR;
		ERR_clear_error();
		int r = SSL_shutdown(s->ssl); /* 0: ours sent; 1: both ways */
		if (r < 0 && rb_tls_result(s, r) == RB_TLS_ERROR)
			return RB_TLS_ERROR;
		ERR_clear_error();
	}
	s->shut = 1; /* before the handshake completes there is nothing to close */
	return 0;
}

enum rb_tls_err rb_tls_error(const rb_tls *s, const char **msg)
{
	if (msg)
		*msg = s->err ? s->errmsg : "";
	return s->err;
}

int rb_tls_get_facts(const rb_tls *s, rb_tls_facts *f)
{
	memset(f, 0, sizeof(*f));
	if (!s->hs_done)
		return -1;
	f->version = SSL_get_version(s->ssl);
	f->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s->ssl));
	f->resumed = SSL_session_reused(s->ssl);
	const unsigned char *a = NULL;
	unsigned int alen = 0;
	SSL_get0_alpn_selected(s->ssl, &a, &alen);
	if (alen >= sizeof(f->alpn))
		alen = sizeof(f->alpn) - 1;
	if (alen)
		memcpy(f->alpn, a, alen);
	f->handshake_ns = s->hs_ns;
	return 0;
}

/* ---- kernel TLS ---------------------------------------------------------- */

int rb_tls_ktls_probe(const char *ulp_path, unsigned faults, char *why, size_t whylen)
{
	if (faults & RB_FAULT_NO_KTLS) {
		snprintf(why, whylen, "RB_FAULTS=no-ktls");
		return 0;
	}
	if (faults & RB_FAULT_KTLS_TRY) {
		/* Say yes whatever the kernel offers, so the hand-over is tried
		 * and the kernel's own refusal (ENOENT for TCP_ULP) is reached. */
		snprintf(why, whylen, "RB_FAULTS=ktls-try");
		return 1;
	}
	FILE *f = fopen(ulp_path, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read %s: %s", ulp_path, strerror(errno));
		return 0;
	}
	char line[256] = "";
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save))
		if (!strcmp(t, "tls"))
			return 1;
	snprintf(why, whylen, "the kernel offers no tls ULP (%s: \"%s\")", ulp_path, line);
	return 0;
}

static int rb_tls_ktls_yes;
static pthread_once_t rb_tls_ktls_once = PTHREAD_ONCE_INIT;

static void rb_tls_ktls_decide(void)
{
	char why[320];
	rb_tls_ktls_yes = rb_tls_ktls_probe("/proc/sys/net/ipv4/tcp_available_ulp", rb_faults(),
					    why, sizeof(why));
	if (!rb_tls_ktls_yes)
		rb_log("kTLS off, TLS records in user space: %s", why);
	else if (rb_faults() & RB_FAULT_KTLS_TRY)
		rb_log("kTLS: the hand-over will be tried (RB_FAULTS=ktls-try), the kernel may "
		       "refuse it");
	else
		rb_log("kTLS offered by the kernel (tls ULP): where the program hands keys over, "
		       "TLS 1.3 records go to the kernel after the handshake");
}

int rb_tls_ktls_available(void)
{
	pthread_once(&rb_tls_ktls_once, rb_tls_ktls_decide);
	return rb_tls_ktls_yes;
}

/* ---- the hand-over ----------------------------------------------------------- */

/* Why a direction cannot be handed over now, or NULL.  *later: the reason
 * may pass (a clean point not reached yet); otherwise it is for good. */
static const char *rb_tls_ktls_refuse(rb_tls *s, int d, int *later)
{
	*later = 0;
	rb_tls_kt *k = s->kt;
	if (!k)
		return "kTLS: not asked for on this context (rb_tls_opts.ktls)";
	if (s->err)
		return "kTLS: the session failed";
	if (k->kernel[d])
		return "kTLS: already handed over";
	if (!s->hs_done) {
		*later = 1;
		return "kTLS: the handshake is not done";
	}
	if (SSL_version(s->ssl) != TLS1_3_VERSION)
		return "kTLS: TLS 1.2 stays in user space";
	unsigned suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(s->ssl));
	if (suite != 0x1301 && suite != 0x1302 && suite != 0x1303)
		return "kTLS: this TLS 1.3 suite stays in user space";
	if (k->bad[d])
		return k->badwhy[d];
	if (!k->app[d] || !k->slen[d])
		return "kTLS: no application traffic secret (key log) for this direction";
	if (d == 0) {
		if (s->shut)
			return "kTLS: the session is shut down";
		if (s->out[0].len > s->out[0].off || s->out[1].len > s->out[1].off ||
		    s->plain.len || SSL_get_key_update_type(s->ssl) != SSL_KEY_UPDATE_NONE) {
			*later = 1;
			return "kTLS TX: records sealed in user space are not all sent";
		}
		if (!rb_tls_scan_boundary(&k->scan[0]) || k->scan[0].n23 != k->tx_seal) {
			*later = 1; /* OpenSSL's own buffer holds sealed records */
			return "kTLS TX: records sealed in user space are not all sent";
		}
	} else {
		if (s->peer_closed || s->eof)
			return "kTLS RX: the peer closed";
		if (s->in.len > s->in.off || !rb_tls_scan_boundary(&k->scan[1]) ||
		    SSL_has_pending(s->ssl)) {
			*later = 1;
			return "kTLS RX: ciphertext received is not all opened";
		}
	}
	return NULL;
}

int rb_tls_ktls_export(rb_tls *s, enum rb_ktls_dir dir, rb_ktls_crypto *c, char *why, size_t whylen)
{
	int d = dir == RB_KTLS_TX ? 0 : 1, later;
	memset(c, 0, sizeof(*c));
	const char *no = rb_tls_ktls_refuse(s, d, &later);
	if (no) {
		snprintf(why, whylen, "%s", no);
		return later ? RB_TLS_WANT : RB_TLS_ERROR;
	}
	rb_tls_kt *k = s->kt;
	unsigned suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(s->ssl));
	uint64_t seq = (d ? k->scan[1].n23 : k->tx_seal) - k->base[d];
	if (rb_ktls_crypto_fill(c, suite, k->secret[d], k->slen[d], seq, why, whylen))
		return RB_TLS_ERROR;
	return 1;
}

void rb_tls_ktls_commit(rb_tls *s, enum rb_ktls_dir dir)
{
	int d = dir == RB_KTLS_TX ? 0 : 1;
	if (!s->kt)
		return;
	s->kt->kernel[d] = 1;
	OPENSSL_cleanse(s->kt->secret[d], sizeof(s->kt->secret[d]));
	s->kt->slen[d] = 0;
}

void rb_tls_ktls_drop(rb_tls *s)
{
	if (!s->kt)
		return;
	for (int d = 0; d < 2; d++)
		if (!s->kt->kernel[d])
			rb_tls_kt_bad(s->kt, d, "kTLS: given up for this session");
}

void rb_tls_ktls_drop_dir(rb_tls *s, enum rb_ktls_dir dir)
{
	int d = dir == RB_KTLS_TX ? 0 : 1;
	if (s->kt && !s->kt->kernel[d])
		rb_tls_kt_bad(s->kt, d, "kTLS: given up for this direction");
}

int rb_tls_ktls_hand_over(rb_tls *s, int fd, enum rb_ktls_dir dir, char *why, size_t whylen)
{
	rb_ktls_crypto k;
	int r = rb_tls_ktls_export(s, dir, &k, why, whylen);
	if (r == RB_TLS_WANT)
		return RB_TLS_WANT;
	if (r == RB_TLS_ERROR) {
		rb_tls_ktls_drop_dir(s, dir);
		return RB_TLS_ERROR;
	}
	r = rb_ktls_install(fd, dir, &k, why, whylen);
	rb_ktls_crypto_wipe(&k);
	if (r) {
		rb_tls_ktls_drop_dir(s, dir);
		return RB_TLS_REFUSED;
	}
	rb_tls_ktls_commit(s, dir);
	return 1;
}

int rb_tls_ktls_state(const rb_tls *s)
{
	if (!s->kt)
		return 0;
	return (s->kt->kernel[0] ? RB_KTLS_STATE_TX : 0) |
	       (s->kt->kernel[1] ? RB_KTLS_STATE_RX : 0);
}

int rb_tls_key_update(rb_tls *s, int ask_peer)
{
	if (s->err || !s->hs_done || (s->kt && s->kt->kernel[0]))
		return RB_TLS_ERROR;
	ERR_clear_error();
	if (!SSL_key_update(s->ssl,
			    ask_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED))
		return rb_tls_set_error(s, RB_TLS_ERR_IO, "%s", "KeyUpdate refused");
	/* OpenSSL sends it with the next write or handshake step: do that now,
	 * so it lands in the outgoing ciphertext before anything else. */
	if (SSL_do_handshake(s->ssl) != 1)
		return rb_tls_result(s, 0);
	return 0;
}
