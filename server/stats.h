/*
 * Per-worker counters.  Only the owning worker writes them (relaxed atomic
 * stores: plain moves on x86, no lock, no shared cache line written by two
 * threads); /stats reads every worker's with relaxed loads.
 */
#ifndef SRV_STATS_H
#define SRV_STATS_H

#include <stdint.h>

typedef struct srv_stats {
	uint64_t conns_open;     /* connections open now */
	uint64_t conns_idle;     /* of those, idle: OPEN with no exchange (srv_conn_idle_sync) */
	uint64_t conns_total;    /* connections accepted since start */
	uint64_t conns_rejected; /* closed at once: --max-conns reached */
	uint64_t requests;       /* requests answered */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t errors;          /* error responses (4xx/5xx) and failed operations */
	uint64_t parse_errors;    /* requests ringparse refused */
	uint64_t resets;          /* -ECONNRESET / -EPIPE from the peer */
	uint64_t timeouts;        /* connections closed by a timeout, any kind: */
	uint64_t timeouts_idle;   /* keep-alive connection idle (--idle-timeout) */
	uint64_t timeouts_header; /* header block not complete in time: 408 (--header-timeout) */
	uint64_t timeouts_body;   /* body stalled: 408 (--body-timeout) */
	uint64_t timeouts_linger; /* the client did not close after our last response (2 s) */
	uint64_t enobufs;         /* multishot recv ended by an empty buffer ring */
	uint64_t sends;           /* send operations completed */
	uint64_t short_sends;     /* sends that completed partly */
	uint64_t cq_overflow;     /* loop iterations that saw the CQ overflow flag */
	uint64_t sq_full;         /* submissions that found the queue full (rb_loop_sqe) */
	uint64_t accept_errors;   /* accepts that failed (EMFILE, ...): retried from the tick */
	uint64_t faults_hit;      /* RB_FAULTS injections (tests only) */
	uint64_t pauses;          /* reading paused: more than SRV_OUT_HIGH output queued */
	uint64_t write_timeouts;  /* the client took no output (--write-timeout): reset */
	uint64_t input_overflows; /* closed: held more than SRV_IN_CAP of input while paused */
	uint64_t oom;             /* connections closed because an allocation failed */
	/* The open-file cache (srv_file_cache). */
	uint64_t file_cache_hits;   /* served from an entry (checked this second, or again) */
	uint64_t file_cache_misses; /* opened: no entry, or the entry's file changed */
	uint64_t file_cache_revalidations; /* entries resolved again (once a second at most) */
	uint64_t file_cache_changed;       /* of those, the file was another one, or gone */
	uint64_t file_cache_evictions;     /* entries dropped for the bounds */
	uint64_t file_cache_entries;       /* entries now (each holds a descriptor) */
	uint64_t file_cache_bytes;         /* bytes of kept responses now */
	uint64_t sendfile_bytes;           /* body bytes sent without a user-space copy */
	/* HTTPS (--tls-cert): handshakes completed, of those resumed (a
	 * ticket), and sessions that failed, by rb_tls's kinds. */
	uint64_t tls_handshakes;
	uint64_t tls_resumed;
	uint64_t tls_errors_handshake;   /* tls-handshake: no shared version or cipher, not TLS */
	uint64_t tls_errors_certificate; /* tls-certificate (a client's check; not seen here) */
	uint64_t tls_errors_alert;       /* tls-alert: the client sent a fatal alert */
	uint64_t tls_errors_io;          /* tls-io: a bad record after the handshake */
	/* kTLS (where the probe says yes): connections whose TX went to the
	 * kernel, and hand-overs the kernel refused (they stay in user space). */
	uint64_t tls_ktls_tx;
	uint64_t tls_ktls_refused;
	/* kTLS RX (srv_tls_ktls_rx): receives ended for the hand-over (one
	 * per attempt), hand-overs taken, refused by the kernel, given up
	 * (no record boundary after SRV_KTLS_RX_TRIES attempts); and
	 * connections closed for a handshake record under kTLS RX (a
	 * KeyUpdate: re-keying the kernel is not built). */
	uint64_t tls_ktls_rx_tries;
	uint64_t tls_ktls_rx;
	uint64_t tls_ktls_rx_refused;
	uint64_t tls_ktls_rx_unclean;
	uint64_t tls_ktls_rx_handshake;
} srv_stats;

/* Where /stats finds one worker's counters (every worker's are listed). */
typedef struct srv_stats_ref {
	int id, cpu;
	const srv_stats *stats;
} srv_stats_ref;

#define SRV_STAT_ADD(st, field, n)                                                                 \
	__atomic_store_n(&(st)->field, (st)->field + (uint64_t)(n), __ATOMIC_RELAXED)
#define SRV_STAT_SUB(st, field, n)                                                                 \
	__atomic_store_n(&(st)->field, (st)->field - (uint64_t)(n), __ATOMIC_RELAXED)
#define SRV_STAT_GET(st, field) __atomic_load_n(&(st)->field, __ATOMIC_RELAXED)

#endif
