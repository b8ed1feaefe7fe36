/* Connection handling: keep-alive, close, HTTP/1.0, half-close, resets,
 * many connections, an empty buffer ring, shutdown. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(conn, .fini = fini, .timeout = 90);

#define PLAIN_HEAD                                                                                 \
	"HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"                                    \
	"Content-Type: text/plain\r\nContent-Length: 13\r\n"

Test(conn, keep_alive_by_default)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	for (int i = 0; i < 3; i++) {
		tc_send_str(fd, tc_get("/plaintext"));
		tc_expect(fd, 1, 0, TC_PLAINTEXT);
	}
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, connection_close)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	/* the request after the closing one is never answered */
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
			"GET /json HTTP/1.1\r\nHost: t\r\n\r\n");
	char buf[4096];
	int reset;
	size_t n = tc_read_eof(fd, buf, sizeof(buf), &reset);
	cr_assert_not(reset);
	tc_mask_date(buf, n);
	cr_assert_str_eq(buf, PLAIN_HEAD "Connection: close\r\n\r\nHello, World!");
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, http10)
{
	srvp_start(&S, NULL);
	/* HTTP/1.0 closes by default (no Host needed) */
	int fd = tc_connect(S.port);
	tc_send_str(fd, "GET /plaintext HTTP/1.0\r\n\r\n");
	char buf[4096];
	size_t n = tc_read_eof(fd, buf, sizeof(buf), NULL);
	tc_mask_date(buf, n);
	cr_assert_str_eq(buf, PLAIN_HEAD "Connection: close\r\n\r\nHello, World!");
	close(fd);
	/* ... and persists when it asks to */
	fd = tc_connect(S.port);
	for (int i = 0; i < 2; i++) {
		tc_send_str(fd, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
		tc_expect(fd, 1, 0, PLAIN_HEAD "Connection: keep-alive\r\n\r\nHello, World!");
	}
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, half_close_still_answered)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(
		fd,
		"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\nGET /json HTTP/1.1\r\nHost: t\r\n\r\n");
	shutdown(fd, SHUT_WR);
	char buf[4096];
	size_t n = tc_read_eof(fd, buf, sizeof(buf), NULL);
	tc_mask_date(buf, n);
	char want[1024];
	snprintf(want, sizeof(want), "%s%s", TC_PLAINTEXT, TC_JSON);
	cr_assert_str_eq(buf, want);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

static void rst_close(int fd)
{
	struct linger lg = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

Test(conn, abrupt_reset)
{
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	/* reset with a partial request pending (wait until the server has
	 * the bytes: /stats bytes_in counts them) */
	unsigned long long in0 = tc_wait_stat(S.port, "bytes_in", 1, 0, 0);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHo");
	/* the first poll's own request adds 51 bytes, each later poll 51 more */
	cr_assert_geq(tc_wait_stat(S.port, "bytes_in", 1, in0 + 27 + 51, 5000), in0 + 27 + 51);
	rst_close(fd);
	/* reset while large responses are being sent and not read: read one
	 * byte first, so the sending has started */
	fd = tc_connect(S.port);
	char *reqs = tc_repeat("GET /bytes/4000000 HTTP/1.1\r\nHost: t\r\n\r\n", 4);
	tc_send_str(fd, reqs);
	free(reqs);
	char one;
	cr_assert_eq(recv(fd, &one, 1, 0), 1);
	rst_close(fd);
	/* the server counts the reset and releases both connections */
	cr_assert_geq(tc_wait_stat(S.port, "resets", 1, 1, 5000), 1u);
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 5000), 1u);
	/* and is fine */
	fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, two_hundred_connections)
{
	srvp_start(&S, NULL);
	enum {
		N = 200,
		ROUNDS = 3
	};
	int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = tc_connect(S.port);
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < N; i++)
			tc_send_str(fds[i], tc_get(i % 2 ? "/json" : "/plaintext"));
		for (int i = 0; i < N; i++)
			tc_expect(fds[i], 1, 0, i % 2 ? TC_JSON : TC_PLAINTEXT);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	cr_assert_eq(srvp_stop(&S), 0);
}

/* Two tiny buffers for 48 connections: multishot receives end with -ENOBUFS,
 * get re-armed, and every request is still answered. */
Test(conn, enobufs_rearms)
{
	const char *args[] = {"--threads", "1", "--recv-buffers", "2", "--recv-buffer-size",
			      "128",       NULL};
	srvp_start(&S, args);
	enum {
		N = 48
	};
	int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = tc_connect(S.port);
	/* all accepted (the /stats connection is the 49th) */
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, N + 1, 5000), N + 1);
	char *reqs = tc_repeat("GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 4);
	char *want = tc_repeat(TC_PLAINTEXT, 4);
	static char buf[65536];
	int seen = 0;
	for (int round = 0; round < 5 && !seen; round++) {
		for (int i = 0; i < N; i++)
			tc_send_str(fds[i], reqs);
		for (int i = 0; i < N; i++)
			tc_expect(fds[i], 4, 0, want);
		tc_send_str(fds[0], tc_get("/stats"));
		tc_read_responses(fds[0], buf, sizeof(buf), 1, 0);
		seen = strstr(buf, "\"enobufs\":0,") == NULL;
	}
	cr_assert(seen, "no -ENOBUFS in 5 rounds: %s", buf);
	/* every recv that ENOBUFS ended (a multishot CQE without F_MORE) was
	 * re-armed: each connection still gets answered */
	for (int i = 0; i < N; i++)
		tc_send_str(fds[i], reqs);
	for (int i = 0; i < N; i++)
		tc_expect(fds[i], 4, 0, want);
	free(reqs);
	free(want);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, max_conns_rejects)
{
	const char *args[] = {"--threads", "1", "--max-conns", "2", NULL};
	srvp_start(&S, args);
	int a = tc_connect(S.port), b = tc_connect(S.port);
	tc_send_str(a, tc_get("/plaintext"));
	tc_expect(a, 1, 0, TC_PLAINTEXT);
	tc_send_str(b, tc_get("/plaintext"));
	tc_expect(b, 1, 0, TC_PLAINTEXT);
	int c = tc_connect(S.port);
	char buf[256];
	size_t n = tc_read_eof(c, buf, sizeof(buf), NULL);
	cr_assert_eq(n, 0u);
	close(c);
	close(a);
	/* a slot is free again once the server has seen a's close: retry
	 * (bounded) instead of guessing how long that takes */
	static char buf2[65536];
	size_t got = 0;
	for (double end = tc_now_s() + 5; !got && tc_now_s() < end;) {
		c = tc_connect(S.port);
		if (tc_send_try(c, tc_get("/stats"), strlen(tc_get("/stats"))) == 0)
			got = tc_read_responses(c, buf2, sizeof(buf2), 1, 0);
		if (!got) {
			close(c);
			tc_sleep_ms(10);
		}
	}
	cr_assert(got, "no slot free 5 s after a closed");
	cr_assert_geq(tc_stats_sum(buf2, "connections_rejected"), 1u, "%s", buf2);
	cr_assert_eq(tc_stats_sum(buf2, "connections_open"), 2u, "%s", buf2);
	tc_send_str(c, tc_get("/plaintext"));
	tc_expect(c, 1, 0, TC_PLAINTEXT);
	close(b);
	close(c);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(conn, sigterm_clean_exit)
{
	/* One worker: with two, the idle connection's worker could close it
	 * (and this test send the rest of the partial request) before the
	 * other worker has taken the signal, and answer it keep-alive. */
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	int idle = tc_connect(S.port);
	tc_send_str(idle, tc_get("/plaintext"));
	tc_expect(idle, 1, 0, TC_PLAINTEXT);
	unsigned long long in0 = tc_wait_stat(S.port, "bytes_in", 1, 0, 0);
	int partial = tc_connect(S.port);
	static const char part[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n";
	tc_send_str(partial, part);
	/* the server has received (and so parsed) the partial header block;
	 * each /stats poll adds its own 51 request bytes */
	unsigned long long want = in0 + (sizeof(part) - 1) + 51;
	cr_assert_geq(tc_wait_stat(S.port, "bytes_in", 1, want, 5000), want);
	kill(S.pid, SIGTERM);
	/* the idle connection is closed; the partial request may still finish */
	char buf[4096];
	tc_read_eof(idle, buf, sizeof(buf), NULL);
	tc_send_str(partial, "\r\n");
	size_t n = tc_read_eof(partial, buf, sizeof(buf), NULL);
	tc_mask_date(buf, n);
	cr_assert_str_eq(buf, PLAIN_HEAD "Connection: close\r\n\r\nHello, World!");
	close(idle);
	close(partial);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	cr_assert(strstr(srvp_log(&S), "rbserver: stopped\n"));
}

/* A client that asks for a large response and never reads (small receive
 * buffer): the send waits on a full socket forever, so the write timeout
 * (--write-timeout) must close the connection, cancelling the send, and
 * SIGTERM afterwards must exit promptly. */
static int stuck_client(int port)
{
	int fd = tc_connect_rcvbuf(port, 4096);
	tc_send_str(fd, tc_get("/bytes/8388608"));
	return fd;
}

Test(conn, never_reading_client_write_timeout)
{
	const char *args[] = {"--threads", "1", "--write-timeout", "1", NULL};
	srvp_start(&S, args);
	int fd = stuck_client(S.port);
	double t0 = tc_now_s();
	/* the first sends make progress, then the socket is full */
	cr_assert_geq(tc_wait_stat(S.port, "sends", 1, 1, 5000), 1u);
	cr_assert_geq(tc_wait_stat(S.port, "write_timeouts", 1, 1, 6000), 1u);
	double dt = tc_now_s() - t0;
	cr_assert(dt >= 0.9, "write timeout after %.2f s, before --write-timeout 1", dt);
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_geq(tc_stats_sum(st, "short_sends"), 1u, "%s", st);
	/* the slot is released (only the /stats connection is open) */
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 3000), 1u);
	t0 = tc_now_s();
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	cr_assert(tc_now_s() - t0 < 3.0, "SIGTERM took %.1f s", tc_now_s() - t0);
	close(fd);
}

/* The same client during shutdown, before any timeout: the 5 s drain's
 * forced close must cancel the send, and the server exits 0. */
Test(conn, sigterm_with_never_reading_client)
{
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	int fd = stuck_client(S.port);
	cr_assert_geq(tc_wait_stat(S.port, "sends", 1, 1, 5000), 1u);
	double t0 = tc_now_s();
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	double dt = tc_now_s() - t0;
	cr_assert(dt < 8.0, "SIGTERM took %.1f s (drain is 5 s)", dt);
	close(fd);
}

/* A slot released and taken again within one batch of completions (A's
 * request and reset, then B's accept, all seen at once because the server
 * was stopped): the slot must not go on the dirty list twice (it has room
 * for --max-conns entries; ASan catches the overflow), and B is served. */
Test(conn, slot_reused_in_one_batch)
{
	/* The premise: a's reset and b's accept complete in one batch.  A
	 * single-shot recv sees a's reset only after a re-arm (a later batch),
	 * and without DEFER_TASKRUN completions are not batched: b is then
	 * rightly refused at --max-conns 1. */
	if (tc_fault("no-multishot") || tc_fault("no-defer-taskrun"))
		cr_skip_test("RB_FAULTS changes this test's premise (one batch)");
	const char *args[] = {"--threads", "1", "--max-conns", "1", NULL};
	srvp_start(&S, args);
	for (int t = 0; t < 5; t++) {
		int a = tc_connect(S.port);
		/* answered: a is accepted and its recv armed */
		tc_send_str(a, tc_get("/plaintext"));
		tc_expect(a, 1, 0, TC_PLAINTEXT);
		cr_assert_eq(kill(S.pid, SIGSTOP), 0);
		tc_send_str(a, tc_get("/plaintext"));
		rst_close(a);
		/* the kernel completes b's handshake from the listen backlog */
		int b = tc_connect(S.port);
		tc_sleep_ms(20); /* loopback delivery is immediate; slack only */
		cr_assert_eq(kill(S.pid, SIGCONT), 0);
		tc_send_str(b, tc_get("/plaintext"));
		char buf[4096];
		size_t n = tc_read_responses(b, buf, sizeof(buf), 1, 0);
		int st;
		cr_assert_neq(waitpid(S.pid, &st, WNOHANG), S.pid, "server died on try %d: %s", t,
			      srvp_log(&S));
		tc_mask_date(buf, n);
		cr_assert_str_eq(buf, TC_PLAINTEXT, "try %d", t);
		close(b);
		/* b's slot is free before the next try's a */
		cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 5000), 1u);
	}
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* RB_FAULTS=accept-fail: every 10th accept fails with EMFILE, as when the
 * process is out of descriptors; the connection stays queued and the
 * worker retries from its tick.  Every client is still answered, and the
 * failures are counted. */
Test(conn, accept_failure_retried)
{
	setenv("RB_FAULTS", "accept-fail", 1); /* this test's process only */
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	for (int i = 0; i < 25; i++) {
		int fd = tc_connect(S.port);
		tc_send_str(fd, tc_get("/plaintext"));
		tc_expect(fd, 1, 0, TC_PLAINTEXT);
		close(fd);
	}
	char buf[8192];
	cr_assert_gt(tc_stats_fetch(S.port, buf, sizeof(buf)), 0);
	cr_assert_geq(tc_stats_sum(buf, "accept_errors"), 2, "%s", buf);
	cr_assert_eq(tc_stats_sum(buf, "connections_rejected"), 0, "%s", buf);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* RB_FAULTS=tiny-cq: an 8-entry completion queue overflows under 64
 * pipelining connections; the kernel keeps the completions back and the
 * loop takes them later: every response arrives, the overflow is counted. */
Test(conn, cq_overflow_loses_nothing)
{
	setenv("RB_FAULTS", "tiny-cq", 1);
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	enum {
		N = 64,
		P = 8
	};
	int fds[N];
	char *burst = tc_repeat(tc_get("/plaintext"), P);
	for (int i = 0; i < N; i++)
		fds[i] = tc_connect(S.port);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			tc_send_str(fds[i], burst);
		for (int i = 0; i < N; i++) {
			static char want[8192];
			want[0] = '\0';
			for (int k = 0; k < P; k++)
				strcat(want, TC_PLAINTEXT);
			tc_expect(fds[i], P, 0, want);
		}
	}
	char buf[8192];
	cr_assert_gt(tc_stats_fetch(S.port, buf, sizeof(buf)), 0);
	/* /stats counts itself once its body is written */
	cr_assert_eq(tc_stats_sum(buf, "requests"), (unsigned long long)N * P * 3, "%s", buf);
	cr_assert_gt(tc_stats_sum(buf, "cq_overflow"), 0, "%s", buf);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	free(burst);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* A client that asks for more than the output high-water mark (1 MiB) and
 * keeps sending: reading pauses, and what arrives meanwhile is held, up to
 * a cap (RBSERVER_IN_CAP here, 4 MiB by default); past it the connection is
 * closed, counted as input_overflows, and the server goes on.  Within the
 * cap the same bytes are all answered: the cap is what closes. */
static void held_input(int port, int want_closed)
{
	char *reqs = tc_repeat("GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 20);
	char first[] = "GET /bytes/2000000 HTTP/1.1\r\nHost: t\r\n\r\n";
	static char all[4096];
	snprintf(all, sizeof(all), "%s%s", first, reqs);
	free(reqs);
	int fd = tc_connect(port);
	tc_send_str(fd, all); /* one write, one receive: the 740 bytes behind the
			       * first request are held while it pauses */
	static char buf[4 << 20];
	if (want_closed) {
		int reset;
		size_t n = tc_read_eof(fd, buf, sizeof(buf), &reset);
		cr_assert_eq(n, 0u, "%zu bytes before the close", n);
	} else {
		size_t n = tc_read_responses(fd, buf, sizeof(buf), 21, 0);
		cr_assert_gt(n, 2000000u);
		tc_mask_date(buf, n);
		const char *last = buf + strlen(buf) - strlen(TC_PLAINTEXT);
		cr_assert_str_eq(last, TC_PLAINTEXT);
	}
	close(fd);
}

Test(conn, held_input_cap)
{
	setenv("RBSERVER_IN_CAP", "256", 1); /* this test's process only */
	const char *args[] = {"--threads", "1", NULL};
	srvp_start(&S, args);
	held_input(S.port, 1);
	cr_assert_eq(tc_wait_stat(S.port, "input_overflows", 0, 1, 5000), 1u);
	cr_assert(strstr(srvp_log(&S), "more than 256 bytes of input held"), "%s", srvp_log(&S));
	/* the server goes on */
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	unlink(S.log_path);

	setenv("RBSERVER_IN_CAP", "4096", 1);
	srvp_start(&S, args);
	held_input(S.port, 0);
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_eq(tc_stats_sum(st, "input_overflows"), 0u, "%s", st);
	cr_assert_geq(tc_stats_sum(st, "pauses"), 1u, "%s", st);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}
