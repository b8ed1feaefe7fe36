/* Timeouts and the command line. */
#include "harness.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(limits, .fini = fini, .timeout = 60);

Test(limits, header_timeout_408)
{
	const char *args[] = {"--header-timeout", "1", NULL};
	srvp_start(&S, args);
	int fd = tc_connect(S.port);
	double t0 = tc_now_s();
	tc_send_str(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\n");
	/* Trickle a header line every 100 ms for 2.5 s (well past the 1 s
	 * timeout): a server that extended the deadline per byte would never
	 * time out while this goes on.  The 408 must arrive mid-trickle. */
	int answered = 0;
	while (tc_now_s() - t0 < 2.5) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) == 1) {
			answered = 1;
			break;
		}
		if (tc_send_try(fd, "X: y\r\n", 6) != 0)
			break; /* closed under us: the read below tells why */
	}
	double dt = tc_now_s() - t0;
	cr_assert(answered, "no 408 within 2.5 s of trickling (%.2f s)", dt);
	cr_assert(dt >= 0.9, "408 after %.2f s, before the 1 s header timeout", dt);
	char buf[4096];
	size_t n = tc_read_eof(fd, buf, sizeof(buf), NULL);
	tc_mask_date(buf, n);
	cr_assert(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0, "%s", buf);
	cr_assert(strstr(buf, "408 Request Timeout: header timeout\n"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(limits, body_timeout_408)
{
	const char *args[] = {"--body-timeout", "1", NULL};
	srvp_start(&S, args);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
	char buf[4096];
	tc_read_eof(fd, buf, sizeof(buf), NULL);
	cr_assert(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0, "%s", buf);
	cr_assert(strstr(buf, "408 Request Timeout: body timeout\n"), "%s", buf);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(limits, idle_timeout_closes)
{
	const char *args[] = {"--idle-timeout", "1", NULL};
	srvp_start(&S, args);
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	double t0 = tc_now_s();
	char buf[256];
	size_t n = tc_read_eof(fd, buf, sizeof(buf), NULL);
	double dt = tc_now_s() - t0;
	cr_assert_eq(n, 0u);
	/* the tick is 1 s: closed between 1 and about 2 s after the response */
	cr_assert(dt >= 0.9 && dt < 4.0, "idle close after %.2f s", dt);
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

static void bad(const char *const *args, const char *msg)
{
	char out[4096];
	cr_assert_eq(srvp_run(args, out, sizeof(out)), 2, "%s", out);
	cr_assert_str_eq(out, msg);
}

Test(limits, flags)
{
	char out[8192];
	const char *help[] = {"--help", NULL};
	cr_assert_eq(srvp_run(help, out, sizeof(out)), 0);
	cr_assert(strstr(out, "Usage: rbserver --port P"));
	cr_assert(strstr(out, "--max-body N"));
	cr_assert(strstr(out, "--write-timeout S"));
	const char *a11[] = {"--port", "80", "--write-timeout", "0", NULL};
	bad(a11, "rbserver: --write-timeout '0': expected an integer from 1 to 86400 (see rbserver "
		 "--help)\n");

	const char *a1[] = {NULL};
	bad(a1, "rbserver: --port is required; allowed: 0 to 65535 (see rbserver --help)\n");
	const char *a2[] = {"--port", "70000", NULL};
	bad(a2, "rbserver: --port '70000': expected an integer from 0 to 65535 (see rbserver "
		"--help)\n");
	const char *a3[] = {"--port", "80", "--threads", "two", NULL};
	bad(a3, "rbserver: --threads 'two': expected an integer from 1 to 1024 (see rbserver "
		"--help)\n");
	const char *a10[] = {"--port", "80", "--max-body", "-1", NULL};
	bad(a10, "rbserver: --max-body '-1': expected an integer from 0 to 1073741824 (see "
		 "rbserver --help)\n");
	const char *a4[] = {"--port", "80", "--frobnicate", NULL};
	bad(a4, "rbserver: unknown flag '--frobnicate' (see rbserver --help)\n");
	const char *a5[] = {"--port", "80", "--parser", "sse9", NULL};
	srvp_run(a5, out, sizeof(out));
	const char *pre = "rbserver: --parser: unknown variant 'sse9'; allowed on this CPU: ";
	cr_assert(strncmp(out, pre, strlen(pre)) == 0, "%s", out);
	cr_assert(strstr(out, "scalar"), "%s", out);
	const char *a6[] = {"--port", "80", "--recv-buffers", "3", NULL};
	bad(a6, "rbserver: --recv-buffers: 3 is not a power of two; allowed: 1, 2, 4, ... 32768 "
		"(see rbserver --help)\n");
	const char *a7[] = {"--port", "80", "--root", "/nonexistent-dir", NULL};
	bad(a7, "rbserver: --root: '/nonexistent-dir': No such file or directory (see rbserver "
		"--help)\n");
	const char *a8[] = {"--port", "80", "--bind", "localhost", NULL};
	bad(a8, "rbserver: --bind: 'localhost' is not an IPv4 or IPv6 address; allowed: a literal "
		"such as 127.0.0.1 or ::1 (see rbserver --help)\n");
	const char *a9[] = {"--port", NULL};
	bad(a9, "rbserver: --port needs a value (see rbserver --help)\n");
}

/* /stats counts timeouts by kind: one connection for each.  Every timeout
 * 1 s (the linger is a fixed 2 s): an idle keep-alive connection, a header
 * block left unfinished, a body left unfinished (both 408), a client that
 * takes none of a large response, and one that does not close after a
 * Connection: close response.  The 408 clients close once they have their
 * answer, so they do not linger. */
Test(limits, stats_timeouts_by_kind)
{
	const char *args[] = {"--threads",
			      "1",
			      "--idle-timeout",
			      "1",
			      "--header-timeout",
			      "1",
			      "--body-timeout",
			      "1",
			      "--write-timeout",
			      "1",
			      NULL};
	srvp_start(&S, args);
	int idle = tc_connect(S.port);
	tc_send_str(idle, tc_get("/plaintext"));
	tc_expect(idle, 1, 0, TC_PLAINTEXT);
	int head = tc_connect(S.port);
	tc_send_str(head, "GET /plaintext HTTP/1.1\r\nHo");
	int body = tc_connect(S.port);
	tc_send_str(body, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
	int stuck = tc_connect_rcvbuf(S.port, 4096);
	tc_send_str(stuck, tc_get("/bytes/8388608"));
	int linger = tc_connect(S.port);
	tc_send_str(linger, "GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	char buf[4096];
	tc_read_eof(linger, buf, sizeof(buf), NULL); /* our FIN; we do not close */

	int reset;
	tc_read_eof(head, buf, sizeof(buf), &reset);
	cr_assert(strstr(buf, "408 Request Timeout: header timeout"), "%s", buf);
	close(head);
	tc_read_eof(body, buf, sizeof(buf), &reset);
	cr_assert(strstr(buf, "408 Request Timeout: body timeout"), "%s", buf);
	close(body);
	tc_read_eof(idle, buf, sizeof(buf), &reset);
	close(idle);

	cr_assert_eq(tc_wait_stat(S.port, "timeouts_linger", 0, 1, 8000), 1u);
	cr_assert_eq(tc_wait_stat(S.port, "timeouts_write", 0, 1, 8000), 1u);
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_eq(tc_stats_sum(st, "timeouts_idle"), 1u, "%s", st);
	cr_assert_eq(tc_stats_sum(st, "timeouts_header"), 1u, "%s", st);
	cr_assert_eq(tc_stats_sum(st, "timeouts_body"), 1u, "%s", st);
	cr_assert_eq(tc_stats_sum(st, "write_timeouts"), 1u, "the older name: %s", st);
	cr_assert_eq(tc_stats_sum(st, "timeouts"), 5u, "every kind: %s", st);
	/* the client that did not read was reset, not left a FIN behind what
	 * it did not take */
	struct pollfd pfd = {stuck, POLLIN, 0};
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	cr_assert(pfd.revents & (POLLERR | POLLHUP), "revents %#x", pfd.revents);
	close(stuck);
	close(linger);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}
