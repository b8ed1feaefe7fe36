/*
 * rbfloor: the kernel floor of an io_uring HTTP/1.1 responder, for measuring
 * how much of a server's CPU per request is the kernel's and how much is the
 * server's own.  NOT an HTTP server: it answers every "\r\n\r\n" it receives
 * with the same 133-byte /plaintext response (the size of rbserver's, with a
 * Date refreshed each second), and does nothing else: no parsing, no
 * routing, no bodies, no timeouts, no limits.
 *
 * It runs on the loop rbserver runs on (rb_loop_run): the same ring set-up
 * and fallbacks, the same multishot accept and receive into the same kind of
 * provided buffers, the same send helper, one send per connection per batch
 * of completions carrying every response owed.  So the
 * CPU time of rbserver minus rbfloor's, on the same load, is what rbserver
 * spends on HTTP, and rbfloor's is what no server built this way can go
 * below on this machine.  bench/suites/servers.toml runs it as server
 * "rbfloor".
 */
#include "rb_clock.h"
#include "rb_cpu.h"
#include "rb_httpdate.h"
#include "rb_listen.h"
#include "rb_log.h"
#include "rb_loop.h"
#include "rb_num.h"
#include "rb_signals.h"
#include "rb_version.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define FL_MAX_FDS 65536u
#define FL_BATCH 64u /* responses per send at most */
#define FL_BUFFERS 1024u
#define FL_BUFFER_SIZE 4096u
/* Connections are named by their descriptor in user_data's slot field. */
_Static_assert(FL_MAX_FDS - 1 <= RB_UD_SLOT_MAX, "rbfloor's descriptors fit the slot field");

enum fl_op {
	FL_ACCEPT = 1,
	FL_RECV,
	FL_SEND,
	FL_SIGNAL,
};

typedef struct fl_conn {
	uint32_t owed;     /* responses not yet handed to a send */
	uint32_t send_len; /* bytes of the send in flight, 0 if none */
	uint32_t send_off; /* of them, already sent (short sends) */
	uint8_t matched;   /* bytes of "\r\n\r\n" matched at the end of the last receive */
	uint8_t open, recv_armed, dirty;
} fl_conn;

/* After a failed accept (EMFILE), wait this long before trying again. */
#define FL_ACCEPT_RETRY_MS 100

typedef struct fl_server {
	rb_loop loop;
	int lfd;
	int sigfd;
	struct signalfd_siginfo sig; /* the signalfd read lands here */
	int stop;
	int accept_armed;
	uint64_t accept_retry_ms; /* a failed accept: re-arm at this time; 0: none */
	fl_conn *conns;           /* by fd */
	int *dirty;               /* fds with responses owed and no send in flight */
	uint32_t ndirty;
	rb_httpdate date;
	char *batch; /* FL_BATCH copies of the response */
	uint32_t resp_len;
} fl_server;

/* The response, FL_BATCH times; the Date field is rewritten in place, so
 * the remainder of a short send still pending when the second turns may
 * carry a torn Date: harmless for a floor measurement, which reads no Date. */
static int fl_build(fl_server *s)
{
	char one[256];
	int n = snprintf(one, sizeof(one),
			 "HTTP/1.1 200 OK\r\nServer: rb-floor\r\nDate: %s\r\n"
			 "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!",
			 s->date.str);
	if (n <= 0 || (size_t)n >= sizeof(one))
		return -1;
	s->resp_len = (uint32_t)n;
	s->batch = malloc((size_t)s->resp_len * FL_BATCH);
	if (!s->batch)
		return -1;
	for (uint32_t i = 0; i < FL_BATCH; i++)
		memcpy(s->batch + (size_t)i * s->resp_len, one, s->resp_len);
	return 0;
}

static void fl_refresh_date(fl_server *s)
{
	if (!rb_httpdate_refresh(&s->date))
		return;
	const char *at = memmem(s->batch, s->resp_len, "Date: ", 6);
	size_t off = (size_t)(at - s->batch) + 6;
	for (uint32_t i = 0; i < FL_BATCH; i++)
		memcpy(s->batch + (size_t)i * s->resp_len + off, s->date.str, RB_HTTPDATE_LEN);
}

static void fl_arm_recv(fl_server *s, int fd)
{
	rb_loop_arm_recv(&s->loop, fd, rb_ud(FL_RECV, (uint32_t)fd, 0));
	s->conns[fd].recv_armed = 1;
}

static void fl_arm_signal(fl_server *s)
{
	struct io_uring_sqe *sqe = rb_loop_sqe(&s->loop);
	io_uring_prep_read(sqe, s->sigfd, &s->sig, sizeof(s->sig), 0);
	io_uring_sqe_set_data64(sqe, rb_ud(FL_SIGNAL, 0, 0));
}

/* On the list fl_before_wait walks: a send owed, or a receive to re-arm. */
static void fl_mark(fl_server *s, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (!c->dirty) {
		c->dirty = 1;
		s->dirty[s->ndirty++] = fd;
	}
}

static void fl_send(fl_server *s, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (c->send_len == 0) {
		uint32_t k = c->owed < FL_BATCH ? c->owed : FL_BATCH;
		c->owed -= k;
		c->send_len = k * s->resp_len;
		c->send_off = 0;
	}
	rb_loop_send(&s->loop, fd, s->batch + c->send_off, c->send_len - c->send_off,
		     rb_ud(FL_SEND, (uint32_t)fd, 0));
}

/* Closed once neither a receive nor a send is in flight. */
static void fl_close(fl_server *s, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (c->open) {
		c->open = 0;
		shutdown(fd, SHUT_RDWR); /* ends the multishot receive */
	}
	if (!c->recv_armed && c->send_len == 0) {
		close(fd);
		memset(c, 0, sizeof(*c));
	}
}

/* Count the request ends in p[0, n), carrying a partial "\r\n\r\n" over. */
static uint32_t fl_count(fl_conn *c, const char *p, size_t n)
{
	static const char end[4] = {'\r', '\n', '\r', '\n'};
	uint32_t found = 0;
	unsigned m = c->matched;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == end[m]) {
			if (++m == 4) {
				found++;
				m = 0;
			}
		} else {
			m = p[i] == '\r' ? 1 : 0;
		}
	}
	c->matched = (uint8_t)m;
	return found;
}

static void fl_on_accept(fl_server *s, const struct io_uring_cqe *cqe)
{
	int res = cqe->res;
	int refused = rb_loop_refused(&s->loop, RB_ARM_ACCEPT, cqe);
	if (res >= 0) {
		if ((unsigned)res >= FL_MAX_FDS) {
			close(res);
		} else {
			int one = 1;
			setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			s->conns[res].open = 1;
			fl_arm_recv(s, res);
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;
	s->accept_armed = 0;
	/* A failed accept (EMFILE) leaves the connection queued: try again
	 * from fl_before_wait, at once after a success, a little later after
	 * an error (not in a tight loop). */
	if (res < 0 && !refused)
		s->accept_retry_ms = rb_now_ms_coarse() + FL_ACCEPT_RETRY_MS;
}

static void fl_on_recv(fl_server *s, const struct io_uring_cqe *cqe, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = 0;
	int refused = rb_loop_refused(&s->loop, RB_ARM_RECV, cqe);
	switch (rb_res_kind(cqe->res)) {
	case RB_RES_OK:
		if (c->open) {
			c->owed += fl_count(c, rb_loop_buf(&s->loop, cqe), (size_t)cqe->res);
			fl_mark(s, fd);
		}
		rb_loop_buf_put(&s->loop, cqe);
		break;
	case RB_RES_NOBUFS:
		break; /* re-armed by fl_before_wait, once the batch's buffers are back */
	case RB_RES_REFUSED:
		if (refused)
			break;
		/* fall through */
	default: /* end of stream, reset, cancelled */
		fl_close(s, fd);
		return;
	}
	/* Re-armed after the batch (rb_loop_run's contract): re-armed here, a
	 * receive that ran dry could find the buffers still empty. */
	if (c->open && !c->recv_armed)
		fl_mark(s, fd);
	else if (!c->open)
		fl_close(s, fd);
}

static void fl_on_send(fl_server *s, const struct io_uring_cqe *cqe, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (cqe->res < 0 || !c->open) {
		c->send_len = 0;
		fl_close(s, fd);
		return;
	}
	c->send_off += (uint32_t)cqe->res;
	if (c->send_off < c->send_len) {
		fl_send(s, fd); /* short send: the rest */
		return;
	}
	c->send_len = 0;
	fl_mark(s, fd);
}

static void fl_handle(void *owner, const struct io_uring_cqe *cqe)
{
	fl_server *s = owner;
	int fd = (int)rb_ud_slot(cqe->user_data);
	switch (rb_ud_op(cqe->user_data)) {
	case FL_ACCEPT:
		fl_on_accept(s, cqe);
		break;
	case FL_RECV:
		fl_on_recv(s, cqe, fd);
		break;
	case FL_SEND:
		fl_on_send(s, cqe, fd);
		break;
	case FL_SIGNAL:
		s->stop = 1;
		break;
	default:
		break;
	}
}

/* After a batch: receives re-armed, one send per connection for everything
 * the batch owes it, the accept re-armed. */
static uint64_t fl_before_wait(void *owner)
{
	fl_server *s = owner;
	for (uint32_t i = 0; i < s->ndirty; i++) {
		int fd = s->dirty[i];
		fl_conn *c = &s->conns[fd];
		c->dirty = 0;
		if (!c->open)
			continue;
		if (!c->recv_armed)
			fl_arm_recv(s, fd);
		if (c->send_len == 0 && c->owed)
			fl_send(s, fd);
	}
	s->ndirty = 0;
	if (!s->accept_armed && !s->stop && rb_now_ms_coarse() >= s->accept_retry_ms) {
		rb_loop_arm_accept(&s->loop, s->lfd, rb_ud(FL_ACCEPT, 0, 0));
		s->accept_armed = 1;
		s->accept_retry_ms = 0;
	}
	if (s->stop)
		return RB_LOOP_STOP;
	/* Wake at least once a second for the Date, sooner for an accept retry. */
	return s->accept_armed ? 1000000000ull : FL_ACCEPT_RETRY_MS * 1000000ull;
}

static void fl_after_wait(void *owner)
{
	fl_refresh_date(owner);
}

static const char fl_usage[] =
	"usage: rbfloor --port P [--bind ADDR] [--cpu N]\n"
	"\n"
	"The kernel floor of an io_uring HTTP/1.1 responder (bench/server/floor_server.c).\n"
	"NOT an HTTP server: it answers every \"\\r\\n\\r\\n\" it receives with the same\n"
	"133-byte /plaintext response and parses nothing. It uses the kernel as rbserver\n"
	"does (one ring, multishot accept and receive, provided buffers, one send per\n"
	"connection per batch), so its CPU time per request is the floor under rbserver's.\n"
	"\n"
	"  --port P     TCP port, 0 to 65535 (0: the kernel picks; stderr names it)\n"
	"  --bind ADDR  IPv4 or IPv6 address (default 127.0.0.1)\n"
	"  --cpu N      pin the thread to CPU N (default: the first CPU it may use)\n"
	"  --version    print the version\n"
	"Stops on SIGINT or SIGTERM.\n";

/* --port and --cpu: a whole number in [0, hi] (rb_parse_u64), refused in the kit's words. */
static int fl_num_arg(const char *flag, const char *v, uint64_t hi, long *out)
{
	uint64_t x;
	if (rb_parse_u64(v, 0, hi, &x)) {
		char msg[RB_NUM_MSG_SIZE];
		rb_num_range_msg(msg, sizeof(msg), flag, v, 0, hi);
		fprintf(stderr, "rbfloor: %s\n", msg);
		return -1;
	}
	*out = (long)x;
	return 0;
}

int main(int argc, char **argv)
{
	rb_log_set_program("rbfloor");
	const char *bind_addr = "127.0.0.1";
	long port = -1, cpu = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(fl_usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("rbfloor (ringbench %s)\n", RB_VERSION);
			return 0;
		}
		if (strcmp(a, "--port") && strcmp(a, "--bind") && strcmp(a, "--cpu")) {
			fprintf(stderr, "rbfloor: unknown option '%s'\n%s", a, fl_usage);
			return 2;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "rbfloor: missing value after '%s'\n%s", a, fl_usage);
			return 2;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--bind"))
			bind_addr = v;
		else if (!strcmp(a, "--port") ? fl_num_arg(a, v, 65535, &port)
					      : fl_num_arg(a, v, INT_MAX, &cpu))
			return 2;
	}
	if (port < 0) {
		fprintf(stderr, "rbfloor: --port is required\n%s", fl_usage);
		return 2;
	}

	if (rb_faults_init())
		return 2;
	fl_server s;
	memset(&s, 0, sizeof(s));
	int pin = cpu >= 0 ? (int)cpu : rb_cpu_nth(0);
	int rc = rb_cpu_pin(pin);
	if (rc)
		rb_log("cannot pin to CPU %d (%s); running unpinned", pin, strerror(-rc));
	/* Room for FL_MAX_FDS connections; without it accept fails with EMFILE. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FL_MAX_FDS) {
		rl.rlim_cur = rl.rlim_max < FL_MAX_FDS ? rl.rlim_max : FL_MAX_FDS;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Before the listening line: whoever waits for it may signal at once. */
	sigset_t stop;
	rb_signals_block(&stop);
	s.sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (s.sigfd < 0) {
		rb_log("signalfd: %s", strerror(errno));
		return 1;
	}
	rb_httpdate_refresh(&s.date);
	s.conns = calloc(FL_MAX_FDS, sizeof(*s.conns));
	s.dirty = calloc(FL_MAX_FDS, sizeof(*s.dirty));
	if (!s.conns || !s.dirty || fl_build(&s)) {
		rb_log("out of memory");
		return 1;
	}
	int bound = 0;
	s.lfd = rb_listen(bind_addr, (int)port, 0, &bound);
	if (s.lfd < 0) {
		rb_log("cannot listen on %s port %ld: %s", bind_addr, port,
		       s.lfd == -EINVAL ? "not an IPv4 or IPv6 address" : strerror(-s.lfd));
		return 1;
	}
	rb_loop_opts o = {.name = "ring",
			  .sq_entries = 4096,
			  .cq_entries = 16384,
			  .recv_buffers = FL_BUFFERS,
			  .recv_buffer_size = FL_BUFFER_SIZE};
	if ((rc = rb_loop_init(&s.loop, &o))) {
		rb_log("io_uring set-up failed: %s", strerror(-rc));
		rb_loop_exit(&s.loop);
		return 1;
	}
	rb_log("listening on %s port %d", bind_addr, bound);
	fl_arm_signal(&s); /* the accept: from fl_before_wait */
	rb_loop_hooks hooks = {
		.before_wait = fl_before_wait, .after_wait = fl_after_wait, .handle = fl_handle};
	rc = rb_loop_run(&s.loop, &hooks, &s);
	rb_log("stopping");
	close(s.lfd);
	/* The ring first: receives still armed hold buffers of the loop. */
	rb_loop_exit(&s.loop);
	for (unsigned fd = 0; fd < FL_MAX_FDS; fd++)
		if (s.conns[fd].open || s.conns[fd].recv_armed || s.conns[fd].send_len)
			close((int)fd);
	close(s.sigfd);
	free(s.batch);
	free(s.conns);
	free(s.dirty);
	return rc ? 1 : 0;
}
