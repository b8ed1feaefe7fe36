/*
 * The event loop under every program: rbserver's workers, rbload's workers
 * and rbfloor run on it, so they use the kernel the same way by construction.
 *
 * What it owns: one io_uring (set up with the fallback ladder of
 * rb_ring_init), the receive buffers (a provided-buffer ring, or the legacy
 * IORING_OP_PROVIDE_BUFFERS where the kernel has no rings), the multishot
 * fallbacks, the user_data codec, the completion-error policy, the policy for
 * a full submission queue, and the RB_FAULTS switches (rb_faults_init, rb_faults).
 *
 * The contract, per iteration of rb_loop_run():
 *   1. hooks->before_wait(owner): the program queues what its batch produced
 *      (one send per connection, re-armed receives) and says how long to
 *      wait, or RB_LOOP_STOP;
 *   2. everything queued is submitted and the loop waits for at least one
 *      completion or the timeout;
 *   3. hooks->after_wait(owner), if set: read the clock once for the batch;
 *   4. hooks->handle(owner, cqe) for each completion, in order.  cqe is a
 *      copy the handler may keep; completions that arrive while a handler
 *      runs (reaped by a full-queue submit) are handled after it, in order;
 *   5. the receive buffers the handlers gave back are published together.
 *
 * So a receive that ended (no IORING_CQE_F_MORE, -ENOBUFS above all) is
 * re-armed from before_wait, after step 5, never from the handler: re-armed
 * there, it could reach the kernel before the buffers it needs and run dry
 * again, batch after batch.
 *
 * Completions with op RB_OP_LOOP are the loop's own (cancellations, buffer
 * returns) and never reach the handler.  Errors are -errno values; a failed
 * set-up step logs one line naming the step.
 */
#ifndef RB_LOOP_H
#define RB_LOOP_H

#include "rb_bufring.h"
#include "rb_faults.h"
#include "rb_ring.h"

#include <stddef.h>
#include <stdint.h>

/* ---- user_data: op (8 bits) | slot (24 bits) | generation (32 bits) ----
 * A slot names a connection in its owner's array; the generation is bumped
 * each time the slot is reused, so a completion for an earlier connection of
 * that slot is recognised as stale.  Owners cap their connection counts at
 * RB_UD_SLOT_MAX + 1 (checked with _Static_assert where the cap is defined). */
#define RB_UD_SLOT_BITS 24
#define RB_UD_SLOT_MAX ((1u << RB_UD_SLOT_BITS) - 1u)
#define RB_OP_LOOP 0u /* the loop's own operations */

static inline uint64_t rb_ud(unsigned op, uint32_t slot, uint32_t gen)
{
	return (uint64_t)(op & 0xffu) << 56 | (uint64_t)(slot & RB_UD_SLOT_MAX) << 32 | gen;
}
static inline unsigned rb_ud_op(uint64_t ud)
{
	return (unsigned)(ud >> 56);
}
static inline uint32_t rb_ud_slot(uint64_t ud)
{
	return (uint32_t)(ud >> 32) & RB_UD_SLOT_MAX;
}
static inline uint32_t rb_ud_gen(uint64_t ud)
{
	return (uint32_t)ud;
}

/* ---- the completion-error policy ----------------------------------------
 * Every completion result a connection operation can have falls in one of
 * these, and each program maps the kinds to its counters in one switch. */
enum rb_res_kind {
	RB_RES_OK = 0,   /* res > 0 (bytes, or an accepted fd >= 0 for accept) */
	RB_RES_EOF,      /* res == 0 on a receive: the peer shut its write side */
	RB_RES_NOBUFS,   /* -ENOBUFS: the receive buffers ran dry; re-arm, not an error */
	RB_RES_CANCELED, /* -ECANCELED: we cancelled it */
	RB_RES_RESET,    /* -ECONNRESET, -EPIPE: the peer is gone */
	RB_RES_REFUSED,  /* -EINVAL: the kernel refused the operation as asked */
	RB_RES_ERROR,    /* anything else */
};
enum rb_res_kind rb_res_kind(int res);

/* The kinds of operation the loop arms on the owner's behalf.  A completion
 * of a multishot op refused by the kernel (-EINVAL before it ever worked)
 * switches the loop to single-shot for that kind: rb_loop_refused(). */
enum rb_arm {
	RB_ARM_ACCEPT = 0,
	RB_ARM_RECV,
	RB_ARM__COUNT
};

#define RB_LOOP_FOREVER UINT64_MAX /* before_wait: wait without a timeout */
#define RB_LOOP_STOP (UINT64_MAX - 1)

typedef struct rb_loop_hooks {
	uint64_t (*before_wait)(void *owner); /* ns to wait, RB_LOOP_FOREVER or RB_LOOP_STOP */
	void (*after_wait)(void *owner);      /* optional */
	void (*handle)(void *owner, const struct io_uring_cqe *cqe);
} rb_loop_hooks;

typedef struct rb_loop_opts {
	const char *name;      /* for log lines: "worker 0", "ring" (copied) */
	unsigned sq_entries;   /* submission queue size */
	unsigned cq_entries;   /* completion queue size; 0: 4 x sq */
	uint32_t recv_buffers; /* receive buffers (a power of two); 0: none */
	uint32_t recv_buffer_size;
} rb_loop_opts;

typedef struct rb_loop_stats {
	uint64_t cq_overflows;     /* waits after which the kernel held completions back */
	uint64_t sq_full;          /* submission entries that found the queue full */
	uint64_t stashed;          /* completions reaped while a queue was full */
	uint64_t faults_hit;       /* RB_FAULTS injections */
	uint64_t provide_failures; /* legacy buffer returns the kernel refused (retried) */
} rb_loop_stats;

typedef struct rb_loop {
	struct io_uring ring;
	rb_ring_info info;
	rb_bufring bufs; /* bufs.entries == 0: no receive buffers */
	unsigned faults;
	char name[32]; /* a copy: the caller's string may not outlive set-up */
	int ring_ok;
	uint8_t single[RB_ARM__COUNT]; /* single-shot: refused by the kernel or no-multishot */
	uint8_t works[RB_ARM__COUNT];  /* a multishot op of that kind has worked */
	/* Multishot ops armed while none had worked: each may still come back
	 * refused after the switch to single-shot (rb_loop_refused). */
	uint32_t ms_untried[RB_ARM__COUNT];
	uint32_t sqe_count, accept_count;

	/* Legacy provided buffers (no buffer ring): ids given back, published
	 * with IORING_OP_PROVIDE_BUFFERS at the end of the batch. */
	uint16_t *returned;
	uint32_t nreturned;

	/* Completions reaped to make room while the submission queue was full,
	 * handled before any newer one.  Grows in that rare path only. */
	struct io_uring_cqe *stash;
	uint32_t stash_head, stash_len, stash_cap;

	rb_loop_stats stats;
} rb_loop;

/* Set up the ring (flags the kernel refuses are dropped, one log line each)
 * and the receive buffers (the legacy kind where rings are refused).  Call
 * from the thread that runs the loop.  Returns 0 or -errno after logging. */
int rb_loop_init(rb_loop *l, const rb_loop_opts *o);

/* Tear down: pending operations are cancelled by the ring's exit before the
 * buffers go.  Safe on a zeroed or half-initialised loop. */
void rb_loop_exit(rb_loop *l);

/* Run until before_wait returns RB_LOOP_STOP.  Returns 0, or -errno when
 * the kernel refuses to wait (logged). */
int rb_loop_run(rb_loop *l, const rb_loop_hooks *hooks, void *owner);

/* After the run: hand the kernel what is still queued (a close, say) without
 * waiting for anything.  Returns what io_uring_submit returns. */
int rb_loop_submit(rb_loop *l);

/* A submission entry; never NULL.  Full queue: submit what is queued, reap
 * what has completed into the stash, and try again; a kernel that takes
 * nothing at all is fatal (logged, abort): the loop could not progress. */
struct io_uring_sqe *rb_loop_sqe(rb_loop *l);

/* Queue an operation of the loop's own, whose completion is dropped
 * (cancellations): user_data RB_OP_LOOP. */
void rb_loop_cancel_ud(rb_loop *l, uint64_t target_ud);

/* Accept on a listening socket (multishot unless single-shot is in force;
 * each completion without IORING_CQE_F_MORE needs a new arm). */
void rb_loop_arm_accept(rb_loop *l, int listen_fd, uint64_t ud);

/* Receive into the loop's buffers (multishot unless single-shot is in
 * force).  Completions carry a buffer: rb_loop_buf(), then rb_loop_buf_put(). */
void rb_loop_arm_recv(rb_loop *l, int fd, uint64_t ud);

/* Send n bytes at p (a short send completes with fewer). */
void rb_loop_send(rb_loop *l, int fd, const void *p, size_t n, uint64_t ud);

/* A completion of kind `arm` says -EINVAL: if it is a multishot op the
 * kernel refused (none of that kind has worked), switch to single-shot (one
 * log line, the first time) and return 1: the owner re-arms.  Every
 * multishot op armed before the switch comes back so, and each is
 * recognised.  Otherwise 0: a real error.  Also notes a working multishot
 * op when the completion has IORING_CQE_F_MORE. */
int rb_loop_refused(rb_loop *l, enum rb_arm arm, const struct io_uring_cqe *cqe);

static inline void rb_loop_note_more(rb_loop *l, enum rb_arm arm, const struct io_uring_cqe *cqe)
{
	if (cqe->flags & IORING_CQE_F_MORE)
		l->works[arm] = 1;
}

/* The bytes a receive completion filled (valid until rb_loop_buf_put). */
static inline char *rb_loop_buf(const rb_loop *l, const struct io_uring_cqe *cqe)
{
	return rb_bufring_ptr(&l->bufs, rb_bufring_bid(cqe));
}

void rb_loop_legacy_put(rb_loop *l, uint16_t bid);

/* Give a completion's buffer back (if it has one); published at the end of
 * the batch. */
static inline void rb_loop_buf_put(rb_loop *l, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	if (l->bufs.br)
		rb_bufring_put(&l->bufs, rb_bufring_bid(cqe));
	else
		rb_loop_legacy_put(l, rb_bufring_bid(cqe));
}

/* Publish the buffers given back (rb_loop_run does this after each batch). */
void rb_loop_buf_commit(rb_loop *l);

/* Does the ring run with this setup flag? */
static inline int rb_loop_has_flag(const rb_loop *l, unsigned flag)
{
	return (l->info.flags & flag) != 0;
}

#endif
