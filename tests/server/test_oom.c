/* Out of memory on a connection: every allocation path the server has,
 * forced with RBSERVER_OOM_EVERY=N (every Nth allocation a worker makes for
 * its connections fails).  Each must close that connection with nothing
 * half-sent, log which allocation failed, count it, leave the server
 * serving, and leak nothing (srvp_stop's exit 0 is LeakSanitizer's verdict
 * in the sanitizer build). */
#include "harness.h"

#include "ringparse.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static srvp S;
static char dir[64];

static void fini(void)
{
	srvp_cleanup(&S);
	tc_rm_tree(dir);
}
TestSuite(oom, .fini = fini, .timeout = 120);

/* A --root with hello.txt (15 bytes) and r1000.bin (1000 bytes). */
static const char *fixture(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rbserver-oom-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	static const char *const names[] = {"hello.txt", "r1000.bin"};
	static const size_t sizes[] = {15, 1000};
	for (int i = 0; i < 2; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert(fd >= 0);
		char buf[1000];
		memset(buf, 'x', sizeof(buf));
		cr_assert_eq(write(fd, buf, sizes[i]), (ssize_t)sizes[i]);
		close(fd);
	}
	return dir;
}

/* Start with RBSERVER_OOM_EVERY=every, one worker (one allocation
 * sequence), with --root when root is set, and without the open-file cache
 * when nocache is set. */
static void start(const char *every, const char *root, int nocache)
{
	setenv("RBSERVER_OOM_EVERY", every, 1); /* this test's process only */
	const char *plain[] = {"--threads", "1", NULL};
	const char *with_root[] = {"--threads", "1", "--root", root, NULL};
	const char *no_cache[] = {"--threads", "1", "--root", root, "--file-cache-entries",
				  "0",         NULL};
	srvp_start(&S, !root ? plain : nocache ? no_cache : with_root);
	char want[64];
	snprintf(want, sizeof(want), "RBSERVER_OOM_EVERY=%s", every);
	cr_assert(strstr(srvp_log(&S), want), "%s", srvp_log(&S));
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Send req on a new connection: the server must close it (EOF or reset)
 * without sending a byte, and log the allocation that failed (the log line
 * is written before the close, so it is there once the close is seen). */
static void expect_oom_close(const char *req, const char *what)
{
	char line[96];
	snprintf(line, sizeof(line), "out of memory (%s); closing the connection", what);
	int before = count(srvp_log(&S), line);
	int fd = tc_connect(S.port);
	tc_send_str(fd, req);
	char buf[4096];
	int reset;
	size_t n = tc_read_eof(fd, buf, sizeof(buf), &reset);
	close(fd);
	cr_assert_eq(n, 0u, "%zu bytes sent before the close: %s", n, buf);
	cr_assert_eq(count(srvp_log(&S), line), before + 1, "no \"%s\" logged for %s:\n%s", line,
		     req, srvp_log(&S));
}

/* A new connection gets an answer to GET /plaintext: the server goes on. */
static void expect_served(void)
{
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
}

static const char ECHO_CONTINUE[] = "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
				    "Content-Length: 5\r\n\r\n";
static const char ECHO_LENGTH[] =
	"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
static const char ECHO_CHUNKED[] =
	"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
	"\r\n5\r\nhello\r\n0\r\n\r\n";
static const char PARTIAL[] = "GET /plaintext HTTP/1.1\r\nHo";

/* Every allocation fails: a connection's first is its exchange (the
 * request's state and buffers, taken from the worker's pool, which is
 * empty), so every request kind closes there. */
Test(oom, every_allocation_fails)
{
	start("1", NULL, 0);
	const char *reqs[] = {tc_get("/plaintext"), ECHO_CONTINUE, ECHO_LENGTH, PARTIAL};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		expect_oom_close(reqs[i], "exchange");
	/* the same request again: the server is up and as it was */
	expect_oom_close(tc_get("/stats"), "exchange");
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Each later allocation, on a fresh server (an empty exchange pool) with
 * RBSERVER_OOM_EVERY set so that the ones before it succeed: the 1st is the
 * exchange; then, by request, the output buffer (a cached response, a
 * written head, 100 Continue, /stats: its body is built first), the /echo
 * body, the carry of a partial request; with --root the header lines of a
 * block split across receives, and for a static file its state (2nd), its
 * header lines (3rd: for the head the open-file cache keeps), the output
 * buffer (4th: the kept response, or the head), and, with the cache off,
 * the room for the body read from the file (5th).  After each, the next connection is served (it takes
 * the exchange the failed one gave back, and the next allocation
 * succeeds). */
Test(oom, each_allocation_path)
{
	const char *root = fixture();
	/* copies: tc_get's buffers are reused */
	static char plain[64], bytes10[64], stats[64], hello[64], r1000[64];
	snprintf(plain, sizeof(plain), "%s", tc_get("/plaintext"));
	snprintf(bytes10, sizeof(bytes10), "%s", tc_get("/bytes/10"));
	snprintf(stats, sizeof(stats), "%s", tc_get("/stats"));
	snprintf(hello, sizeof(hello), "%s", tc_get("/hello.txt"));
	snprintf(r1000, sizeof(r1000), "%s", tc_get("/r1000.bin"));
	const struct {
		const char *every, *req, *what;
		int root; /* 1: --root, 2: --root and no open-file cache */
	} cases[] = {
		{"2", plain, "response", 0},
		{"2", bytes10, "response", 0},
		{"2", stats, "response", 0},
		{"2", ECHO_CONTINUE, "response", 0},
		{"2", ECHO_LENGTH, "request body", 0},
		{"2", ECHO_CHUNKED, "request body", 0},
		{"2", PARTIAL, "input", 0},
		{"2", "GET /hello.txt HTTP/1.1\r\nHo", "header lines", 1},
		{"2", hello, "static state", 1},
		{"3", r1000, "static headers", 1},
		{"4", r1000, "response", 1},
		{"3", r1000, "static headers", 2},
		{"4", r1000, "response", 2},
		{"5", r1000, "static body", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(cases[i].every, cases[i].root ? root : NULL, cases[i].root == 2);
		expect_oom_close(cases[i].req, cases[i].what);
		expect_served();
		cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
		unlink(S.log_path);
	}
}

/* Check buf[0, n): complete responses, then at most a cut-off one (a send
 * in flight when the connection failed is cancelled), never anything that
 * does not parse as a response.  Returns the complete ones. */
static int valid_prefix(const char *buf, size_t n)
{
	size_t pos = 0;
	int count = 0;
	while (pos < n) {
		rp_message m;
		rp_message_init(&m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
		int64_t k = rp_parse_response(&m, buf + pos, n - pos, 0);
		cr_assert_neq(k, RP_ERROR, "not a response at byte %zu", pos);
		if (k == RP_INCOMPLETE)
			break;
		size_t body = m.framing == RP_BODY_LENGTH ? (size_t)m.content_length : 0;
		if (n - pos - (size_t)k < body)
			break;
		cr_assert_lt(m.status, 400, "an error response: %.60s", buf + pos);
		pos += (size_t)k + body;
		count++;
	}
	return count;
}

/* One allocation in five fails under a mix of pipelined requests on many
 * connections: every connection either gets all its answers or is closed
 * after complete ones; the failures are counted; the server ends clean. */
Test(oom, mixed_load)
{
	start("5", fixture(), 0);
	static const char reqs[] =
		"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
		"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
		"GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9,500-509\r\n\r\n"
		"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\n"
		"GET /bytes/5000 HTTP/1.1\r\nHost: t\r\n\r\n"
		"GET /json HTTP/1.1\r\nHost: t\r\n\r\n";
	enum {
		NREQ = 7,
		NCONN = 24
	};
	int complete = 0, closed = 0;
	static char buf[1 << 16];
	for (int i = 0; i < NCONN; i++) {
		int fd = tc_connect(S.port);
		/* in two parts, so partial requests are carried too */
		size_t cut = 13 + (size_t)i * 7 % 80;
		if (tc_send_try(fd, reqs, cut) == 0) {
			tc_sleep_ms(2);
			tc_send_try(fd, reqs + cut, sizeof(reqs) - 1 - cut);
		}
		size_t n = tc_read_responses(fd, buf, sizeof(buf), NREQ, 0);
		int got = valid_prefix(buf, n);
		if (got == NREQ)
			complete++;
		else
			closed++;
		close(fd);
	}
	cr_assert_gt(closed, 0, "no connection hit a failed allocation");
	/* /stats itself may fail: retry (bounded) until it answers */
	static char st[65536];
	size_t n = 0;
	for (int t = 0; t < 50 && !n; t++)
		n = tc_stats_fetch(S.port, st, sizeof(st));
	cr_assert_gt(n, 0u, "/stats never answered");
	cr_assert_geq(tc_stats_sum(st, "oom"), (unsigned long long)closed, "%s", st);
	/* Every slot a failed allocation closed was released: only the /stats
	 * connection is left (a slot stuck closing would stay counted). */
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 5000), 1u,
		     "connections left open after the out-of-memory closes");
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	(void)complete;
}
