/*
 * rbtestsrv: a tiny, deliberately misbehaving HTTP/1.1 server for rbload's
 * end-to-end tests (tests/loadgen/test_rbload.sh).  One thread per connection,
 * blocking sockets; requests are framed by ringparse.  Not for benchmarks.
 *
 *   rbtestsrv [--bind ADDR] [--port N] [--max-seconds S] [mode options]
 *
 * With --port 0 the kernel picks the port; once listening, the server prints
 * exactly one line "port N" on stdout (flushed).  It exits on SIGTERM/SIGINT
 * and by itself after --max-seconds (default 60).
 *
 * Semantics the tests compute with (times are when a read() or write() returned):
 *
 *   default            200 OK, body "Hello, World!" with Content-Length, keep-alive;
 *                      pipelined requests answered in order, one write each.
 *   --delay-ms D       one connection is a serial queue: the response to request i
 *                      is written at max(read_i, written_{i-1}) + D, where read_i is
 *                      when the read that completed request i returned and
 *                      written_{i-1} when the previous response on the connection
 *                      was written.  P requests pipelined at once so get latencies
 *                      D, 2D, ..., PD; a client that refills each freed slot at once
 *                      sees PD on every later request.
 *   --stall-after N --stall-ms S
 *                      when the server reads its N-th request (counted over all
 *                      connections), no response at all is written for the next S ms
 *                      (the N-th's included); once per run.  Reading goes on.
 *   --close-after K    every K-th response on a connection carries Connection: close;
 *                      then the server closes gracefully (FIN, drains what the client
 *                      still sends until its EOF, 2 s at most).  Pipelined requests
 *                      after that response stay unanswered.
 *   --reset-after K    after K responses on a connection, the server waits until it
 *                      has read one more request, then aborts (SO_LINGER 0: RST) with
 *                      that request (and any later ones) unanswered.
 *   --drop-prob P --seed S
 *                      each request, with probability P (xorshift seeded with S,
 *                      drawn server-wide in the order requests are read), closes
 *                      the connection gracefully (FIN) without an answer: the client
 *                      sees EOF with the request in flight.
 *   --chunked          bodies in chunked coding: up to three chunks, the first with a
 *                      chunk extension ";ext=1", then the last chunk and a trailer
 *                      "X-Trailer: done".
 *   --close-delimited  HTTP/1.1 200 without Content-Length or Transfer-Encoding (and
 *                      without Connection: close); the body ends at the server's
 *                      graceful close, after the first response on the connection.
 *   --status N         every response has status N (100..999, not 1xx).
 *   --garbage-after K  the (K+1)-th response on a connection is malformed (bare LF
 *                      line ends); then the connection is closed gracefully.
 *   --silent           requests are read and never answered.
 *   --body-bytes N     the body is N bytes (a repeating alphabet) instead of 13.
 *   --interim          before each final response, two interim ones, each in a write
 *                      of its own: "100 Continue", then "103 Early Hints" with a Link
 *                      header.
 *   --big-header N     each response carries a header "X-Big: " with an N-byte value
 *                      (N up to 1 MiB: above ringparse's 64 KiB header-block limit,
 *                      every response is malformed to a client that keeps it).
 *   --unsolicited-after K
 *                      the K-th response on a connection (K >= 1) is followed, in the
 *                      same write, by a second complete response no request asked for.
 *
 * A HEAD request is answered with the headers a GET would get (Content-Length or
 * Transfer-Encoding) and no body.
 *
 * A request ringparse rejects gets a 400 with Connection: close.  Request bodies
 * with Content-Length are skipped; chunked request bodies get a 501 and a close.
 */
#define _GNU_SOURCE
#include "ringparse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define DRAIN_MS 2000
#define MAX_BODY (16u * 1024u * 1024u)
#define MAX_BIG_HEADER (1024u * 1024u)

static struct {
	const char *bind;
	int port;
	int max_seconds;
	long delay_ms;
	long stall_after, stall_ms;
	long close_after, reset_after, garbage_after; /* -1: off */
	double drop_prob;
	unsigned long long seed;
	int chunked, close_delimited, silent;
	int status;
	size_t body_bytes;
	int interim;
	size_t big_header;
	long unsolicited_after; /* -1: off */
} opt = {.bind = "127.0.0.1",
	 .max_seconds = 60,
	 .close_after = -1,
	 .reset_after = -1,
	 .garbage_after = -1,
	 .unsolicited_after = -1,
	 .status = 200,
	 .seed = 1,
	 .body_bytes = 13};

static char *body;
static char *big_header; /* "X-Big: aaa...\r\n", or NULL */
static size_t big_header_len;
static volatile sig_atomic_t stop;

/* Server-wide state, under lock: the request count, the stall, the RNG. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long requests_read;
static int64_t stall_until_ns;
static uint64_t rng;

typedef struct conn {
	int fd;
	size_t have, off; /* buf[off, have) is read and not yet consumed */
	int64_t read_ns;  /* when the last read returned */
	int64_t last_write_ns;
	long responses;
	char buf[BUF_SIZE];
} conn;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rbtestsrv: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- connection I/O --------------------------------------------------- */

/* Read more bytes, compacting the buffer first.  Returns bytes read, 0 at EOF
 * or on error (the connection is then done). */
static ssize_t fill(conn *c)
{
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->have - c->off);
		c->have -= c->off;
		c->off = 0;
	}
	if (c->have == sizeof(c->buf))
		return 0;
	ssize_t n;
	do {
		n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	c->have += (size_t)n;
	c->read_ns = now_ns();
	return n;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* FIN, then discard what the client still sends until its EOF (bounded), so
 * that close() finds nothing unread and sends no RST. */
static void close_gracefully(conn *c)
{
	shutdown(c->fd, SHUT_WR);
	int64_t end = now_ns() + (int64_t)DRAIN_MS * 1000000;
	for (;;) {
		int left = (int)((end - now_ns()) / 1000000);
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0 || read(c->fd, c->buf, sizeof(c->buf)) <= 0)
			break;
	}
	close(c->fd);
}

static void close_abort(conn *c)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(c->fd);
}

/* ---- responses -------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Write one response as the mode options say; closing says whether this is
 * the last one on the connection (Connection: close, unless close-delimited).
 * head_only: the request was HEAD, no body.  unsolicited: a second, complete
 * response follows in the same write (not with --chunked).  The header block,
 * any body and the unsolicited response go in one write; chunks follow in
 * writes of their own. */
static int respond(conn *c, int status, int closing, int head_only, int unsolicited)
{
	static const char extra[] = "HTTP/1.1 200 OK\r\nServer: rbtestsrv\r\n"
				    "Content-Length: 13\r\n\r\nHello, World!";
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nServer: rbtestsrv\r\n", status,
			 reason(status));
	if (opt.chunked)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Transfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n");
	else if (!opt.close_delimited)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n",
			      opt.body_bytes);
	if (closing && !opt.close_delimited)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Connection: close\r\n");
	size_t body_len = head_only || opt.chunked ? 0 : opt.body_bytes;
	size_t extra_len = unsolicited ? sizeof(extra) - 1 : 0;
	size_t len = (size_t)n + big_header_len + 2 + body_len + extra_len;
	char *out = malloc(len);
	if (!out)
		return -1;
	char *p = out;
	memcpy(p, head, (size_t)n);
	p += n;
	if (big_header_len)
		memcpy(p, big_header, big_header_len);
	p += big_header_len;
	memcpy(p, "\r\n", 2);
	p += 2;
	memcpy(p, body, body_len);
	p += body_len;
	memcpy(p, extra, extra_len);
	int rc = write_all(c->fd, out, len);
	free(out);
	if (rc < 0 || !opt.chunked || head_only)
		return rc;

	size_t done = 0, third = (opt.body_bytes + 2) / 3;
	for (int i = 0; done < opt.body_bytes; i++) {
		size_t clen = opt.body_bytes - done < third ? opt.body_bytes - done : third;
		char line[64];
		int m = snprintf(line, sizeof(line), "%zx%s\r\n", clen, i == 0 ? ";ext=1" : "");
		if (write_all(c->fd, line, (size_t)m) < 0 ||
		    write_all(c->fd, body + done, clen) < 0 || write_all(c->fd, "\r\n", 2) < 0)
			return -1;
		done += clen;
	}
	static const char last[] = "0\r\nX-Trailer: done\r\n\r\n";
	return write_all(c->fd, last, sizeof(last) - 1);
}

/* --interim: "100 Continue" and "103 Early Hints", a write each. */
static int send_interim(conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char hints[] = "HTTP/1.1 103 Early Hints\r\n"
				    "Link: </style.css>; rel=preload; as=style\r\n\r\n";
	if (write_all(c->fd, cont, sizeof(cont) - 1) < 0)
		return -1;
	return write_all(c->fd, hints, sizeof(hints) - 1);
}

static int send_garbage(conn *c)
{
	static const char bad[] = "HTTP/1.1 200 OK\nServer: rbtestsrv\nContent-Length: 2\n\nok";
	return write_all(c->fd, bad, sizeof(bad) - 1);
}

/* ---- the per-request policy ------------------------------------------- */

/* Count a request server-wide; start the stall at the N-th; draw for a drop.
 * Returns 1 when the connection should be dropped. */
static int on_request(void)
{
	int drop = 0;
	pthread_mutex_lock(&lock);
	requests_read++;
	if (opt.stall_after > 0 && requests_read == opt.stall_after)
		stall_until_ns = now_ns() + opt.stall_ms * 1000000;
	if (opt.drop_prob > 0) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		drop = (double)(rng >> 11) / 9007199254740992.0 < opt.drop_prob;
	}
	pthread_mutex_unlock(&lock);
	return drop;
}

/* Wait for the response's due time, then for the end of any stall (a stall
 * may start while we sleep, so look again after each wait). */
static void wait_to_answer(conn *c)
{
	int64_t due = c->read_ns > c->last_write_ns ? c->read_ns : c->last_write_ns;
	if (opt.delay_ms > 0)
		sleep_until(due + opt.delay_ms * 1000000);
	for (;;) {
		pthread_mutex_lock(&lock);
		int64_t until = stall_until_ns;
		pthread_mutex_unlock(&lock);
		if (now_ns() >= until)
			break;
		sleep_until(until);
	}
}

/* What becomes of the connection: go on, close gracefully, reset, or just
 * close (the client is gone). */
typedef enum {
	NEXT,
	CLOSE,
	ABORT,
	GONE
} verdict;

/* Skip a Content-Length request body; 0 if the client went away first. */
static int skip_body(conn *c, uint64_t left)
{
	while (left > 0) {
		if (c->have == c->off && fill(c) == 0)
			return 0;
		size_t take = c->have - c->off < left ? c->have - c->off : (size_t)left;
		c->off += take;
		left -= take;
	}
	return 1;
}

/* One parsed request: answer it as the options say. */
static verdict serve(conn *c, const rp_message *m)
{
	if (m->framing == RP_BODY_CHUNKED) {
		respond(c, 501, 1, 0, 0);
		return CLOSE;
	}
	if (m->framing == RP_BODY_LENGTH && !skip_body(c, m->content_length))
		return GONE;
	if (on_request())
		return CLOSE;
	if (opt.silent)
		return NEXT;
	if (opt.reset_after >= 0 && c->responses >= opt.reset_after)
		return ABORT;
	wait_to_answer(c);
	if (opt.garbage_after >= 0 && c->responses >= opt.garbage_after) {
		send_garbage(c);
		return CLOSE;
	}
	int closing = opt.close_delimited ||
		      (opt.close_after > 0 && (c->responses + 1) % opt.close_after == 0);
	int unsolicited = opt.unsolicited_after > 0 && c->responses + 1 == opt.unsolicited_after;
	if ((opt.interim && send_interim(c) < 0) ||
	    respond(c, opt.status, closing, m->method_id == RP_M_HEAD, unsolicited) < 0)
		return GONE;
	c->last_write_ns = now_ns();
	c->responses++;
	return closing ? CLOSE : NEXT;
}

static void *conn_main(void *arg)
{
	conn *c = arg;
	rp_message m;
	int in_message = 0;
	verdict v = NEXT;

	while (v == NEXT) {
		if (c->have == c->off || in_message) {
			if (fill(c) == 0) {
				v = GONE; /* EOF, error, or a head larger than the buffer */
				break;
			}
		}
		while (v == NEXT && c->have > c->off) {
			if (!in_message)
				rp_message_init(&m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
			int64_t n = rp_parse_request(&m, c->buf + c->off, c->have - c->off);
			if (n == RP_INCOMPLETE) {
				in_message = 1;
				break;
			}
			in_message = 0;
			if (n == RP_ERROR) {
				respond(c, 400, 1, 0, 0);
				v = CLOSE;
				break;
			}
			c->off += (size_t)n;
			v = serve(c, &m);
		}
	}
	if (v == CLOSE)
		close_gracefully(c);
	else if (v == ABORT)
		close_abort(c);
	else
		close(c->fd);
	free(c);
	return NULL;
}

/* ---- setup ------------------------------------------------------------ */

static long num(const char *name, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die("--%s: '%s' is not an integer in %ld..%ld", name, s, lo, hi);
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: rbtestsrv [--bind ADDR] [--port N] [--max-seconds S] [--delay-ms D]\n"
	      "       [--stall-after N --stall-ms S] [--close-after K] [--reset-after K]\n"
	      "       [--drop-prob P --seed S] [--chunked | --close-delimited] [--status N]\n"
	      "       [--garbage-after K] [--silent] [--body-bytes N] [--interim]\n"
	      "       [--big-header N] [--unsolicited-after K]\n"
	      "(semantics: the comment at the top of tests/loadgen/rbtestsrv.c)\n",
	      f);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longs[] = {
		{"bind", required_argument, NULL, 'b'},
		{"port", required_argument, NULL, 'p'},
		{"max-seconds", required_argument, NULL, 'x'},
		{"delay-ms", required_argument, NULL, 'd'},
		{"stall-after", required_argument, NULL, 'S'},
		{"stall-ms", required_argument, NULL, 's'},
		{"close-after", required_argument, NULL, 'c'},
		{"reset-after", required_argument, NULL, 'r'},
		{"drop-prob", required_argument, NULL, 'P'},
		{"seed", required_argument, NULL, 'e'},
		{"chunked", no_argument, NULL, 'C'},
		{"close-delimited", no_argument, NULL, 'D'},
		{"status", required_argument, NULL, 't'},
		{"garbage-after", required_argument, NULL, 'g'},
		{"silent", no_argument, NULL, 'q'},
		{"body-bytes", required_argument, NULL, 'B'},
		{"interim", no_argument, NULL, 'I'},
		{"big-header", required_argument, NULL, 'G'},
		{"unsolicited-after", required_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int o;
	char *end;
	while ((o = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (o) {
		case 'b':
			opt.bind = optarg;
			break;
		case 'p':
			opt.port = (int)num("port", optarg, 0, 65535);
			break;
		case 'x':
			opt.max_seconds = (int)num("max-seconds", optarg, 1, 86400);
			break;
		case 'd':
			opt.delay_ms = num("delay-ms", optarg, 0, 3600000);
			break;
		case 'S':
			opt.stall_after = num("stall-after", optarg, 1, LONG_MAX);
			break;
		case 's':
			opt.stall_ms = num("stall-ms", optarg, 0, 3600000);
			break;
		case 'c':
			opt.close_after = num("close-after", optarg, 1, LONG_MAX);
			break;
		case 'r':
			opt.reset_after = num("reset-after", optarg, 0, LONG_MAX);
			break;
		case 'P':
			errno = 0;
			opt.drop_prob = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(opt.drop_prob >= 0) ||
			    opt.drop_prob > 1)
				die("--drop-prob: '%s' is not a probability in 0..1", optarg);
			break;
		case 'e':
			opt.seed = (unsigned long long)num("seed", optarg, 0, LONG_MAX);
			break;
		case 'C':
			opt.chunked = 1;
			break;
		case 'D':
			opt.close_delimited = 1;
			break;
		case 't':
			opt.status = (int)num("status", optarg, 200, 999);
			break;
		case 'g':
			opt.garbage_after = num("garbage-after", optarg, 0, LONG_MAX);
			break;
		case 'q':
			opt.silent = 1;
			break;
		case 'B':
			opt.body_bytes = (size_t)num("body-bytes", optarg, 0, MAX_BODY);
			break;
		case 'I':
			opt.interim = 1;
			break;
		case 'G':
			opt.big_header = (size_t)num("big-header", optarg, 1, MAX_BIG_HEADER);
			break;
		case 'U':
			opt.unsolicited_after = num("unsolicited-after", optarg, 1, LONG_MAX);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (opt.chunked && opt.close_delimited)
		die("--chunked and --close-delimited exclude each other");
	if (opt.unsolicited_after > 0 && opt.chunked)
		die("--unsolicited-after and --chunked exclude each other");
	if ((opt.stall_after > 0) != (opt.stall_ms > 0))
		die("--stall-after and --stall-ms go together");
}

static int listen_on(void)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, opt.bind, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)opt.port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, opt.bind, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)opt.port);
		len = sizeof(*v6);
	} else {
		die("--bind: '%s' is not an IPv4 or IPv6 address", opt.bind);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("listen on %s port %d: %s", opt.bind, opt.port, strerror(errno));
	printf("port %d\n", ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port));
	fflush(stdout);
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	rng = opt.seed ? opt.seed : 1;
	body = malloc(opt.body_bytes + 1);
	if (!body)
		die("out of memory");
	for (size_t i = 0; i < opt.body_bytes; i++)
		body[i] = (char)('a' + i % 26);
	if (opt.body_bytes == 13)
		memcpy(body, "Hello, World!", 13);
	if (opt.big_header) {
		big_header_len = 7 + opt.big_header + 2;
		big_header = malloc(big_header_len);
		if (!big_header)
			die("out of memory");
		memcpy(big_header, "X-Big: ", 7);
		memset(big_header + 7, 'a', opt.big_header);
		memcpy(big_header + 7 + opt.big_header, "\r\n", 2);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int lfd = listen_on();
	int64_t deadline = now_ns() + (int64_t)opt.max_seconds * 1000000000;
	while (!stop && now_ns() < deadline) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn *c = calloc(1, sizeof(*c));
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (!c) {
			close(fd);
		} else {
			c->fd = fd;
			if (pthread_create(&t, &attr, conn_main, c) != 0) {
				close(fd);
				free(c);
			}
		}
		pthread_attr_destroy(&attr);
	}
	if (!stop)
		fprintf(stderr, "rbtestsrv: --max-seconds %d reached, exiting\n", opt.max_seconds);
	close(lfd);
	/* Connection threads die with the process, their sockets with it (body
	 * stays allocated: a thread may still be writing it). */
	return 0;
}
