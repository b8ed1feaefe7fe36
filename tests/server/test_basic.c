/* The endpoints, byte for byte. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(basic, .fini = fini, .timeout = 60);

Test(basic, plaintext_exact)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

/* The Date of the first response in buf, as seconds since the epoch. */
static time_t basic_date_of(const char *buf)
{
	const char *d = strstr(buf, "\r\nDate: ");
	cr_assert(d, "no Date in %s", buf);
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(d + 8, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	cr_assert(end && end[0] == '\r', "not an IMF-fixdate: %.40s", d + 8);
	return timegm(&tm);
}

/* /plaintext and /json are answered from bytes kept per worker: the same
 * bytes whatever came before on the connection (a HEAD, the other endpoint,
 * HTTP/1.0, Connection: close), and a Date that follows the clock. */
Test(basic, fixed_responses_cached)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
			"HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
			"GET /json HTTP/1.1\r\nHost: t\r\n\r\n"
			"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
			"HEAD /json HTTP/1.1\r\nHost: t\r\n\r\n");
	char want[4096];
	snprintf(want, sizeof(want), "%s%.*s%s%s%.*s", TC_PLAINTEXT,
		 (int)(strstr(TC_PLAINTEXT, "\r\n\r\n") + 4 - TC_PLAINTEXT), TC_PLAINTEXT, TC_JSON,
		 TC_PLAINTEXT, (int)(strstr(TC_JSON, "\r\n\r\n") + 4 - TC_JSON), TC_JSON);
	tc_expect(fd, 5, 1u << 1 | 1u << 4, want);
	/* HTTP/1.0 with keep-alive, then a close: written afresh, not cached */
	tc_send_str(fd, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	static char buf[4096];
	tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	cr_assert(strstr(buf, "\r\nConnection: keep-alive\r\n"), "%s", buf);
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	/* the Date moves on with the clock */
	tc_send_str(fd, tc_get("/plaintext"));
	tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	time_t first = basic_date_of(buf), now = time(NULL);
	cr_assert(first >= now - 1 && first <= now, "Date %ld, clock %ld", (long)first, (long)now);
	usleep(2100 * 1000);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	time_t later = basic_date_of(buf);
	now = time(NULL);
	cr_assert(later >= first + 2 && later >= now - 1 && later <= now,
		  "Date %ld after %ld, clock %ld", (long)later, (long)first, (long)now);
	tc_mask_date(buf, strlen(buf));
	cr_assert_str_eq(buf, TC_PLAINTEXT);
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	int reset = 0;
	size_t n = tc_read_eof(fd, buf, sizeof(buf), &reset);
	cr_assert(!reset);
	cr_assert(n > 0 && strstr(buf, "\r\nConnection: close\r\n"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(basic, json_exact)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/json"));
	tc_expect(fd, 1, 0, TC_JSON);
	/* absolute-form target and a query string route the same way */
	tc_send_str(fd, "GET http://t/json?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	tc_expect(fd, 1, 0, TC_JSON);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(basic, bytes_deterministic_and_bounded)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/bytes/30"));
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: application/octet-stream\r\nContent-Length: 30\r\n\r\n"
		  "abcdefghijklmnopqrstuvwxyzabcd");
	tc_send_str(fd, tc_get("/bytes/0"));
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: application/octet-stream\r\nContent-Length: 0\r\n\r\n");
	/* the largest: every byte is 'a' + i % 26.  8 MiB is more than a
	 * socket's send buffer can grow to (tcp_wmem max, 4 MiB by default)
	 * plus this client's small receive buffer, so the first send completes
	 * partly and the remainder is sent first (short_sends) */
	int small = tc_connect_rcvbuf(S.port, 8192);
	tc_send_str(small, tc_get("/bytes/8388608"));
	static char big[8500000];
	size_t n = tc_read_responses(small, big, sizeof(big), 1, 0);
	close(small);
	char *body = strstr(big, "\r\n\r\n");
	cr_assert(body);
	body += 4;
	cr_assert_eq(n - (size_t)(body - big), 8388608u);
	for (size_t i = 0; i < 8388608; i++)
		if (body[i] != 'a' + (int)(i % 26))
			cr_assert_fail("byte %zu is %d", i, body[i]);
	/* the short-send path (remainder sent first) ran */
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_geq(tc_stats_sum(st, "short_sends"), 1u, "%s", st);
	/* beyond the maximum: 400, connection kept */
	tc_send_str(fd, tc_get("/bytes/8388609"));
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 400 Bad Request\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 52\r\n\r\n"
		  "400 Bad Request: /bytes/N takes N from 0 to 8388608\n");
	/* HEAD: the headers a GET would have, no body */
	tc_send_str(fd, "HEAD /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n");
	tc_expect(fd, 1, 1,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n");
	tc_send_str(fd, "HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
	tc_expect(fd, 1, 1,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\n");
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

#define ECHO_HEAD(n)                                                                               \
	"HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"                                    \
	"Content-Type: application/octet-stream\r\nContent-Length: " n "\r\n\r\n"

Test(basic, echo_content_length_and_chunked)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
	tc_expect(fd, 1, 0, ECHO_HEAD("11") "hello world");
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
			"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n");
	tc_expect(fd, 1, 0, ECHO_HEAD("11") "hello world");
	/* an empty body */
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
	tc_expect(fd, 1, 0, ECHO_HEAD("0"));
	/* GET on /echo: 405 with Allow, and the connection stays usable */
	tc_send_str(fd, tc_get("/echo"));
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 405 Method Not Allowed\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 48\r\nAllow: POST, PUT\r\n\r\n"
		  "405 Method Not Allowed: /echo takes POST or PUT\n");
	/* a body sent to an endpoint that ignores it is consumed, not parsed */
	tc_send_str(fd, "POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n"
			"GET /json HTTP/1.1\r\n");
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 2, 0,
		  "HTTP/1.1 405 Method Not Allowed\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 56\r\nAllow: GET, HEAD\r\n\r\n"
		  "405 Method Not Allowed: this resource takes GET or HEAD\n"
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(basic, not_found_keeps_connection)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/nope"));
	tc_send_str(fd, tc_get("/plaintext"));
	char want[1024];
	snprintf(want, sizeof(want), "%s%s",
		 "HTTP/1.1 404 Not Found\r\nServer: rbserver\r\nDate: DATE\r\n"
		 "Content-Type: text/plain\r\nContent-Length: 32\r\n\r\n"
		 "404 Not Found: no such resource\n",
		 TC_PLAINTEXT);
	tc_expect(fd, 2, 0, want);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(basic, stats_and_parser_flag)
{
	const char *args[] = {"--parser", "scalar", "--threads", "2", NULL};
	srvp_start(&S, args);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	tc_send_str(fd, tc_get("/stats"));
	static char buf[65536];
	tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	cr_assert(strstr(buf, "HTTP/1.1 200 OK\r\n") == buf, "%s", buf);
	cr_assert(strstr(buf, "Content-Type: application/json\r\n"));
	cr_assert(strstr(buf, "{\"parser\":\"scalar\",\"workers\":[{\"id\":0,"), "%s", buf);
	cr_assert(strstr(buf, "{\"id\":1,"), "%s", buf);
	cr_assert(strstr(buf, "\"enobufs\":"), "%s", buf);
	cr_assert(strstr(buf, "\"bytes_in\":"), "%s", buf);
	cr_assert(strstr(buf, "\"connections_open\":1,"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

/* /stats on fd (kept alive) into buf: the connection asking is not idle
 * while its answer is built. */
static void stats_on(int fd, char *buf, size_t cap)
{
	tc_send_str(fd, tc_get("/stats"));
	tc_read_responses(fd, buf, cap, 1, 0);
	cr_assert(strstr(buf, "\r\n\r\n{"), "%s", buf);
}

/* Open, idle and total connections: idle is open with no exchange in
 * progress (after a response, or before the first byte); total counts
 * every connection accepted since start and never goes down. */
Test(basic, stats_connections_open_idle_total)
{
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	enum {
		ANSWERED = 5,
		SILENT = 2
	};
	const size_t get_len = strlen(tc_get("/plaintext")), stats_len = strlen(tc_get("/stats"));
	int fds[ANSWERED + SILENT];
	for (int i = 0; i < ANSWERED + SILENT; i++) {
		fds[i] = tc_connect(S.port);
		if (i < ANSWERED) {
			tc_send_str(fds[i], tc_get("/plaintext"));
			tc_expect(fds[i], 1, 0, TC_PLAINTEXT);
		}
	}
	int partial = tc_connect(S.port); /* a request in progress: not idle */
	static const char part[] = "GET /plaintext HTTP/1.1\r\nHo";
	tc_send_str(partial, part);
	int st = tc_connect(S.port);
	static char buf[65536];
	/* the server takes the connections in its own time: wait, bounded */
	const unsigned long long open = ANSWERED + SILENT + 2, idle = ANSWERED + SILENT;
	for (int t = 1; t <= 250; t++) {
		/* every byte sent so far received, this /stats request's too */
		unsigned long long in = ANSWERED * get_len + (sizeof(part) - 1) + t * stats_len;
		stats_on(st, buf, sizeof(buf));
		if (tc_stats_sum(buf, "connections_open") == open &&
		    tc_stats_sum(buf, "bytes_in") == in)
			break;
		tc_sleep_ms(20);
	}
	cr_assert_eq(tc_stats_sum(buf, "connections_open"), open, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections_idle"), idle, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections_total"), open, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections"), open, "the older name: %s", buf);

	/* the partial request completes: that connection is idle again */
	tc_send_str(partial, "st: t\r\n\r\n");
	tc_expect(partial, 1, 0, TC_PLAINTEXT);
	/* two idle ones close; total stays */
	close(fds[0]);
	close(fds[ANSWERED]);
	for (int t = 0; t < 250; t++) {
		stats_on(st, buf, sizeof(buf));
		if (tc_stats_sum(buf, "connections_open") == open - 2)
			break;
		tc_sleep_ms(20);
	}
	cr_assert_eq(tc_stats_sum(buf, "connections_open"), open - 2, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections_idle"), idle - 2 + 1, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections_total"), open, "%s", buf);
	for (int i = 1; i < ANSWERED + SILENT; i++)
		if (i != ANSWERED)
			close(fds[i]);
	close(partial);
	close(st);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Request-target forms, split by ringparse (rp_target_split): absolute-form
 * routes by its path; "*" is refused by the parse unless the method is
 * OPTIONS; CONNECT's authority-form is not served. */
Test(basic, target_forms)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "GET http://x/plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	/* an absolute-form target without a path means "/": not a resource */
	tc_send_str(fd, "GET http://x?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 404 Not Found\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 32\r\n\r\n"
		  "404 Not Found: no such resource\n");
	tc_send_str(fd, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 404 Not Found\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: text/plain\r\nContent-Length: 32\r\n\r\n"
		  "404 Not Found: no such resource\n");
	tc_send_str(fd, "CONNECT x:80 HTTP/1.1\r\nHost: x:80\r\n\r\n");
	static char buf[4096];
	size_t n = tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	cr_assert(n && strncmp(buf, "HTTP/1.1 501 Not Implemented\r\n", 30) == 0, "%s", buf);
	close(fd);
	/* GET * : 400 from the parse, and the connection is closed */
	fd = tc_connect(S.port);
	tc_send_str(fd, "GET * HTTP/1.1\r\nHost: x\r\n\r\n");
	n = tc_read_eof(fd, buf, sizeof(buf), NULL);
	cr_assert(n && strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26) == 0, "%s", buf);
	cr_assert(strstr(buf, "Connection: close\r\n"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}
