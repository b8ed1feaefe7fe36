/*
 * rb_ktls: the kernel-TLS side of a TLS 1.3 session whose handshake ran in
 * user space (rb_tls): what setsockopt(SOL_TLS, TLS_TX / TLS_RX) takes, made
 * from a traffic secret, and the setsockopt calls themselves.  rb_tls knows
 * the secrets and the record sequence numbers (rb_tls_ktls_export); this
 * file knows the kernel's structures and HKDF.  docs/tls.md, "Kernel TLS".
 *
 * Not for hot paths: once per connection and direction.
 */
#ifndef RB_KTLS_H
#define RB_KTLS_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <linux/tls.h>

/* Older uapi headers lack some names: defined once, here, with the kernel's
 * values (include/uapi/linux/tls.h, include/linux/socket.h, tcp.h).  Whether
 * the running kernel accepts them is decided at run time (rb_ktls_install). */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef TLS_1_3_VERSION
#define TLS_1_3_VERSION 0x0304
#endif
#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE 1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE 2
#endif
#ifndef TLS_CIPHER_CHACHA20_POLY1305
#error "linux/tls.h without TLS_CIPHER_CHACHA20_POLY1305 (Linux 5.11 uapi): update linux-libc-dev"
#endif

/* TLS record content types (RFC 8446 5.1), as kTLS reports them in a
 * TLS_GET_RECORD_TYPE control message and takes them in TLS_SET_RECORD_TYPE. */
#define RB_KTLS_ALERT 21
#define RB_KTLS_HANDSHAKE 22
#define RB_KTLS_APPDATA 23

enum rb_ktls_dir {
	RB_KTLS_TX = TLS_TX,
	RB_KTLS_RX = TLS_RX
};

/* One direction's keys in the form setsockopt(SOL_TLS, TLS_TX/TLS_RX) takes:
 * u.info.version 0x0304, u.info.cipher_type, then key, salt, iv and rec_seq
 * (big-endian) of the suite's struct; len is that struct's size. */
typedef struct rb_ktls_crypto {
	union {
		struct tls_crypto_info info;
		struct tls12_crypto_info_aes_gcm_128 gcm128;
		struct tls12_crypto_info_aes_gcm_256 gcm256;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	} u;
	unsigned len;
} rb_ktls_crypto;

/* Fill c for the TLS 1.3 suite (its IANA id: 0x1301 AES-128-GCM, 0x1302
 * AES-256-GCM, 0x1303 ChaCha20-Poly1305) from a traffic secret, with seq the
 * next record's sequence number.  key = HKDF-Expand-Label(secret, "key", "",
 * key length), iv = HKDF-Expand-Label(secret, "iv", "", 12) with the suite's
 * hash (RFC 8446 7.3).  The 12-byte IV goes to the kernel as salt (its first
 * 4 bytes) and iv (the last 8) for AES-GCM; ChaCha20-Poly1305 has no salt and
 * a 12-byte iv.  Returns 0, or -1 with the reason in why (another suite, a
 * secret of the wrong length, OpenSSL's KDF failing). */
int rb_ktls_crypto_fill(rb_ktls_crypto *c, unsigned suite, const uint8_t *secret, size_t secret_len,
			uint64_t seq, char *why, size_t whylen);

/* The next secret after a KeyUpdate: HKDF-Expand-Label(secret, "traffic upd",
 * "", its length) (RFC 8446 7.2), in place.  Returns 0 or -1. */
int rb_ktls_secret_update(unsigned suite, uint8_t *secret, size_t secret_len);

/* Wipe c (it holds a key). */
void rb_ktls_crypto_wipe(rb_ktls_crypto *c);

/* Hand one direction to the kernel: TCP_ULP "tls" on fd (an established TCP
 * socket; already attached is fine), then TLS_TX or TLS_RX with c.  Returns
 * 0, or -errno with the reason in why: ENOENT the kernel has no tls module;
 * ENOPROTOOPT, EINVAL, EOPNOTSUPP the kernel refused the cipher or version.
 *
 * A refusal leaves the socket as it was for the caller's purposes: before the
 * ULP attached nothing changed; with the ULP attached but TLS_TX/TLS_RX
 * refused, the socket stays a plain TCP socket.  The kernel's tls_init sets
 * tx_conf = rx_conf = TLS_BASE, and build_protos makes
 * prot[TLS_BASE][TLS_BASE] TCP's own proto with only setsockopt, getsockopt
 * and close replaced, so sendmsg and recvmsg are TCP's; a failed
 * do_tls_setsockopt_conf zeroes the crypto info and leaves the conf as it
 * was (torvalds/linux net/tls/tls_main.c).  So the session keeps sealing and
 * opening its records in user space and nothing was lost. */
int rb_ktls_install(int fd, enum rb_ktls_dir dir, const rb_ktls_crypto *c, char *why,
		    size_t whylen);

/* Our close_notify on a socket whose TX is the kernel's: an alert record
 * (a TLS_SET_RECORD_TYPE 21 control message), level warning (1),
 * description close_notify (0), by one non-blocking sendmsg (two bytes; the
 * caller sends it when nothing else is in flight).  Returns 0 or -errno;
 * the FIN follows either way. */
int rb_ktls_close_notify(int fd);

/* Under TLS_RX a record that is not application data makes a receive
 * without a control buffer fail with EIO; recvmsg with room for a control
 * message returns that record alone, its type in a SOL_TLS /
 * TLS_GET_RECORD_TYPE cmsg (no cmsg: data) (Linux
 * Documentation/networking/tls.rst, "Receiving TLS control messages";
 * net/tls/tls_sw.c tls_record_content_type).  rb_ktls_rec is that recvmsg's
 * storage: it must live until the operation's completion (an io_uring
 * IORING_OP_RECVMSG reads msg, iov and ctl then, and writes data). */
typedef struct rb_ktls_rec {
	struct msghdr msg;
	struct iovec iov;
	/* Aligned as a cmsghdr (its first field is a size_t); not the struct
	 * itself, whose flexible array clang refuses inside a union. */
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		size_t align;
	} ctl;
	unsigned char data[16384]; /* a TLS 1.3 record's plaintext is 2^14 at most */
} rb_ktls_rec;

/* Ready k for one recvmsg of a record (msg points into k). */
void rb_ktls_rec_prep(rb_ktls_rec *k);

/* After that recvmsg returned n > 0 bytes: the record's type
 * (RB_KTLS_ALERT, RB_KTLS_HANDSHAKE, RB_KTLS_APPDATA; no cmsg: data), or -1
 * when the type did not fit (MSG_CTRUNC) and cannot be told. */
int rb_ktls_rec_type(const rb_ktls_rec *k);

/* An alert's description (its second byte) by RFC 8446's name
 * ("close notify", "bad record mac", ...). */
const char *rb_ktls_alert_name(unsigned desc);

#endif
