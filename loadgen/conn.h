/*
 * One load-generator connection and its in-flight requests.
 *
 * Lifecycle: IDLE (no socket; opened when open_at passes) -> CONNECTING ->
 * OPEN -> CLOSING (operations cancelled, waiting for their completions) ->
 * IDLE again, generation bumped so a late completion of the old socket is
 * recognised and ignored.
 */
#ifndef LG_CONN_H
#define LG_CONN_H

#include "response.h"

#include <linux/time_types.h>
#include <stdint.h>

enum lg_conn_state {
	LG_C_IDLE = 0,
	LG_C_CONNECTING,
	LG_C_OPEN,
	LG_C_CLOSING,
};

/* kTLS RX hand-over of an https:// socket (lg_tls_ktls_rx). */
enum lg_ktls_rx {
	LG_KRX_NONE = 0, /* not due yet: TX undecided, or no response read yet */
	LG_KRX_CANCEL,   /* due: end the receive, then export at the next flush */
	LG_KRX_RETRY,    /* half a record was in the session: again after more data */
	LG_KRX_DONE,     /* decided (taken, refused, given up, or not for this socket) */
};

/* A request in flight: when it was due (the schedule; == sent in closed
 * loop) and when it was handed to the kernel. */
typedef struct lg_inflight {
	uint64_t due_ns;
	uint64_t sent_ns;
	uint64_t wire_ns;  /* when it went to the kernel (--close's sent_ns is the connect) */
	uint64_t measured; /* inside the window: counted in sent, then in requests or unanswered */
} lg_inflight;

typedef struct lg_conn {
	int fd;
	uint32_t idx;    /* slot in the worker's array: user_data's slot */
	uint32_t gen;    /* bumped when the socket is closed: user_data's generation */
	uint32_t global; /* connection number across all threads: the schedule's phase */
	uint8_t state;   /* enum lg_conn_state */
	uint8_t connect_inflight, recv_armed, send_inflight, on_dirty;
	uint8_t send_timer, recv_timer; /* --slow-send/--slow-recv: a pause in flight */
	uint8_t opened_before;          /* a reconnect counts as reopened */
	uint8_t failed_before;          /* a connect of this slot has failed (lg_on_connect) */
	uint8_t in_openq;               /* IDLE and queued to open (lg_conn_open_queued) */
	uint8_t ttfb_seen;              /* the oldest request's response has begun */
	uint8_t draining;               /* CLOSING: waiting for the server's FIN (lg_conn_close) */
	uint8_t tls_up;                 /* https://: the handshake is done; requests may go */
	uint8_t ktls_tried;             /* https://: the kTLS TX hand-over was decided */
	uint8_t ktls_tx;       /* TX is the kernel's: requests go as plaintext (lg_tls_ktls_try) */
	uint8_t ktls_rx_step;  /* enum lg_ktls_rx: where the RX hand-over stands */
	uint8_t ktls_rx_tries; /* receives ended for it that found no record boundary */
	uint8_t ktls_rx;       /* RX is the kernel's: receives carry plaintext */
	uint8_t ktls_rec;      /* the receive in flight is a recvmsg of a non-data record */
	uint8_t recv_cancel;   /* a cancel of the receive is in flight (the RX hand-over) */

	/* In-flight requests: a ring of `pipeline` entries in the worker's array. */
	lg_inflight *ring;
	uint32_t head, inflight;
	uint32_t mix_pos; /* the next request of the mix cycle */

	/* The send in progress (one at a time): requests taken from the
	 * worker's request buffer; a short send continues from send_off. */
	const char *send_ptr;
	uint32_t send_len, send_off;

	uint64_t sched_k; /* open loop: requests of this connection due so far */
	uint64_t sent_k;  /* requests sent (open loop: of the schedule) */
	uint64_t open_at; /* IDLE: when to (re)connect */
	uint64_t connect_ns;
	uint64_t closing_ns;    /* CLOSING since */
	uint64_t ready_ns;      /* when it last became free to send (open loop: lateness) */
	uint64_t last_io_ns;    /* slow modes: the last byte moved (timeouts count from it) */
	uint64_t sent_sock;     /* requests sent on this socket (--conn-requests) */
	uint64_t answered_sock; /* responses received on this socket */
	struct __kernel_timespec send_ts, recv_ts; /* the slow modes' pauses */

	lg_rx rx; /* response framing */

	/* https://: the session over this socket (rb_tls), from the connect's
	 * completion to the socket's close; NULL for http:// */
	struct rb_tls *tls;
	/* kTLS RX: the recvmsg's storage (lg_tls_ktls_recvmsg), allocated on
	 * the first non-data record, kept across sockets, freed with c. */
	struct rb_ktls_rec *krec;

	struct lg_conn *dirty_next;
	struct lg_conn *open_next; /* the open queue */
} lg_conn;

#endif
