/*
 * End-to-end test harness: start the real rbserver (RBSERVER_PATH, from
 * CMake) on a port the kernel picks (--port 0; the server names it in its
 * "listening on ... port N" log line), talk raw bytes to it, stop it by PID.
 *
 * Every helper asserts (Criterion) instead of returning errors, and every
 * wait is bounded.
 */
#ifndef SRV_TEST_HARNESS_H
#define SRV_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct srvp {
	pid_t pid;
	int port;
	char log_path[64]; /* the server's stderr */
} srvp;

/* Start rbserver with --port 0 --bind 127.0.0.1 and the NULL-terminated
 * extra arguments; wait (up to 15 s) until it listens. */
void srvp_start(srvp *p, const char *const *extra);

/* SIGTERM, then wait up to 10 s.  Returns the exit status, or -signal if it
 * died of a signal; SIGKILLs it (and returns -999) if it did not exit. */
int srvp_stop(srvp *p);

/* For .fini: kill the server if the test left it running. */
void srvp_cleanup(srvp *p);

/* The server's log so far (static buffer). */
const char *srvp_log(const srvp *p);

/* A connected TCP socket to 127.0.0.1:port with a 10 s receive timeout. */
int tc_connect(int port);
/* The same with SO_RCVBUF set to rcvbuf before connecting: the server's
 * sends of large responses then complete partly (short sends). */
int tc_connect_rcvbuf(int port, int rcvbuf);
void tc_send(int fd, const void *buf, size_t len);
void tc_send_str(int fd, const char *s);

/* Read until n complete responses (framed by ringparse; 1xx count as one)
 * have arrived, or EOF, or 10 s.  head_mask bit i: response i answers HEAD.
 * Returns the byte count; buf is NUL-terminated. */
size_t tc_read_responses(int fd, char *buf, size_t cap, int n, unsigned head_mask);

/* Read until EOF (or 10 s, which fails the test).  Returns bytes read;
 * *reset set when the connection was reset instead of closed. */
size_t tc_read_eof(int fd, char *buf, size_t cap, int *reset);

/* Replace each "Date: <29 chars>" with "Date: DATE" in place; returns the new
 * length. */
size_t tc_mask_date(char *buf, size_t len);

/* Expected plaintext response (Date masked), with or without Connection. */
extern const char TC_PLAINTEXT[];
extern const char TC_JSON[];

/* An HTTP/1.1 GET for path with Host, as a static string. */
const char *tc_get(const char *path);

/* Sleep ms milliseconds. */
void tc_sleep_ms(int ms);

/* Read n responses and compare them, Date masked, with want. */
void tc_expect(int fd, int n, unsigned head_mask, const char *want);

/* Sum of a numeric /stats field over every worker ("\"field\":N"). */
unsigned long long tc_stats_sum(const char *json, const char *field);

/* Fetch /stats on a new connection (Connection: close) into buf.  Returns
 * the bytes read, 0 if the server closed the connection without answering
 * (--max-conns reached). */
size_t tc_stats_fetch(int port, char *buf, size_t cap);

/* Poll /stats (every 20 ms, up to timeout_ms) until the summed field is >=
 * want (ge) or == want (!ge).  Returns the last value seen; the caller
 * asserts.  No sleeping on a guess: it returns as soon as the value is met. */
unsigned long long tc_wait_stat(int port, const char *field, int ge, unsigned long long want,
				int timeout_ms);

/* Monotonic seconds. */
double tc_now_s(void);

/* Send that tolerates the peer having closed: returns 0 or -errno. */
int tc_send_try(int fd, const void *buf, size_t len);

/* Is fault `name` in force (RB_FAULTS, which the server inherits)?  For
 * the few checks whose premise a fault changes on purpose: a test that
 * counts sends under short-send, or relies on multishot batching. */
int tc_fault(const char *name);

/* s repeated n times (malloc'd). */
char *tc_repeat(const char *s, int n);

/* Remove the fixture directory dir (mkdtemp'd) and everything under it, and
 * empty dir; nothing when dir is already empty. */
void tc_rm_tree(char *dir);

/* The status code of response r; fails the test when r is not a response. */
int tc_status_of(const char *r);

/* The value of header name in the head of response r, or NULL.  Four
 * static buffers in turn: four values can be held at once. */
const char *tc_hval(const char *r, const char *name);

/* The length of the head (through its blank line) of the response in
 * r[0, n); fails the test when the head is not complete.  Bodies may hold
 * NUL bytes: n, not strlen, bounds the search. */
size_t tc_head_len(const char *r, size_t n);

/* The body of response r (NUL-terminated). */
const char *tc_body_of(const char *r);

/* How many descriptors the server has open, from /proc/PID/fd; the highest
 * one into *max_fd when max_fd is not NULL. */
int srvp_fd_count(const srvp *p, int *max_fd);

/* Run rbserver (not as a server: --help, bad flags) with the
 * NULL-terminated args, at most 14, and wait for it to exit; its stdout and
 * stderr together into out (NUL-terminated).  Returns its exit status, -1
 * when a signal ended it. */
int srvp_run(const char *const *args, char *out, size_t cap);
#endif
