/* What a worker counts: everything the report says, per thread, summed at the end. */
#ifndef LG_COUNTS_H
#define LG_COUNTS_H

#include <stdint.h>

/* Error kinds (docs/loadgen.md): a table, so the report names them all. */
enum lg_err {
	LG_E_CONNECT = 0,
	LG_E_RESET,
	LG_E_READ,
	LG_E_WRITE,
	LG_E_CLOSED,
	LG_E_TIMEOUT,
	LG_E_PARSE,
	LG_E_STATUS,
	/* https://: rb_tls's kinds (rb_tls_err_name), the reason in lg_run.tls_why */
	LG_E_TLS_HANDSHAKE,
	LG_E_TLS_CERTIFICATE,
	LG_E_TLS_ALERT,
	LG_E_TLS_IO,
	LG_E__COUNT
};

extern const char *const lg_err_names[LG_E__COUNT];

#define LG_STATUS_CODES 600 /* exact status codes 100..599; [0] anything else */
#define LG_ERRNO_MAX 134    /* errno values counted by name (EHWPOISON is 133) */

typedef struct lg_counts {
	uint64_t requests;      /* measured responses, every status */
	uint64_t sent;          /* measured requests sent */
	uint64_t unanswered;    /* measured requests sent that got no response in the window */
	uint64_t in_flight_end; /* of those, still in flight when the window closed */
	uint64_t bytes_read, bytes_written;
	uint64_t status[6]; /* by class: [1] 1xx ... [5] 5xx, [0] anything else */
	uint64_t errors[LG_E__COUNT];
	uint64_t opened, reopened; /* connections: first opens (even in the warm-up), reopens */
	uint64_t connects;         /* connections established inside the window */
	uint64_t closed_by_server; /* it said Connection: close, or closed or reset the socket */
	uint64_t closed_by_rbload; /* timeouts, protocol errors, --conn-requests the server ignored */
	uint64_t late_sends; /* open loop: sent over an interval late while the connection was free */
	uint64_t enobufs;    /* receives that found the receive buffers empty */
	uint64_t tls_handshakes; /* https://: handshakes done inside the window */
	uint64_t tls_resumed;    /* of those, resumed (a ticket taken) */
	/* kTLS (the probe said yes): sockets whose TX went to the kernel, and
	 * hand-overs the kernel refused; over the whole run, not the window:
	 * they say which path the run took. */
	uint64_t ktls_tx, ktls_refused;
	/* kTLS RX: sockets whose RX went to the kernel; receives ended for the
	 * hand-over (tries), refusals, give-ups at no record boundary
	 * (unclean), and NewSessionTickets dropped under kTLS RX (tickets). */
	uint64_t ktls_rx, ktls_rx_tries, ktls_rx_refused, ktls_rx_unclean, ktls_rx_tickets;
	/* The event loop's own (rb_loop_stats), over the whole run. */
	uint64_t cq_overflows, sq_full, stashed, faults_hit;
	uint64_t code[LG_STATUS_CODES];        /* responses by exact status code */
	uint64_t sock_errno[LG_ERRNO_MAX + 1]; /* socket errors by errno; [0] any larger one */
} lg_counts;

static inline void lg_counts_add(lg_counts *dst, const lg_counts *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	for (unsigned i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static inline uint64_t lg_counts_errors(const lg_counts *c)
{
	uint64_t n = 0;
	for (int k = 0; k < LG_E__COUNT; k++)
		n += c->errors[k];
	return n;
}

#endif
