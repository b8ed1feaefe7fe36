/*
 * rbfloor: the kernel floor of an io_uring HTTP/1.1 responder, for measuring
 * how much of a server's CPU per request is the kernel's and how much is the
 * server's own.  NOT an HTTP server: it answers every "\r\n\r\n" it receives
 * with the same 133-byte /plaintext response (the size of rbserver's, with a
 * Date refreshed each second), and does nothing else: no parsing, no
 * routing, no bodies, no timeouts, no limits.
 *
 * It does with the kernel what rbserver does (common/rb_ring, rb_bufring):
 * one pinned thread and ring (SINGLE_ISSUER + DEFER_TASKRUN), multishot
 * accept, multishot receive into a provided buffer ring, and one send per
 * connection per batch of completions carrying every response owed.  So the
 * CPU time of rbserver minus rbfloor's, on the same load, is what rbserver
 * spends on HTTP, and rbfloor's is what no server built this way can go
 * below on this machine.  bench/suites/servers.toml runs it as server
 * "rbfloor".
 */
#include "rb_bufring.h"
#include "rb_cpu.h"
#include "rb_httpdate.h"
#include "rb_log.h"
#include "rb_ring.h"
#include "rb_version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define FL_MAX_FDS 65536u
#define FL_BATCH 64u /* responses per send at most */
#define FL_BUFFERS 1024u
#define FL_BUFFER_SIZE 4096u

enum fl_op {
	FL_ACCEPT = 1,
	FL_RECV,
	FL_SEND
};

typedef struct fl_conn {
	uint32_t owed;     /* responses not yet handed to a send */
	uint32_t send_len; /* bytes of the send in flight, 0 if none */
	uint32_t send_off; /* of them, already sent (short sends) */
	uint8_t matched;   /* bytes of "\r\n\r\n" matched at the end of the last receive */
	uint8_t open, recv_armed, dirty;
} fl_conn;

typedef struct fl_server {
	struct io_uring ring;
	rb_bufring br;
	int lfd;
	fl_conn *conns; /* by fd */
	int *dirty;     /* fds with responses owed and no send in flight */
	uint32_t ndirty;
	rb_httpdate date;
	char *batch; /* FL_BATCH copies of the response */
	uint32_t resp_len;
} fl_server;

static volatile sig_atomic_t fl_stop;

static void fl_on_signal(int sig)
{
	(void)sig;
	fl_stop = 1;
}

static uint64_t fl_ud(enum fl_op op, int fd)
{
	return (uint64_t)op << 32 | (uint32_t)fd;
}

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

static struct io_uring_sqe *fl_sqe(fl_server *s)
{
	struct io_uring_sqe *sqe = rb_ring_sqe(&s->ring);
	if (!sqe) {
		rb_log("rbfloor: no submission queue entry");
		exit(1);
	}
	return sqe;
}

static void fl_arm_accept(fl_server *s)
{
	struct io_uring_sqe *sqe = fl_sqe(s);
	io_uring_prep_multishot_accept(sqe, s->lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, fl_ud(FL_ACCEPT, s->lfd));
}

static void fl_arm_recv(fl_server *s, int fd)
{
	struct io_uring_sqe *sqe = fl_sqe(s);
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = s->br.bgid;
	io_uring_sqe_set_data64(sqe, fl_ud(FL_RECV, fd));
	s->conns[fd].recv_armed = 1;
}

static void fl_mark(fl_server *s, int fd)
{
	fl_conn *c = &s->conns[fd];
	if (!c->dirty && c->send_len == 0 && c->owed) {
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
	struct io_uring_sqe *sqe = fl_sqe(s);
	io_uring_prep_send(sqe, fd, s->batch + c->send_off, c->send_len - c->send_off,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, fl_ud(FL_SEND, fd));
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

static void fl_on_cqe(fl_server *s, const struct io_uring_cqe *cqe)
{
	enum fl_op op = (enum fl_op)(cqe->user_data >> 32);
	int fd = (int)(uint32_t)cqe->user_data;
	int res = cqe->res;
	if (op == FL_ACCEPT) {
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
		if (!(cqe->flags & IORING_CQE_F_MORE) && !fl_stop)
			fl_arm_accept(s);
		return;
	}
	fl_conn *c = &s->conns[fd];
	if (op == FL_RECV) {
		if (!(cqe->flags & IORING_CQE_F_MORE))
			c->recv_armed = 0;
		if (res > 0) {
			uint16_t bid = rb_bufring_bid(cqe);
			if (c->open) {
				c->owed += fl_count(c, rb_bufring_ptr(&s->br, bid), (size_t)res);
				fl_mark(s, fd);
			}
			rb_bufring_put(&s->br, bid);
		} else if (res != -ENOBUFS) {
			fl_close(s, fd); /* end of stream, reset, or cancelled */
			return;
		}
		if (c->open && !c->recv_armed)
			fl_arm_recv(s, fd);
		else if (!c->open)
			fl_close(s, fd);
		return;
	}
	/* FL_SEND */
	if (res < 0 || !c->open) {
		c->send_len = 0;
		fl_close(s, fd);
		return;
	}
	c->send_off += (uint32_t)res;
	if (c->send_off < c->send_len) {
		fl_send(s, fd); /* short send: the rest */
		return;
	}
	c->send_len = 0;
	fl_mark(s, fd);
}

static int fl_listen(const char *bind_addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, bind_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "rbfloor: --bind %s: not an IPv4 or IPv6 address\n", bind_addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096)) {
		fprintf(stderr, "rbfloor: cannot listen on %s port %d: %s\n", bind_addr, port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	fprintf(stderr, "rbfloor: listening on %s port %d\n", bind_addr, port);
	return fd;
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

static int fl_int_arg(const char *flag, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		fprintf(stderr, "rbfloor: %s '%s': expected an integer from %ld to %ld\n", flag, v,
			lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

int main(int argc, char **argv)
{
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
		else if (!strcmp(a, "--port") ? fl_int_arg(a, v, 0, 65535, &port)
					      : fl_int_arg(a, v, 0, INT_MAX, &cpu))
			return 2;
	}
	if (port < 0) {
		fprintf(stderr, "rbfloor: --port is required\n%s", fl_usage);
		return 2;
	}

	fl_server s;
	memset(&s, 0, sizeof(s));
	int pin = cpu >= 0 ? (int)cpu : rb_cpu_nth(0);
	int rc = rb_cpu_pin(pin);
	if (rc) {
		fprintf(stderr, "rbfloor: cannot pin to CPU %d: %s\n", pin, strerror(-rc));
		return 1;
	}
	/* Room for FL_MAX_FDS connections; without it accept fails with EMFILE. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FL_MAX_FDS) {
		rl.rlim_cur = rl.rlim_max < FL_MAX_FDS ? rl.rlim_max : FL_MAX_FDS;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Before the listening line: whoever waits for it may signal at once. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fl_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rb_httpdate_refresh(&s.date);
	s.conns = calloc(FL_MAX_FDS, sizeof(*s.conns));
	s.dirty = calloc(FL_MAX_FDS, sizeof(*s.dirty));
	if (!s.conns || !s.dirty || fl_build(&s)) {
		fprintf(stderr, "rbfloor: out of memory\n");
		return 1;
	}
	s.lfd = fl_listen(bind_addr, (int)port);
	if (s.lfd < 0)
		return 1;
	rb_ring_opts o = {
		.sq_entries = 4096, .cq_entries = 16384, .single_thread = 1, .name = "rbfloor"};
	if ((rc = rb_ring_init(&s.ring, &o, NULL)) ||
	    (rc = rb_bufring_init(&s.br, &s.ring, 0, FL_BUFFERS, FL_BUFFER_SIZE))) {
		fprintf(stderr, "rbfloor: io_uring set-up failed: %s\n", strerror(-rc));
		return 1;
	}

	fl_arm_accept(&s);
	while (!fl_stop) {
		/* The wait ends at least every 100 ms, to see a signal and the clock. */
		struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
		struct io_uring_cqe *cqe;
		rc = io_uring_submit_and_wait_timeout(&s.ring, &cqe, 1, &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			fprintf(stderr, "rbfloor: io_uring_submit_and_wait: %s\n", strerror(-rc));
			return 1;
		}
		fl_refresh_date(&s);
		unsigned head, n = 0;
		io_uring_for_each_cqe(&s.ring, head, cqe)
		{
			fl_on_cqe(&s, cqe);
			n++;
		}
		io_uring_cq_advance(&s.ring, n);
		rb_bufring_commit(&s.br);
		/* One send per connection for everything this batch owes it. */
		for (uint32_t i = 0; i < s.ndirty; i++) {
			int fd = s.dirty[i];
			s.conns[fd].dirty = 0;
			if (s.conns[fd].open && s.conns[fd].send_len == 0 && s.conns[fd].owed)
				fl_send(&s, fd);
		}
		s.ndirty = 0;
	}
	fprintf(stderr, "rbfloor: stopping\n");
	close(s.lfd);
	/* The ring first: receives still armed hold buffers of the ring. */
	io_uring_queue_exit(&s.ring);
	rb_bufring_free(&s.br, NULL);
	free(s.batch);
	free(s.conns);
	free(s.dirty);
	return 0;
}
