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
	use_faults("no-defer-taskrun");
	rb_loop l;
	rb_loop_opts o = {.name = "test", .sq_entries = 16};
	cr_assert_eq(rb_loop_init(&l, &o), 0);
	cr_assert_eq(l.info.flags & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
				     IORING_SETUP_COOP_TASKRUN),
		     0u);
	rb_loop_exit(&l);
	setenv("RB_FAULTS", "", 1);
	run_nops("", 1);
}

/* ---- a socket pair: receives into the loop's buffers, sends ------------- */

enum {
	OP_RECV = 1,
	OP_SEND
};

typedef struct echo_owner {
	rb_loop *l;
	int fd;
	size_t want, got, sent;
	char *in;
	const char *out;
	int send_inflight, recv_armed, eof, nobufs;
} echo_owner;

static uint64_t echo_before(void *o)
{
	echo_owner *e = o;
	if (e->got == e->want)
		return RB_LOOP_STOP;
	if (!e->send_inflight && e->sent < e->want) {
		rb_loop_send(e->l, e->fd, e->out + e->sent, e->want - e->sent,
			     rb_ud(OP_SEND, 0, 0));
		e->send_inflight = 1;
	}
	if (!e->recv_armed) {
		rb_loop_arm_recv(e->l, e->fd, rb_ud(OP_RECV, 0, 0));
		e->recv_armed = 1;
	}
	return 2000000000ull;
}

static void echo_handle(void *o, const struct io_uring_cqe *cqe)
{
	echo_owner *e = o;
	if (rb_ud_op(cqe->user_data) == OP_SEND) {
		e->send_inflight = 0;
		cr_assert_gt(cqe->res, 0, "send: %d", cqe->res);
		e->sent += (size_t)cqe->res;
		return;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		e->recv_armed = 0;
	switch (rb_res_kind(cqe->res)) {
	case RB_RES_OK:
		cr_assert_leq(e->got + (size_t)cqe->res, e->want);
		memcpy(e->in + e->got, rb_loop_buf(e->l, cqe), (size_t)cqe->res);
		e->got += (size_t)cqe->res;
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
}

static rb_loop_stats run_echo(const char *faults, size_t want)
{
	use_faults(faults);
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* A relay: sv[1] writes back what it reads, in a child forked before
	 * the ring exists (a child holding the ring's descriptor would keep the
	 * armed receive, and so sv[0], alive after we close it). */
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		char b[4096];
		ssize_t r;
		while ((r = read(sv[1], b, sizeof(b))) > 0)
			if (write(sv[1], b, (size_t)r) != r)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	rb_loop l;
	rb_loop_opts o = {
		.name = "test", .sq_entries = 64, .recv_buffers = 16, .recv_buffer_size = 512};
	cr_assert_eq(rb_loop_init(&l, &o), 0);
	char *out = malloc(want), *in = malloc(want);
	for (size_t i = 0; i < want; i++)
		out[i] = (char)('a' + i % 23);
	echo_owner e = {.l = &l, .fd = sv[0], .want = want, .in = in, .out = out};
	rb_loop_hooks h = {.before_wait = echo_before, .handle = echo_handle};
	cr_assert_eq(rb_loop_run(&l, &h, &e), 0);
	cr_assert_eq(e.got, want);
	cr_assert(memcmp(in, out, want) == 0, "bytes intact and in order");
	rb_loop_stats st = l.stats;
	rb_loop_exit(&l);
	close(sv[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the relay ended cleanly");
	free(in);
	free(out);
	return st;
}

Test(loop, echo_plain)
{
	run_echo("", 200000);
}

Test(loop, echo_no_bufring)
{
	rb_loop_stats st = run_echo("no-bufring", 200000);
	(void)st;
}

Test(loop, echo_no_multishot)
{
	run_echo("no-multishot", 100000);
}

Test(loop, echo_short_send)
{
	rb_loop_stats st = run_echo("short-send", 20000);
	cr_assert_gt(st.faults_hit, 0);
}

Test(loop, echo_enobufs)
{
	run_echo("enobufs", 100000);
}

Test(loop, echo_everything)
{
	run_echo("no-multishot,no-defer-taskrun,no-bufring,tiny-cq,enobufs,short-send,sq-full",
		 20000);
}
