#include "harness.h"

#include "ringparse.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char TC_PLAINTEXT[] = "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
			    "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
const char TC_JSON[] = "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		       "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
		       "{\"message\":\"Hello, World!\"}";

void tc_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *srvp_log(const srvp *p)
{
	static char buf[16384];
	buf[0] = '\0';
	int fd = open(p->log_path, O_RDONLY);
	if (fd < 0)
		return buf;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

void srvp_start(srvp *p, const char *const *extra)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->log_path, sizeof(p->log_path), "/tmp/rbserver-test-XXXXXX");
	int logfd = mkstemp(p->log_path);
	cr_assert(logfd >= 0, "mkstemp: %s", strerror(errno));

	const char *argv[64];
	int argc = 0;
	argv[argc++] = RBSERVER_PATH;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--bind";
	argv[argc++] = "127.0.0.1";
	for (int i = 0; extra && extra[i] && argc < 62; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;

	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* If the test process dies, the server goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(logfd, STDERR_FILENO);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		execv(RBSERVER_PATH, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	p->pid = pid;
	for (int i = 0; i < 1500; i++) {
		const char *log = srvp_log(p);
		const char *l = strstr(log, "listening on 127.0.0.1 port ");
		if (l) {
			p->port = atoi(l + strlen("listening on 127.0.0.1 port "));
			cr_assert(p->port > 0, "bad listening line: %s", log);
			return;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			p->pid = 0;
			cr_assert_fail("rbserver exited at start-up (status %d): %s", st, log);
		}
		tc_sleep_ms(10);
	}
	cr_assert_fail("rbserver did not start within 15 s: %s", srvp_log(p));
}

int srvp_stop(srvp *p)
{
	if (p->pid <= 0)
		return -998;
	kill(p->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		int st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
		}
		tc_sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
	return -999;
}

void srvp_cleanup(srvp *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->log_path[0])
		unlink(p->log_path);
}

int tc_connect(int port)
{
	return tc_connect_rcvbuf(port, 0);
}

int tc_connect_rcvbuf(int port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		  strerror(errno));
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

void tc_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		cr_assert(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void tc_send_str(int fd, const char *s)
{
	tc_send(fd, s, strlen(s));
}

/* How many whole responses buf[0, len) holds. */
static int tc_count(const char *buf, size_t len, unsigned head_mask)
{
	size_t pos = 0;
	int count = 0;
	rp_header hdrs[64];
	while (pos < len) {
		rp_message m;
		rp_message_init(&m, hdrs, 64, NULL);
		unsigned flags = (head_mask >> count) & 1 ? RP_RESPONSE_TO_HEAD : 0;
		int64_t n = rp_parse_response(&m, buf + pos, len - pos, flags);
		if (n <= 0)
			break;
		size_t body = m.framing == RP_BODY_LENGTH ? (size_t)m.content_length : 0;
		if (len - pos - (size_t)n < body)
			break;
		pos += (size_t)n + body;
		count++;
		if (m.status < 200)
			head_mask <<= 1; /* a 1xx is not the answer to a request */
	}
	return count;
}

size_t tc_read_responses(int fd, char *buf, size_t cap, int n, unsigned head_mask)
{
	size_t len = 0;
	for (;;) {
		if (tc_count(buf, len, head_mask) >= n)
			break;
		cr_assert(len < cap - 1, "response buffer full");
		struct pollfd pfd = {fd, POLLIN, 0};
		int pr = poll(&pfd, 1, 10000);
		cr_assert(pr == 1, "no response within 10 s (have %zu bytes)", len);
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return len;
}

size_t tc_read_eof(int fd, char *buf, size_t cap, int *reset)
{
	size_t len = 0;
	if (reset)
		*reset = 0;
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int pr = poll(&pfd, 1, 10000);
		cr_assert(pr == 1, "connection not closed within 10 s (have %zu bytes)", len);
		char tmp[65536];
		ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
		if (r == 0)
			break;
		if (r < 0) {
			cr_assert(errno == ECONNRESET, "recv: %s", strerror(errno));
			if (reset)
				*reset = 1;
			break;
		}
		if (len + (size_t)r < cap) {
			memcpy(buf + len, tmp, (size_t)r);
			len += (size_t)r;
		}
	}
	if (cap)
		buf[len < cap ? len : cap - 1] = '\0';
	return len;
}

size_t tc_mask_date(char *buf, size_t len)
{
	char *p = buf;
	while ((p = strstr(p, "\r\nDate: ")) != NULL) {
		p += 8;
		if ((size_t)(p - buf) + 29 > len)
			break;
		memcpy(p, "DATE", 4);
		memmove(p + 4, p + 29, len - (size_t)(p + 29 - buf) + 1);
		len -= 25;
	}
	return len;
}

const char *tc_get(const char *path)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	return buf[i];
}

void tc_expect(int fd, int n, unsigned head_mask, const char *want)
{
	static char buf[1 << 20];
	size_t len = tc_read_responses(fd, buf, sizeof(buf), n, head_mask);
	tc_mask_date(buf, len);
	cr_assert_str_eq(buf, want);
}

char *tc_repeat(const char *s, int n)
{
	size_t l = strlen(s);
	char *out = malloc(l * (size_t)n + 1);
	cr_assert(out);
	for (int i = 0; i < n; i++)
		memcpy(out + l * (size_t)i, s, l);
	out[l * (size_t)n] = '\0';
	return out;
}

void tc_rm_tree(char *dir)
{
	if (!dir[0])
		return;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	dir[0] = '\0';
}

double tc_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tc_send_try(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

unsigned long long tc_stats_sum(const char *json, const char *field)
{
	char key[64];
	snprintf(key, sizeof(key), "\"%s\":", field);
	unsigned long long sum = 0;
	const char *p = json;
	int found = 0;
	while ((p = strstr(p, key)) != NULL) {
		p += strlen(key);
		sum += strtoull(p, NULL, 10);
		found = 1;
	}
	cr_assert(found, "no %s in /stats: %s", field, json);
	return sum;
}

size_t tc_stats_fetch(int port, char *buf, size_t cap)
{
	int fd = tc_connect(port);
	static const char req[] = "GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	int rc = tc_send_try(fd, req, sizeof(req) - 1);
	size_t n = 0;
	if (rc == 0)
		n = tc_read_responses(fd, buf, cap, 1, 0);
	else
		buf[0] = '\0';
	close(fd);
	return strstr(buf, "\r\n\r\n{") ? n : 0;
}

unsigned long long tc_wait_stat(int port, const char *field, int ge, unsigned long long want,
				int timeout_ms)
{
	static char buf[65536];
	double end = tc_now_s() + timeout_ms / 1000.0;
	unsigned long long v = 0;
	for (;;) {
		if (tc_stats_fetch(port, buf, sizeof(buf))) {
			v = tc_stats_sum(buf, field);
			if (ge ? v >= want : v == want)
				return v;
		}
		if (tc_now_s() > end)
			return v;
		tc_sleep_ms(20);
	}
}

int tc_fault(const char *name)
{
	const char *v = getenv("RB_FAULTS");
	size_t n = strlen(name);
	while (v && *v) {
		const char *end = strchr(v, ',');
		size_t len = end ? (size_t)(end - v) : strlen(v);
		if (len == n && memcmp(v, name, n) == 0)
			return 1;
		v = end ? end + 1 : NULL;
	}
	return 0;
}

int tc_status_of(const char *r)
{
	cr_assert(strncmp(r, "HTTP/1.1 ", 9) == 0, "not a response: %.80s", r);
	return atoi(r + 9);
}

const char *tc_hval(const char *r, const char *name)
{
	static char v[4][256];
	static int k;
	k = (k + 1) % 4;
	const char *end = strstr(r, "\r\n\r\n");
	char key[64];
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	const char *p = strstr(r, key);
	if (!p || (end && p > end))
		return NULL;
	p += strlen(key);
	size_t n = strcspn(p, "\r");
	cr_assert_lt(n, sizeof(v[k]));
	memcpy(v[k], p, n);
	v[k][n] = '\0';
	return v[k];
}

size_t tc_head_len(const char *r, size_t n)
{
	const char *b = memmem(r, n, "\r\n\r\n", 4);
	cr_assert(b, "no complete head: %.200s", r);
	return (size_t)(b + 4 - r);
}

const char *tc_body_of(const char *r)
{
	return r + tc_head_len(r, strlen(r));
}

int srvp_fd_count(const srvp *p, int *max_fd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)p->pid);
	DIR *d = opendir(path);
	cr_assert(d, "%s: %s", path, strerror(errno));
	int max = -1, n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			n++;
			if (atoi(e->d_name) > max)
				max = atoi(e->d_name);
		}
	closedir(d);
	if (max_fd)
		*max_fd = max;
	return n;
}

int srvp_run(const char *const *args, char *out, size_t cap)
{
	int pfd[2];
	cr_assert(pipe(pfd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		const char *argv[16] = {RBSERVER_PATH};
		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(RBSERVER_PATH, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	ssize_t r;
	while (len < cap - 1 && (r = read(pfd[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
