#include "rb_ktls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

/* Fetched once: EVP_KDF_fetch looks the algorithm up in the provider tables,
 * which is not free, and every connection's export would repeat it. */
static EVP_KDF *rb_ktls_kdf;
static pthread_once_t rb_ktls_kdf_once = PTHREAD_ONCE_INIT;

static void rb_ktls_kdf_init(void)
{
	rb_ktls_kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_3_KDF, NULL);
}

/* The suite's hash, key length and kernel cipher; 0 for a suite kTLS is not
 * asked to take (CCM: the kernel has AES-CCM, but rb_tls does not offer it by
 * default and it is not tested here). */
static int rb_ktls_suite(unsigned suite, const char **md, size_t *keylen, uint16_t *cipher)
{
	switch (suite) {
	case 0x1301:
		*md = "SHA256", *keylen = 16, *cipher = TLS_CIPHER_AES_GCM_128;
		return 1;
	case 0x1302:
		*md = "SHA384", *keylen = 32, *cipher = TLS_CIPHER_AES_GCM_256;
		return 1;
	case 0x1303:
		*md = "SHA256", *keylen = 32, *cipher = TLS_CIPHER_CHACHA20_POLY1305;
		return 1;
	default:
		return 0;
	}
}

/* HKDF-Expand-Label(secret, label, "", outlen) (RFC 8446 7.1): OpenSSL's
 * TLS13-KDF in expand-only mode builds the HkdfLabel ("tls13 " prefix,
 * label, empty context) exactly as its own record layer does. */
static int rb_ktls_expand(const char *md, const uint8_t *secret, size_t slen, const char *label,
			  uint8_t *out, size_t outlen)
{
	pthread_once(&rb_ktls_kdf_once, rb_ktls_kdf_init);
	if (!rb_ktls_kdf)
		return -1;
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(rb_ktls_kdf);
	if (!k)
		return -1;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(k, out, outlen, p) > 0;
	EVP_KDF_CTX_free(k);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int rb_ktls_crypto_fill(rb_ktls_crypto *c, unsigned suite, const uint8_t *secret, size_t secret_len,
			uint64_t seq, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	const char *md;
	size_t keylen;
	uint16_t cipher;
	if (!rb_ktls_suite(suite, &md, &keylen, &cipher)) {
		snprintf(why, whylen, "kTLS: suite 0x%04x stays in user space", suite);
		return -1;
	}
	size_t want = suite == 0x1302 ? 48 : 32;
	if (secret_len != want) {
		snprintf(why, whylen, "kTLS: a %zu-byte traffic secret for suite 0x%04x (not %zu)",
			 secret_len, suite, want);
		return -1;
	}
	uint8_t key[32], iv[12], rec_seq[8];
	if (rb_ktls_expand(md, secret, secret_len, "key", key, keylen) ||
	    rb_ktls_expand(md, secret, secret_len, "iv", iv, sizeof(iv))) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(why, whylen, "kTLS: HKDF-Expand-Label (OpenSSL's TLS13-KDF) failed");
		return -1;
	}
	for (int i = 0; i < 8; i++)
		rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
	c->u.info.version = TLS_1_3_VERSION;
	c->u.info.cipher_type = cipher;
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		memcpy(c->u.gcm128.key, key, sizeof(c->u.gcm128.key));
		memcpy(c->u.gcm128.salt, iv, sizeof(c->u.gcm128.salt));
		memcpy(c->u.gcm128.iv, iv + 4, sizeof(c->u.gcm128.iv));
		memcpy(c->u.gcm128.rec_seq, rec_seq, sizeof(rec_seq));
		c->len = sizeof(c->u.gcm128);
		break;
	case TLS_CIPHER_AES_GCM_256:
		memcpy(c->u.gcm256.key, key, sizeof(c->u.gcm256.key));
		memcpy(c->u.gcm256.salt, iv, sizeof(c->u.gcm256.salt));
		memcpy(c->u.gcm256.iv, iv + 4, sizeof(c->u.gcm256.iv));
		memcpy(c->u.gcm256.rec_seq, rec_seq, sizeof(rec_seq));
		c->len = sizeof(c->u.gcm256);
		break;
	default: /* ChaCha20-Poly1305: salt size 0, the whole 12-byte IV in iv */
		memcpy(c->u.chacha.key, key, sizeof(c->u.chacha.key));
		memcpy(c->u.chacha.iv, iv, sizeof(c->u.chacha.iv));
		memcpy(c->u.chacha.rec_seq, rec_seq, sizeof(rec_seq));
		c->len = sizeof(c->u.chacha);
		break;
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return 0;
}

int rb_ktls_secret_update(unsigned suite, uint8_t *secret, size_t secret_len)
{
	const char *md;
	size_t keylen;
	uint16_t cipher;
	uint8_t next[48];
	if (!rb_ktls_suite(suite, &md, &keylen, &cipher) || secret_len > sizeof(next))
		return -1;
	if (rb_ktls_expand(md, secret, secret_len, "traffic upd", next, secret_len)) {
		OPENSSL_cleanse(next, sizeof(next)); /* a half-written secret */
		return -1;
	}
	memcpy(secret, next, secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	return 0;
}

void rb_ktls_crypto_wipe(rb_ktls_crypto *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

int rb_ktls_install(int fd, enum rb_ktls_dir dir, const rb_ktls_crypto *c, char *why, size_t whylen)
{
	/* EEXIST: the ULP is attached already (the other direction went first). */
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) && errno != EEXIST) {
		int e = errno;
		snprintf(why, whylen, "kTLS: setsockopt(TCP_ULP, \"tls\"): %s%s", strerror(e),
			 e == ENOENT ? " (the kernel has no tls module)" : "");
		return -e;
	}
	const char *name = dir == RB_KTLS_TX ? "TLS_TX" : "TLS_RX";
	if (setsockopt(fd, SOL_TLS, dir, &c->u, c->len)) {
		int e = errno;
		snprintf(why, whylen, "kTLS: setsockopt(SOL_TLS, %s): %s%s", name, strerror(e),
			 e == ENOPROTOOPT || e == EINVAL || e == EOPNOTSUPP
				 ? " (the kernel refused this cipher or version)"
				 : "");
		return -e;
	}
	return 0;
}

int rb_ktls_close_notify(int fd)
{
	static const unsigned char alert[2] = {1, 0};
	/* Aligned as a cmsghdr (its first field is a size_t); not the struct
	 * itself, whose flexible array clang refuses inside a union. */
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		size_t align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)alert, .iov_len = sizeof(alert)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cm) = RB_KTLS_ALERT;
	return sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void rb_ktls_rec_prep(rb_ktls_rec *k)
{
	memset(&k->msg, 0, sizeof(k->msg));
	memset(&k->ctl, 0, sizeof(k->ctl));
	k->iov.iov_base = k->data;
	k->iov.iov_len = sizeof(k->data);
	k->msg.msg_iov = &k->iov;
	k->msg.msg_iovlen = 1;
	k->msg.msg_control = k->ctl.buf;
	k->msg.msg_controllen = sizeof(k->ctl.buf);
}

int rb_ktls_rec_type(const rb_ktls_rec *k)
{
	if (k->msg.msg_flags & MSG_CTRUNC)
		return -1;                           /* the type did not fit: cannot tell */
	int type = RB_KTLS_APPDATA;                  /* no cmsg: data */
	struct msghdr *m = (struct msghdr *)&k->msg; /* CMSG_NXTHDR takes it non-const */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE)
			type = *CMSG_DATA(cm);
	return type;
}

const char *rb_ktls_alert_name(unsigned desc)
{
	/* OpenSSL's table (it reads the low byte only). */
	return SSL_alert_desc_string_long((int)(desc & 0xff));
}
