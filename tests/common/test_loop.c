/* rb_loop: the user_data codec, the completion-error policy, RB_FAULTS
 * parsing, and the loop itself on NOPs and a socket pair under each fault
 * that changes its paths (full queue, tiny CQ, legacy buffers, short sends,
 * single-shot receives).  Each test runs in its own process (Criterion), so
 * setenv + rb_faults_init sets that test's faults only. */
#include "rb_faults.h"
#include "rb_log.h"
#include "rb_loop.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

Test(loop, ud_round_trip)
{
	uint64_t ud = rb_ud(0xab, RB_UD_SLOT_MAX, 0xfedcba98u);
	cr_assert_eq(rb_ud_op(ud), 0xabu);
	cr_assert_eq(rb_ud_slot(ud), RB_UD_SLOT_MAX);
	cr_assert_eq(rb_ud_gen(ud), 0xfedcba98u);
	ud = rb_ud(1, 12345, 0);
	cr_assert_eq(rb_ud_op(ud), 1u);
	cr_assert_eq(rb_ud_slot(ud), 12345u);
	cr_assert_eq(rb_ud_gen(ud), 0u);
	/* liburing's own timeout entry never looks like an owner's op */
	cr_assert_eq(rb_ud_op(LIBURING_UDATA_TIMEOUT), 0xffu);
}

Test(loop, res_kinds)
{
	cr_assert_eq(rb_res_kind(5), RB_RES_OK);
	cr_assert_eq(rb_res_kind(0), RB_RES_EOF);
	cr_assert_eq(rb_res_kind(-ENOBUFS), RB_RES_NOBUFS);
	cr_assert_eq(rb_res_kind(-ECANCELED), RB_RES_CANCELED);
	cr_assert_eq(rb_res_kind(-ECONNRESET), RB_RES_RESET);
	cr_assert_eq(rb_res_kind(-EPIPE), RB_RES_RESET);
	cr_assert_eq(rb_res_kind(-EINVAL), RB_RES_REFUSED);
	cr_assert_eq(rb_res_kind(-ETIMEDOUT), RB_RES_ERROR);
}

Test(loop, faults_parse)
{
	unsigned bits;
	char err[256];
	cr_assert_eq(rb_faults_parse("", &bits, err, sizeof(err)), 0);
	cr_assert_eq(bits, 0u);
	cr_assert_eq(rb_faults_parse("tiny-cq,short-send", &bits, err, sizeof(err)), 0);
	cr_assert_eq(bits, (unsigned)(RB_FAULT_TINY_CQ | RB_FAULT_SHORT_SEND));
	cr_assert_eq(rb_faults_parse("no-multishot,no-defer-taskrun,no-bufring,tiny-cq,enobufs,"
				     "short-send,accept-fail,sq-full",
				     &bits, err, sizeof(err)),
		     0);
	cr_assert_eq(bits, 0xffu);
	cr_assert_eq(rb_faults_parse("tiny-cq,tiny", &bits, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown fault 'tiny'"), "%s", err);
	cr_assert(strstr(err, "allowed: no-multishot"), "%s", err);
	cr_assert_eq(rb_faults_parse("short-send,", &bits, err, sizeof(err)), 0,
		     "a trailing comma is an empty list entry, not an error");
	char names[160];
	cr_assert_str_eq(rb_faults_names(RB_FAULT_ENOBUFS | RB_FAULT_SQ_FULL, names, sizeof(names)),
			 "enobufs sq-full");
}

static void use_faults(const char *list)
{
	rb_log_set_program("test_loop");
	cr_assert_eq(setenv("RB_FAULTS", list, 1), 0);
	cr_assert_eq(rb_faults_init(), 0);
}

/* ---- NOPs: every completion arrives once, in order ----------------------- */

typedef struct nop_owner {
	rb_loop *l;
	uint32_t queued, seen, want;
	int out_of_order;
} nop_owner;

static uint64_t nop_before(void *o)
{
	nop_owner *n = o;
	if (n->seen == n->want)
		return RB_LOOP_STOP;
	/* Queue far more than the queues hold, from the hook and from the
	 * handler below: the full-queue policy reaps into the stash. */
	while (n->queued < n->want && n->queued - n->seen < 200) {
		struct io_uring_sqe *sqe = rb_loop_sqe(n->l);
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, rb_ud(1, n->queued++ & RB_UD_SLOT_MAX, 0));
	}
	return 1000000000ull;
}

static void nop_handle(void *o, const struct io_uring_cqe *cqe)
{
	nop_owner *n = o;
	if (rb_ud_slot(cqe->user_data) != (n->seen & RB_UD_SLOT_MAX))
		n->out_of_order = 1;
	n->seen++;
	if (n->queued < n->want) { /* submissions from inside a handler too */
		struct io_uring_sqe *sqe = rb_loop_sqe(n->l);
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, rb_ud(1, n->queued++ & RB_UD_SLOT_MAX, 0));
	}
}

static void run_nops(const char *faults, int expect_full)
{
	use_faults(faults);
	rb_loop l;
	rb_loop_opts o = {.name = "test", .sq_entries = 16, .cq_entries = 32};
	cr_assert_eq(rb_loop_init(&l, &o), 0);
	if (strstr(faults, "no-defer-taskrun"))
		cr_assert_eq(l.info.flags &
				     (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_COOP_TASKRUN),
			     0u);
	if (strstr(faults, "tiny-cq"))
		cr_assert_eq(l.info.cq_entries, 8u);
	nop_owner n = {.l = &l, .want = 5000};
	rb_loop_hooks h = {.before_wait = nop_before, .handle = nop_handle};
	cr_assert_eq(rb_loop_run(&l, &h, &n), 0);
	cr_assert_eq(n.seen, n.want);
	cr_assert_eq(n.out_of_order, 0, "completions out of order");
	if (expect_full) {
		cr_assert_gt(l.stats.sq_full, 0);
		cr_assert_gt(l.stats.stashed, 0, "the full-queue path reaped completions");
	}
	rb_loop_exit(&l);
}

Test(loop, nops_plain)
{
	run_nops("", 1); /* 200 in flight on a 16-entry queue: full often */
}

Test(loop, nops_sq_full)
{
	run_nops("sq-full", 1);
}

Test(loop, nops_tiny_cq)
{
	run_nops("tiny-cq", 1);
}

Test(loop, nops_no_defer_taskrun)
{
	run_nops("no-defer-taskrun", 1);
}

/* ---- socket pairs: receives into the loop's buffers, sends ------------- */

enum {
	OP_RECV = 1,
	OP_SEND
};
#define MAX_PAIRS 32

typedef struct echo_conn {
	int fd;
	size_t got, sent;
	char *in;
	int send_inflight, recv_armed;
} echo_conn;

typedef struct echo_owner {
	rb_loop *l;
	echo_conn c[MAX_PAIRS];
	int npairs;
	size_t want;
	const char *out;
	uint64_t nobufs;
	int rearm_in_handler; /* against the contract: what rb_loop_sqe_full must survive */
} echo_owner;

/* The contract's pattern: sends and receive re-arms from before_wait, after
 * the batch's buffers are back with the kernel. */
static uint64_t echo_before(void *o)
{
	echo_owner *e = o;
	int done = 1;
	for (int i = 0; i < e->npairs; i++) {
		echo_conn *c = &e->c[i];
		if (c->got < e->want)
			done = 0;
		if (!c->send_inflight && c->sent < e->want) {
			rb_loop_send(e->l, c->fd, e->out + c->sent, e->want - c->sent,
				     rb_ud(OP_SEND, (uint32_t)i, 0));
			c->send_inflight = 1;
		}
		if (!c->recv_armed && c->got < e->want) {
			rb_loop_arm_recv(e->l, c->fd, rb_ud(OP_RECV, (uint32_t)i, 0));
			c->recv_armed = 1;
		}
	}
	return done ? RB_LOOP_STOP : 2000000000ull;
}

static void echo_handle(void *o, const struct io_uring_cqe *cqe)
{
	echo_owner *e = o;
	echo_conn *c = &e->c[rb_ud_slot(cqe->user_data)];
	if (rb_ud_op(cqe->user_data) == OP_SEND) {
		c->send_inflight = 0;
		cr_assert_gt(cqe->res, 0, "send: %d", cqe->res);
		c->sent += (size_t)cqe->res;
		return;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = 0;
	switch (rb_res_kind(cqe->res)) {
	case RB_RES_OK:
		cr_assert_leq(c->got + (size_t)cqe->res, e->want);
		memcpy(c->in + c->got, rb_loop_buf(e->l, cqe), (size_t)cqe->res);
		c->got += (size_t)cqe->res;
		rb_loop_buf_put(e->l, cqe);
		break;
	case RB_RES_NOBUFS:
		e->nobufs++;
		break;
	case RB_RES_REFUSED:
		cr_assert(rb_loop_refused(e->l, RB_ARM_RECV, cqe), "recv refused for real");
		break;
	default:
		cr_assert_fail("recv: %d", cqe->res);
	}
	if (e->rearm_in_handler && !c->recv_armed && c->got < e->want) {
		rb_loop_arm_recv(e->l, c->fd, cqe->user_data);
		c->recv_armed = 1;
	}
}

typedef struct echo_result {
	rb_loop_stats st;
	uint64_t nobufs;
	int legacy, single_recv;
} echo_result;

static echo_result run_echo_how(const char *faults, size_t want, int npairs, int in_handler)
{
	use_faults(faults);
	int mine[MAX_PAIRS], theirs[MAX_PAIRS];
	for (int i = 0; i < npairs; i++) {
		int sv[2];
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		mine[i] = sv[0];
		theirs[i] = sv[1];
	}
	/* A relay writes back what it reads on each pair, in a child forked
	 * before the ring exists (a child holding the ring's descriptor would
	 * keep the armed receives, and so our ends, alive after we close them). */
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct pollfd pf[MAX_PAIRS];
		for (int i = 0; i < npairs; i++) {
			close(mine[i]);
			pf[i] = (struct pollfd){.fd = theirs[i], .events = POLLIN};
		}
		int open = npairs;
		char b[4096];
		while (open > 0 && poll(pf, (nfds_t)npairs, 10000) > 0) {
			for (int i = 0; i < npairs; i++) {
				if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
					continue;
				ssize_t r = read(pf[i].fd, b, sizeof(b));
				if (r <= 0) {
					close(pf[i].fd);
					pf[i].fd = -1;
					open--;
				} else if (write(pf[i].fd, b, (size_t)r) != r) {
					_exit(1);
				}
			}
		}
		_exit(open == 0 ? 0 : 2);
	}
	for (int i = 0; i < npairs; i++)
		close(theirs[i]);
	rb_loop l;
	rb_loop_opts o = {
		.name = "test", .sq_entries = 64, .recv_buffers = 16, .recv_buffer_size = 512};
	cr_assert_eq(rb_loop_init(&l, &o), 0);
	char *out = malloc(want);
	for (size_t i = 0; i < want; i++)
		out[i] = (char)('a' + i % 23);
	echo_owner e = {.l = &l,
			.npairs = npairs,
			.want = want,
			.out = out,
			.rearm_in_handler = in_handler};
	for (int i = 0; i < npairs; i++) {
		e.c[i].fd = mine[i];
		e.c[i].in = malloc(want);
	}
	rb_loop_hooks h = {.before_wait = echo_before, .handle = echo_handle};
	cr_assert_eq(rb_loop_run(&l, &h, &e), 0);
	for (int i = 0; i < npairs; i++) {
		cr_assert_eq(e.c[i].got, want, "pair %d", i);
		cr_assert(memcmp(e.c[i].in, out, want) == 0, "pair %d: bytes intact, in order", i);
	}
	echo_result r = {.st = l.stats,
			 .nobufs = e.nobufs,
			 .legacy = l.bufs.br == NULL,
			 .single_recv = l.single[RB_ARM_RECV]};
	rb_loop_exit(&l);
	for (int i = 0; i < npairs; i++) {
		close(mine[i]);
		free(e.c[i].in);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the relay ended cleanly");
	free(out);
	return r;
}

static echo_result run_echo(const char *faults, size_t want, int npairs)
{
	return run_echo_how(faults, want, npairs, 0);
}

Test(loop, echo_plain)
{
	echo_result r = run_echo("", 200000, 1);
	cr_assert_eq(r.legacy, 0);
	cr_assert_eq(r.single_recv, 0);
}

Test(loop, echo_no_bufring)
{
	echo_result r = run_echo("no-bufring", 200000, 4);
	cr_assert_eq(r.legacy, 1, "legacy provided buffers in use");
}

Test(loop, echo_no_multishot)
{
	echo_result r = run_echo("no-multishot", 100000, 4);
	cr_assert_eq(r.single_recv, 1, "switched to single-shot receives");
	cr_assert_gt(r.st.faults_hit, 0);
}

Test(loop, echo_short_send)
{
	echo_result r = run_echo("short-send", 20000, 1);
	cr_assert_gt(r.st.faults_hit, 0);
}

Test(loop, echo_enobufs)
{
	echo_result r = run_echo("enobufs", 100000, 8);
	cr_assert_gt(r.nobufs, 0, "receives ran dry");
}

/* 32 connections on 2 buffers with the queue reporting full: receives run
 * dry while submissions go out mid-batch; re-armed after the batch, every
 * one makes progress. */
Test(loop, echo_enobufs_many_sq_full)
{
	echo_result r = run_echo("enobufs,sq-full", 50000, 32);
	cr_assert_gt(r.nobufs, 0);
	cr_assert_gt(r.st.sq_full, 0);
}

Test(loop, echo_everything)
{
	echo_result r = run_echo(
		"no-multishot,no-defer-taskrun,no-bufring,tiny-cq,enobufs,short-send,sq-full",
		20000, 8);
	cr_assert_eq(r.legacy, 1);
	cr_assert_eq(r.single_recv, 1);
	cr_assert_gt(r.nobufs, 0);
}

/* A handler that re-arms a dry receive at once, against the contract: on a
 * full queue the receive goes out mid-batch, and without the buffers the
 * batch gave back it would run dry again, forever (rb_loop_sqe_full hands
 * them to the kernel first). */
Test(loop, echo_rearm_in_handler_survives, .timeout = 60)
{
	echo_result r = run_echo_how("enobufs,sq-full", 50000, 16, 1);
	cr_assert_gt(r.nobufs, 0);
}
