/* Pipelining: 16 requests in one write, and the same bytes split at awkward
 * boundaries (one byte at a time, mid-CRLF), with normal and tiny receive
 * buffers (so requests span receives and the carry-over path runs). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(pipeline, .fini = fini, .timeout = 90);

#define ECHO_REQ "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
#define ECHO_CHUNKED_REQ                                                                           \
	"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"                     \
	"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
#define ECHO_RESP(body)                                                                            \
	"HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"                                    \
	"Content-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n" body

/* 16 requests: plaintext, json and echo (CL and chunked) in turn. */
static void build(char *req, size_t rcap, char *want, size_t wcap)
{
	req[0] = want[0] = '\0';
	for (int i = 0; i < 16; i++) {
		switch (i % 4) {
		case 0:
			strncat(req, tc_get("/plaintext"), rcap - strlen(req) - 1);
			strncat(want, TC_PLAINTEXT, wcap - strlen(want) - 1);
			break;
		case 1:
			strncat(req, tc_get("/json"), rcap - strlen(req) - 1);
			strncat(want, TC_JSON, wcap - strlen(want) - 1);
			break;
		case 2:
			strncat(req, ECHO_REQ, rcap - strlen(req) - 1);
			strncat(want, ECHO_RESP("hello"), wcap - strlen(want) - 1);
			break;
		default:
			strncat(req, ECHO_CHUNKED_REQ, rcap - strlen(req) - 1);
			strncat(want, ECHO_RESP("abcde"), wcap - strlen(want) - 1);
			break;
		}
	}
}

static char req[8192], want[16384];

static void one_write(void)
{
	build(req, sizeof(req), want, sizeof(want));
	int fd = tc_connect(S.port);
	tc_send_str(fd, req);
	tc_expect(fd, 16, 0, want);
	/* and again on the same connection */
	tc_send_str(fd, req);
	tc_expect(fd, 16, 0, want);
	close(fd);
}

/* Write the batch in pieces: cut after each offset for which cut() says so. */
static void split_write(int (*cut)(const char *, size_t))
{
	build(req, sizeof(req), want, sizeof(want));
	int fd = tc_connect(S.port);
	size_t len = strlen(req), start = 0;
	for (size_t i = 0; i < len; i++) {
		if (i + 1 == len || cut(req, i)) {
			tc_send(fd, req + start, i + 1 - start);
			start = i + 1;
			/* let the server see each piece on its own now and then */
			if (i % 97 == 0)
				tc_sleep_ms(1);
		}
	}
	tc_expect(fd, 16, 0, want);
	close(fd);
}

static int cut_every_byte(const char *s, size_t i)
{
	(void)s;
	(void)i;
	return 1;
}

/* Between CR and LF, and right after each LF. */
static int cut_mid_crlf(const char *s, size_t i)
{
	return s[i] == '\r' || s[i] == '\n';
}

/* Odd sizes: every 7th and 13th byte. */
static int cut_odd(const char *s, size_t i)
{
	(void)s;
	return i % 7 == 3 || i % 13 == 5;
}

Test(pipeline, sixteen_in_one_write)
{
	srvp_start(&S, NULL);
	one_write();
	cr_assert_eq(srvp_stop(&S), 0);
}

/* The 16 responses to one write leave in one send. */
Test(pipeline, one_send_per_batch)
{
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	build(req, sizeof(req), want, sizeof(want));
	int fd = tc_connect(S.port);
	tc_send_str(fd, req);
	tc_expect(fd, 16, 0, want);
	tc_send_str(fd, tc_get("/stats"));
	static char buf[65536];
	tc_read_responses(fd, buf, sizeof(buf), 1, 0);
	cr_assert(strstr(buf, "\"requests\":16,"), "%s", buf);
	if (tc_fault("short-send")) /* 7 bytes a send: the rest follows in order */
		cr_assert(tc_stats_sum(buf, "short_sends") > 0, "%s", buf);
	else
		cr_assert(strstr(buf, "\"sends\":1,"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(pipeline, split_one_byte_at_a_time)
{
	srvp_start(&S, NULL);
	split_write(cut_every_byte);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(pipeline, split_mid_crlf)
{
	srvp_start(&S, NULL);
	split_write(cut_mid_crlf);
	split_write(cut_odd);
	cr_assert_eq(srvp_stop(&S), 0);
}

/* 64-byte receive buffers: nearly every request spans several receives. */
Test(pipeline, tiny_receive_buffers)
{
	const char *args[] = {"--recv-buffer-size", "64", "--recv-buffers", "8", NULL};
	srvp_start(&S, args);
	one_write();
	split_write(cut_mid_crlf);
	cr_assert_eq(srvp_stop(&S), 0);
}

/* Responses larger than the output high-water mark pause reading; every
 * response still arrives, in order. */
static void large_responses(void)
{
	int fd = tc_connect(S.port);
	char *reqs = tc_repeat("GET /bytes/700000 HTTP/1.1\r\nHost: t\r\n\r\n"
			       "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n",
			       6);
	tc_send_str(fd, reqs);
	free(reqs);
	static char buf[6 << 20];
	size_t n = tc_read_responses(fd, buf, sizeof(buf), 12, 0);
	cr_assert_gt(n, 6u * 700000u);
	/* the plaintext bodies come after each bytes body, in order */
	const char *p = buf;
	for (int i = 0; i < 6; i++) {
		p = strstr(p, "Content-Length: 700000\r\n\r\nabcdefghij");
		cr_assert(p, "response %d", 2 * i);
		p = strstr(p, "Content-Length: 13\r\n\r\nHello, World!");
		cr_assert(p, "response %d", 2 * i + 1);
	}
	/* reading paused (more than 1 MiB queued) and resumed */
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_geq(tc_stats_sum(st, "pauses"), 1u, "%s", st);
	cr_assert_geq(tc_stats_sum(st, "requests"), 12u, "%s", st);
	close(fd);
}

Test(pipeline, large_responses_in_order)
{
	srvp_start(&S, NULL);
	large_responses();
	cr_assert_eq(srvp_stop(&S), 0);
}

/* RB_FAULTS=no-multishot: the single-shot accept and recv a kernel without
 * multishot gets (each completion re-arms; recv still selects from the
 * buffer ring).  Pipelining, carried partial requests, many connections and
 * pausing all work the same. */
Test(pipeline, single_shot_fallback)
{
	setenv("RB_FAULTS", "no-multishot", 1); /* this test's process only */
	const char *args[] = {"--threads", "1", "--recv-buffer-size", "64", "--recv-buffers",
			      "8",         NULL};
	srvp_start(&S, args);
	cr_assert(strstr(srvp_log(&S), "RB_FAULTS: forcing no-multishot"), "%s", srvp_log(&S));
	one_write();
	split_write(cut_mid_crlf);
	split_write(cut_every_byte);
	for (int i = 0; i < 20; i++) { /* each accept re-armed */
		int fd = tc_connect(S.port);
		tc_send_str(fd, tc_get("/plaintext"));
		tc_expect(fd, 1, 0, TC_PLAINTEXT);
		close(fd);
	}
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	unlink(S.log_path);
	srvp_start(&S, NULL); /* default buffers, both workers */
	large_responses();
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}
