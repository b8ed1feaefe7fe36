/* Slow clients are contained: 1000 slowloris connections (a request head
 * sent one byte at a time, never finished in time) and 1000 slow readers
 * (four pipelined GET /bytes/1048576 through a 4 KiB receive buffer, never
 * read) against one worker with 2 s header and write timeouts.  Meanwhile
 * 50 normal requests are each answered; the slowloris connections get 408
 * and the server's FIN at their header timeout, the readers a reset at
 * their write timeout, each within a bounded time; /stats counts exactly
 * 1000 of each kind; and the server's RSS stays within what the stream
 * window allows per reader (no buffer grows with what a reader asks for
 * and does not read). */
#include "harness.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(slow, .fini = fini, .timeout = 120);

enum {
	N_LORIS = 1000,
	N_READERS = 1000,
	N_NORMAL = 50,
	TIMEOUT_S = 2, /* --header-timeout and --write-timeout */
};

/* The server's stream window (SRV_STREAM_CHUNK): a reader that does not read
 * holds at most about two, one being sent and one queued behind it. */
#define WINDOW (256L * 1024L)

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s", path);
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	cr_assert_gt(kb, 0);
	return kb;
}

/* A reader: a 4 KiB receive buffer (a small window), and a 1460-byte MSS
 * as on Ethernet.  On loopback the MSS would be 64 KiB, and the server's
 * kernel would size the socket's send buffer from it, taking up to 4 MiB
 * of each reader's responses (tcp_wmem's maximum): 4 GB for 1000 readers,
 * past this machine's whole TCP memory limit (tcp_mem), stalling every
 * other test's sockets.  With 1460 the kernel keeps about 100 KB per
 * reader, as it would for a client on a network, and what the reader does
 * not take stays where this test looks: in the server's own memory. */
static int reader_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	int rcvbuf = 4096, mss = 1460;
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	cr_assert_eq(setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		  strerror(errno));
	return fd;
}

typedef struct slow_conn {
	int fd;
	double t0;       /* first byte (slowloris) or the requests (reader) sent */
	double t_closed; /* when the server's close was seen; 0 until then */
	size_t sent;     /* slowloris: head bytes sent so far */
	int got_408;     /* slowloris: the 408 arrived before the close */
	char resp[32];   /* slowloris: the first bytes of what came back */
	size_t resp_len;
} slow_conn;

/* Long enough that one byte per round never finishes it in time. */
static const char LORIS_HEAD[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: "
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "\r\n\r\n";

/* A slowloris connection: what the server sent, until its close. */
static void loris_read(slow_conn *s, double now)
{
	for (;;) {
		char buf[512];
		ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			size_t take = sizeof(s->resp) - 1 - s->resp_len;
			if ((size_t)r < take)
				take = (size_t)r;
			memcpy(s->resp + s->resp_len, buf, take);
			s->resp_len += take;
			s->resp[s->resp_len] = '\0';
			if (strncmp(s->resp, "HTTP/1.1 408 ", 13) == 0)
				s->got_408 = 1;
			continue;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			s->t_closed = now; /* FIN (or a reset) */
			close(s->fd);
			s->fd = -1;
		}
		return;
	}
}

Test(slow, slowloris_and_slow_readers_contained)
{
	const char *args[] = {"--threads",
			      "1",
			      "--header-timeout",
			      "2",
			      "--write-timeout",
			      "2",
			      "--idle-timeout",
			      "30",
			      "--body-timeout",
			      "30",
			      NULL};
	srvp_start(&S, args);
	int warm = tc_connect(S.port);
	tc_send_str(warm, tc_get("/plaintext"));
	tc_expect(warm, 1, 0, TC_PLAINTEXT);
	close(warm);
	long rss0 = rss_kb(S.pid), rss_max = rss0;

	static slow_conn loris[N_LORIS], readers[N_READERS];
	for (int i = 0; i < N_LORIS; i++) {
		loris[i].fd = tc_connect(S.port);
		loris[i].t0 = tc_now_s();
		tc_send(loris[i].fd, LORIS_HEAD, 1);
		loris[i].sent = 1;
	}
	char *pipelined = tc_repeat("GET /bytes/1048576 HTTP/1.1\r\nHost: t\r\n\r\n", 4);
	for (int i = 0; i < N_READERS; i++) {
		readers[i].fd = reader_connect(S.port);
		readers[i].t0 = tc_now_s();
		tc_send_str(readers[i].fd, pipelined);
	}
	free(pipelined);

	/* Rounds of 100 ms: one more head byte to each slowloris connection,
	 * a normal request, and what the slow ones see. */
	static struct pollfd pfd[N_LORIS + N_READERS];
	static slow_conn *who[N_LORIS + N_READERS];
	int normal = 0, open_slow = N_LORIS + N_READERS;
	double worst_normal = 0, start = tc_now_s();
	while ((open_slow > 0 || normal < N_NORMAL) && tc_now_s() - start < 40) {
		int n = 0;
		for (int i = 0; i < N_LORIS; i++) {
			slow_conn *s = &loris[i];
			if (s->fd < 0)
				continue;
			if (!s->got_408 && s->sent < sizeof(LORIS_HEAD) - 1 &&
			    tc_send_try(s->fd, LORIS_HEAD + s->sent, 1) == 0)
				s->sent++;
			pfd[n] = (struct pollfd){s->fd, POLLIN | POLLRDHUP, 0};
			who[n++] = s;
		}
		/* A reader's unread bytes keep POLLIN set: its close shows as
		 * POLLRDHUP (FIN) or POLLERR/POLLHUP (reset). */
		for (int i = 0; i < N_READERS; i++)
			if (readers[i].fd >= 0) {
				pfd[n] = (struct pollfd){readers[i].fd, POLLRDHUP, 0};
				who[n++] = &readers[i];
			}
		if (normal < N_NORMAL) {
			double t = tc_now_s();
			int fd = tc_connect(S.port);
			tc_send_str(fd, tc_get("/plaintext"));
			tc_expect(fd, 1, 0, TC_PLAINTEXT); /* fails after 10 s unanswered */
			close(fd);
			if (tc_now_s() - t > worst_normal)
				worst_normal = tc_now_s() - t;
			normal++;
		}
		cr_assert_geq(poll(pfd, (nfds_t)n, 100), 0);
		double now = tc_now_s();
		for (int k = 0; k < n; k++) {
			slow_conn *s = who[k];
			if (!pfd[k].revents)
				continue;
			if (s >= loris && s < loris + N_LORIS) {
				loris_read(s, now);
			} else if (pfd[k].revents & (POLLRDHUP | POLLERR | POLLHUP)) {
				s->t_closed = now;
				close(s->fd);
				s->fd = -1;
			}
			if (s->fd < 0)
				open_slow--;
		}
		long r = rss_kb(S.pid);
		if (r > rss_max)
			rss_max = r;
	}
	cr_assert_eq(normal, N_NORMAL);
	cr_assert_eq(open_slow, 0, "%d slow connections still open after 40 s", open_slow);

	/* Each closed at its timeout: not before it, and within the 1 s tick,
	 * the batch that closes a thousand at once, and a margin. */
	double lo = TIMEOUT_S - 0.5, hi = TIMEOUT_S + 1 + 5;
	for (int i = 0; i < N_LORIS; i++) {
		double dt = loris[i].t_closed - loris[i].t0;
		cr_assert(loris[i].got_408, "slowloris %d: no 408 before the close: '%s'", i,
			  loris[i].resp);
		cr_assert(dt >= lo && dt <= hi, "slowloris %d closed after %.2f s", i, dt);
	}
	for (int i = 0; i < N_READERS; i++) {
		double dt = readers[i].t_closed - readers[i].t0;
		cr_assert(dt >= lo && dt <= hi, "reader %d closed after %.2f s", i, dt);
	}

	cr_assert_eq(tc_wait_stat(S.port, "timeouts_header", 0, N_LORIS, 5000), N_LORIS);
	cr_assert_eq(tc_wait_stat(S.port, "timeouts_write", 0, N_READERS, 5000), N_READERS);
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)));
	cr_assert_eq(tc_stats_sum(st, "timeouts_idle"), 0u, "%s", st);
	cr_assert_eq(tc_stats_sum(st, "timeouts_body"), 0u, "%s", st);
	cr_assert_eq(tc_stats_sum(st, "input_overflows"), 0u, "%s", st);
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 5000), 1u,
		     "slow connections left open");

	/* Memory: each reader asked for 4 MiB and read none of it; the server
	 * holds at most two stream windows for it (the send the kernel is
	 * stuck on, and the next chunk queued behind it), 512 KiB, so 1000
	 * readers may cost 500 MiB.  A slowloris connection holds its
	 * exchange and the head so far, about 1 KiB.  64 MiB more for the
	 * receive buffer ring (4 MiB) and the allocator.  Under
	 * AddressSanitizer add its shadow (1/8) and quarantine (256 MiB):
	 * freed memory is not reused at once there. */
	long bound_kb = (N_READERS * 2 * WINDOW + N_LORIS * 1024L) / 1024 + 64 * 1024;
#if defined(__SANITIZE_ADDRESS__)
	bound_kb = bound_kb * 9 / 8 + 256 * 1024;
#endif
	cr_log_info("slow: RSS %ld kB before, %ld kB at most (+%ld kB, bound %ld kB); slowest "
		    "normal request %.3f s",
		    rss0, rss_max, rss_max - rss0, bound_kb, worst_normal);
	cr_assert_leq(rss_max - rss0, bound_kb, "RSS grew %ld kB, more than %ld kB", rss_max - rss0,
		      bound_kb);

	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}
