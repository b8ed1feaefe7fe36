#include "rb_loop.h"
#include "rb_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The loop's own completions: a cancellation (generation 0) is dropped; a
 * buffer return names its first id (slot) and count (generation), so a
 * failed one is queued again. */
#define RB_LOOP_UD_PROVIDE(first, n) rb_ud(RB_OP_LOOP, (first), (n))
#define RB_LOOP_BATCH 64u

enum rb_res_kind rb_res_kind(int res)
{
	if (res > 0)
		return RB_RES_OK;
	switch (res) {
	case 0:
		return RB_RES_EOF;
	case -ENOBUFS:
		return RB_RES_NOBUFS;
	case -ECANCELED:
		return RB_RES_CANCELED;
	case -ECONNRESET:
	case -EPIPE:
		return RB_RES_RESET;
	case -EINVAL:
		return RB_RES_REFUSED;
	default:
		return RB_RES_ERROR;
	}
}

/* ---- receive buffers ---------------------------------------------------- */

/* Legacy provided buffers (IORING_OP_PROVIDE_BUFFERS, kernels since 5.7):
 * the same buffer ids and IOSQE_BUFFER_SELECT as a ring, but each buffer
 * goes back with a submission instead of a store into shared memory. */
static int rb_loop_legacy_init(rb_loop *l, uint32_t entries, uint32_t size)
{
	rb_bufring *b = &l->bufs;
	memset(b, 0, sizeof(*b));
	b->base = malloc((size_t)entries * size);
	l->returned = malloc(entries * sizeof(*l->returned));
	if (!b->base || !l->returned)
		return -ENOMEM;
	b->entries = entries;
	b->size = size;
	struct io_uring_sqe *sqe = rb_loop_sqe(l);
	io_uring_prep_provide_buffers(sqe, b->base, (int)size, (int)entries, b->bgid, 0);
	io_uring_sqe_set_data64(sqe, RB_LOOP_UD_PROVIDE(0, entries));
	int rc = io_uring_submit_and_wait(&l->ring, 1);
	if (rc < 0)
		return rc;
	struct io_uring_cqe *cqe;
	rc = io_uring_peek_cqe(&l->ring, &cqe);
	if (rc < 0)
		return rc;
	rc = cqe->res < 0 ? cqe->res : 0;
	io_uring_cqe_seen(&l->ring, cqe);
	return rc;
}

void rb_loop_legacy_put(rb_loop *l, uint16_t bid)
{
	l->returned[l->nreturned++] = bid;
}

void rb_loop_buf_commit(rb_loop *l)
{
	if (l->bufs.br) {
		rb_bufring_commit(&l->bufs);
		return;
	}
	/* One submission per run of consecutive ids. */
	uint32_t i = 0;
	while (i < l->nreturned) {
		uint16_t first = l->returned[i];
		uint32_t n = 1;
		while (i + n < l->nreturned && l->returned[i + n] == first + n)
			n++;
		struct io_uring_sqe *sqe = rb_loop_sqe(l);
		io_uring_prep_provide_buffers(sqe, rb_bufring_ptr(&l->bufs, first),
					      (int)l->bufs.size, (int)n, l->bufs.bgid, first);
		io_uring_sqe_set_data64(sqe, RB_LOOP_UD_PROVIDE(first, n));
		i += n;
	}
	l->nreturned = 0;
}

static int rb_loop_bufs_init(rb_loop *l, uint32_t entries, uint32_t size)
{
	if (l->faults & RB_FAULT_ENOBUFS)
		entries = 2;
	int rc = -EINVAL;
	if (!(l->faults & RB_FAULT_NO_BUFRING)) {
		rc = rb_bufring_init(&l->bufs, &l->ring, 0, entries, size);
		if (rc == 0)
			return 0;
		if (rc != -EINVAL) {
			rb_log("%s: cannot register a provided buffer ring: %s", l->name,
			       strerror(-rc));
			return rc;
		}
	}
	rb_log("%s: %s; using legacy provided buffers", l->name,
	       (l->faults & RB_FAULT_NO_BUFRING)
		       ? "RB_FAULTS=no-bufring"
		       : "kernel refused a provided buffer ring (-EINVAL)");
	rc = rb_loop_legacy_init(l, entries, size);
	if (rc)
		rb_log("%s: cannot provide receive buffers (IORING_OP_PROVIDE_BUFFERS): %s",
		       l->name, strerror(-rc));
	return rc;
}

/* ---- set-up and teardown ------------------------------------------------ */

int rb_loop_init(rb_loop *l, const rb_loop_opts *o)
{
	memset(l, 0, sizeof(*l));
	l->faults = rb_faults();
	snprintf(l->name, sizeof(l->name), "%s", o->name ? o->name : "loop");
	rb_ring_opts ro = {.sq_entries = o->sq_entries,
			   .cq_entries = o->cq_entries,
			   .single_thread = 1,
			   .name = l->name};
	if (l->faults & RB_FAULT_TINY_CQ)
		ro.sq_entries = ro.cq_entries = 8;
	if (l->faults & RB_FAULT_NO_DEFER_TASKRUN)
		ro.refuse = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
			    IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_COOP_TASKRUN |
			    IORING_SETUP_SUBMIT_ALL;
	int rc = rb_ring_init(&l->ring, &ro, &l->info);
	if (rc)
		return rc;
	l->ring_ok = 1;
	/* A failed accept must leave the connection queued, as EMFILE does:
	 * only a single-shot accept can be failed that way (rb_loop_arm_accept). */
	if (l->faults & RB_FAULT_ACCEPT_FAIL)
		l->single[RB_ARM_ACCEPT] = 1;
	if (o->recv_buffers)
		return rb_loop_bufs_init(l, o->recv_buffers, o->recv_buffer_size);
	return 0;
}

void rb_loop_exit(rb_loop *l)
{
	if (l->ring_ok) {
		/* Cancels what is still pending before the memory it points
		 * at goes; the exit also unregisters the buffer ring. */
		io_uring_queue_exit(&l->ring);
		l->ring_ok = 0;
	}
	rb_bufring_free(&l->bufs, NULL);
	free(l->returned);
	l->returned = NULL;
	free(l->stash);
	l->stash = NULL;
	l->stash_len = l->stash_head = l->stash_cap = 0;
}

int rb_loop_submit(rb_loop *l)
{
	return l->ring_ok ? io_uring_submit(&l->ring) : 0;
}

/* ---- the full-queue policy ---------------------------------------------- */

static void rb_loop_stash_push(rb_loop *l, const struct io_uring_cqe *cqe)
{
	if (l->stash_head == l->stash_len)
		l->stash_head = l->stash_len = 0;
	if (l->stash_len == l->stash_cap) {
		uint32_t cap = l->stash_cap ? l->stash_cap * 2 : 256;
		struct io_uring_cqe *n = realloc(l->stash, cap * sizeof(*n));
		if (!n) {
			rb_log("%s: out of memory keeping completions while the submission queue "
			       "is full",
			       l->name);
			abort();
		}
		l->stash = n;
		l->stash_cap = cap;
	}
	l->stash[l->stash_len++] = *cqe;
	l->stats.stashed++;
}

/* Move every completion the kernel has posted into the stash. */
static void rb_loop_reap(rb_loop *l)
{
	unsigned head, n = 0;
	struct io_uring_cqe *cqe;
	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		rb_loop_stash_push(l, cqe);
		n++;
	}
	io_uring_cq_advance(&l->ring, n);
}

static struct io_uring_sqe *rb_loop_sqe_full(rb_loop *l)
{
	l->stats.sq_full++;
	/* Buffers the batch gave back so far go to the kernel before any
	 * receive queued with them: one that ran dry must not run dry again
	 * for want of them.  (Legacy buffers go back by submission, at the
	 * end of the batch.) */
	if (l->bufs.br)
		rb_bufring_commit(&l->bufs);
	for (int tries = 0; tries < 64; tries++) {
		/* Hand the queued entries to the kernel; reap what completed so
		 * the kernel has room to post (and to take more submissions
		 * on kernels that refuse them while completions overflow). */
		int rc = io_uring_submit(&l->ring);
		rb_loop_reap(l);
		struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
		if (sqe)
			return sqe;
		if (rc < 0 && rc != -EBUSY && rc != -EAGAIN && rc != -EINTR) {
			rb_log("%s: io_uring_submit: %s", l->name, strerror(-rc));
			break;
		}
		/* The kernel took nothing: let it post what is ready (task
		 * work, the overflow backlog), to be reaped on the next try. */
		io_uring_get_events(&l->ring);
	}
	rb_log("%s: the submission queue stays full; the loop cannot progress", l->name);
	abort();
}

struct io_uring_sqe *rb_loop_sqe(rb_loop *l)
{
	if (l->faults & RB_FAULT_SQ_FULL && ++l->sqe_count % 5 == 0) {
		l->stats.faults_hit++;
		return rb_loop_sqe_full(l);
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	return sqe ? sqe : rb_loop_sqe_full(l);
}

/* ---- arming ------------------------------------------------------------- */

void rb_loop_cancel_ud(rb_loop *l, uint64_t target_ud)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(l);
	io_uring_prep_cancel64(sqe, target_ud, 0);
	io_uring_sqe_set_data64(sqe, rb_ud(RB_OP_LOOP, 0, 0));
}

/* RB_FAULTS=no-multishot: answer a multishot op as a kernel without it
 * does, -EINVAL, so the owner's switch to single-shot (rb_loop_refused) and
 * its re-arm run.  The answer waits in the stash for the next batch. */
static int rb_loop_refuse_multishot(rb_loop *l, enum rb_arm arm, uint64_t ud)
{
	if (!(l->faults & RB_FAULT_NO_MULTISHOT) || l->single[arm])
		return 0;
	struct io_uring_cqe fake = {.user_data = ud, .res = -EINVAL, .flags = 0};
	l->stats.faults_hit++;
	l->ms_untried[arm]++;
	rb_loop_stash_push(l, &fake);
	return 1;
}

/* Accepted sockets are non-blocking: the ring's operations do not care,
 * and a system call made on one from the loop (rbserver's sendfile) must
 * never block it. */
#define RB_ACCEPT_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)

void rb_loop_arm_accept(rb_loop *l, int listen_fd, uint64_t ud)
{
	if (l->faults & RB_FAULT_ACCEPT_FAIL && ++l->accept_count % 10 == 0) {
		/* As the kernel fails an accept with no descriptor free: the
		 * connection stays queued on the socket, the completion says
		 * -EMFILE.  It waits in the stash for the next batch. */
		struct io_uring_cqe fake = {.user_data = ud, .res = -EMFILE, .flags = 0};
		l->stats.faults_hit++;
		rb_loop_stash_push(l, &fake);
		return;
	}
	if (rb_loop_refuse_multishot(l, RB_ARM_ACCEPT, ud))
		return;
	struct io_uring_sqe *sqe = rb_loop_sqe(l);
	if (l->single[RB_ARM_ACCEPT]) {
		io_uring_prep_accept(sqe, listen_fd, NULL, NULL, RB_ACCEPT_FLAGS);
	} else {
		io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, RB_ACCEPT_FLAGS);
		if (!l->works[RB_ARM_ACCEPT])
			l->ms_untried[RB_ARM_ACCEPT]++;
	}
	io_uring_sqe_set_data64(sqe, ud);
}

void rb_loop_arm_recv(rb_loop *l, int fd, uint64_t ud)
{
	if (rb_loop_refuse_multishot(l, RB_ARM_RECV, ud))
		return;
	struct io_uring_sqe *sqe = rb_loop_sqe(l);
	if (l->single[RB_ARM_RECV]) { /* one buffer per submission */
		io_uring_prep_recv(sqe, fd, NULL, l->bufs.size, 0);
	} else { /* multishot wants length 0: each completion fills one buffer */
		io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
		if (!l->works[RB_ARM_RECV])
			l->ms_untried[RB_ARM_RECV]++;
	}
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = l->bufs.bgid;
	io_uring_sqe_set_data64(sqe, ud);
}

void rb_loop_send(rb_loop *l, int fd, const void *p, size_t n, uint64_t ud)
{
	if (l->faults & RB_FAULT_SHORT_SEND && n > 7) {
		n = 7;
		l->stats.faults_hit++;
	}
	struct io_uring_sqe *sqe = rb_loop_sqe(l);
	io_uring_prep_send(sqe, fd, p, n, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud);
}

int rb_loop_refused(rb_loop *l, enum rb_arm arm, const struct io_uring_cqe *cqe)
{
	rb_loop_note_more(l, arm, cqe);
	if (cqe->res != -EINVAL || l->works[arm] || l->ms_untried[arm] == 0)
		return 0; /* not a multishot op the kernel refused */
	l->ms_untried[arm]--;
	if (!l->single[arm]) {
		l->single[arm] = 1;
		rb_log("%s: kernel refused multishot %s (-EINVAL); using single-shot", l->name,
		       arm == RB_ARM_ACCEPT ? "accept" : "recv");
	}
	return 1;
}

/* ---- the loop ----------------------------------------------------------- */

static void rb_loop_deliver(rb_loop *l, const rb_loop_hooks *h, void *owner,
			    const struct io_uring_cqe *cqe)
{
	/* liburing's own timeout entry, on kernels without EXT_ARG waits */
	if (cqe->user_data == LIBURING_UDATA_TIMEOUT)
		return;
	if (rb_ud_op(cqe->user_data) == RB_OP_LOOP) {
		uint32_t n = rb_ud_gen(cqe->user_data);
		if (n && cqe->res < 0) {
			/* Not lost: given back again with the next batch's. */
			l->stats.provide_failures++;
			if (l->stats.provide_failures == 1)
				rb_log("%s: returning receive buffers failed (%s); retrying",
				       l->name, strerror(-cqe->res));
			uint32_t first = rb_ud_slot(cqe->user_data);
			for (uint32_t i = 0; i < n; i++)
				rb_loop_legacy_put(l, (uint16_t)(first + i));
		}
		return;
	}
	h->handle(owner, cqe);
}

static void rb_loop_drain_stash(rb_loop *l, const rb_loop_hooks *h, void *owner)
{
	while (l->stash_head < l->stash_len) {
		struct io_uring_cqe cqe = l->stash[l->stash_head++];
		rb_loop_deliver(l, h, owner, &cqe);
	}
}

/* Completions in order: the stash (older than anything in the ring), then
 * the ring in batches copied out before they are handled, so a handler may
 * reap (rb_loop_sqe on a full queue) without invalidating the batch; what
 * it reaped is newer than the batch and older than the ring's rest. */
static void rb_loop_dispatch(rb_loop *l, const rb_loop_hooks *h, void *owner)
{
	struct io_uring_cqe batch[RB_LOOP_BATCH];
	unsigned limit = l->info.cq_entries ? l->info.cq_entries : 4096;
	unsigned total = 0;
	rb_loop_drain_stash(l, h, owner);
	while (total < limit) {
		unsigned head, n = 0;
		struct io_uring_cqe *cqe;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			batch[n++] = *cqe;
			if (n == RB_LOOP_BATCH)
				break;
		}
		if (n == 0)
			break;
		io_uring_cq_advance(&l->ring, n);
		for (unsigned i = 0; i < n; i++)
			rb_loop_deliver(l, h, owner, &batch[i]);
		rb_loop_drain_stash(l, h, owner);
		total += n;
	}
}

int rb_loop_run(rb_loop *l, const rb_loop_hooks *h, void *owner)
{
	for (;;) {
		uint64_t wait_ns = h->before_wait(owner);
		if (wait_ns == RB_LOOP_STOP)
			return 0;
		int rc;
		if (l->stash_head < l->stash_len) {
			rc = io_uring_submit(&l->ring); /* completions are waiting already */
		} else if (wait_ns == RB_LOOP_FOREVER) {
			rc = io_uring_submit_and_wait(&l->ring, 1);
		} else {
			struct __kernel_timespec ts = {
				.tv_sec = (long long)(wait_ns / 1000000000ull),
				.tv_nsec = (long long)(wait_ns % 1000000000ull)};
			struct io_uring_cqe *cqe;
			rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
		}
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			rb_log("%s: io_uring_enter: %s", l->name, strerror(-rc));
			return rc;
		}
		/* The kernel backlogged completions: the CQ is too small. */
		if (io_uring_cq_has_overflow(&l->ring))
			l->stats.cq_overflows++;
		if (h->after_wait)
			h->after_wait(owner);
		rb_loop_dispatch(l, h, owner);
		rb_loop_buf_commit(l);
	}
}
