/*
 * rbserver's command line: every flag, its default and its allowed range live
 * in srv_config_parse(); everything else reads the parsed srv_config.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include "rb_loop.h"

#include <stdint.h>

/* --max-conns at most: a slot index must fit user_data's slot field. */
#define SRV_MAX_CONNS_LIMIT 1000000u
_Static_assert(SRV_MAX_CONNS_LIMIT - 1 <= RB_UD_SLOT_MAX, "--max-conns fits the slot field");

/* TCP_NOTSENT_LOWAT of every connection (set on the listening sockets):
 * the unsent bytes the kernel holds for one.  A send completes as the client
 * reads, so --write-timeout resets only a reader slower than this much per
 * timeout (128 KiB in 30 s: 4.4 KB/s), and a stopped reader pins this much
 * of kernel memory. */
#define SRV_NOTSENT_LOWAT (128 * 1024)

typedef struct srv_config {
	const char *bind;   /* IPv4 or IPv6 literal */
	int port;           /* 0: the kernel picks one, printed at start-up */
	const char *root;   /* --root DIR, or NULL */
	int threads;        /* worker threads, one per CPU by default */
	uint32_t max_conns; /* open connections per worker */
	uint32_t max_header_bytes;
	uint64_t max_body;
	uint32_t header_timeout_s, idle_timeout_s, body_timeout_s, write_timeout_s;
	uint32_t recv_buffers;     /* provided buffers per worker, a power of two */
	uint32_t recv_buffer_size; /* bytes per provided buffer */
	/* The open-file cache, per worker (srv_file_cache). */
	uint32_t file_cache_entries; /* 0: none */
	uint64_t file_cache_bytes;   /* kept responses */
	uint64_t file_cache_inline;  /* files up to this size kept whole */
	/* HTTPS (rb_tls): both set, or neither. */
	const char *tls_cert;    /* --tls-cert FILE: PEM chain, leaf first */
	const char *tls_key;     /* --tls-key FILE: PEM key */
	int no_tls_tickets;      /* --no-tls-tickets: no session tickets, no resumption */
	int tls_min, tls_max;    /* --tls-min, --tls-max: RB_TLS_V1_2/RB_TLS_V1_3; 0: OpenSSL's */
	const char *tls_ciphers; /* --ciphers LIST: TLS 1.2 (OpenSSL syntax), or NULL */
	const char *tls_ciphersuites; /* --tls13-ciphersuites LIST, or NULL */
} srv_config;

/* Parse argv into cfg.  Returns 0 to run, 1 when --help or --version printed
 * what was asked (exit 0), or 2 after printing an error to stderr (exit 2). */
int srv_config_parse(srv_config *cfg, int argc, char **argv);

#endif
