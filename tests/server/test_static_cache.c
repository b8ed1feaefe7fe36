/* The per-worker open-file and metadata cache (issue 17), end to end: hits
 * and misses counted, small bodies from memory and large ones zero-copy
 * (RB_FAULTS=no-zerocopy: read-and-send), revalidation at most once a second
 * (a change is seen by a request 1.2 s after it; in between every response
 * is one version whole, or cut short), files replaced, truncated, appended
 * to, removed, swapped for symlinks, directories and FIFOs, conditionals and
 * ranges on a hit as on the miss, the flags' bounds (entries, bytes,
 * descriptors), entries evicted while being sent, descriptors shed when the
 * process runs out, pipelining, and the traversal rules with a warm cache.
 * One server per test, one worker unless the test says otherwise. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static srvp S;
static char dir[64]; /* the fixture: dir/root is served, dir/secret.txt is not */
static char root[96];

static void fini(void)
{
	srvp_cleanup(&S);
	tc_rm_tree(dir);
}
TestSuite(static_cache, .fini = fini, .timeout = 150);

#define LM_SEC 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define LM_STR "Sun, 06 Nov 1994 08:49:37 GMT"
#define HELLO "Hello, static!\n"
#define SMALL_SIZE 1000u      /* under the default --file-cache-inline (32 KiB) */
#define LARGE_SIZE (1u << 20) /* over it: descriptor and metadata only, zero-copy */
#define AFTER_MS 1200         /* a change is seen by any request 1 s or more after it */

static char *fpath(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", root, rel);
	return p[i];
}

/* byte i of a pattern file: not periodic in any power of two; seed picks
 * one of 250 distinct patterns */
static unsigned char pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131u + (i >> 9) * 7u + seed * 17u) % 251u);
}

static unsigned char *pattern(size_t len, unsigned seed)
{
	unsigned char *b = malloc(len ? len : 1);
	cr_assert(b);
	for (size_t i = 0; i < len; i++)
		b[i] = pat(i, seed);
	return b;
}

/* Write rel (created or truncated) with modification time mtime. */
static void put_file_at(const char *rel, const void *data, size_t len, time_t mtime)
{
	int fd = open(fpath(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "%s: %s", rel, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 123456789}};
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
}

static void put_file(const char *rel, const void *data, size_t len)
{
	put_file_at(rel, data, len, LM_SEC);
}

static void put_pattern(const char *rel, size_t len, unsigned seed)
{
	unsigned char *b = pattern(len, seed);
	put_file(rel, b, len);
	free(b);
}

/* Replace rel atomically: the new content under a temporary name, renamed
 * over it (a new inode). */
static void replace_file(const char *rel, const void *data, size_t len, time_t mtime)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), ".new-%d", rand());
	put_file_at(tmp, data, len, mtime);
	cr_assert_eq(rename(fpath(tmp), fpath(rel)), 0, "rename: %s", strerror(errno));
}

static void fixture(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rbserver-cache-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(root, sizeof(root), "%s/root", dir);
	cr_assert_eq(mkdir(root, 0755), 0);
	char p[160];
	snprintf(p, sizeof(p), "%s/secret.txt", dir);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "SECRET\n", 7), 7);
	close(fd);

	put_file("hello.txt", HELLO, strlen(HELLO));
	put_file("index.html", "<h1>root</h1>\n", 14);
	cr_assert_eq(mkdir(fpath("sub"), 0755), 0);
	put_file("sub/index.html", "<h1>sub</h1>\n", 13);
	put_file("sub/page.css", "p{}\n", 4);
	put_pattern("small.bin", SMALL_SIZE, 1);
	put_pattern("large.bin", LARGE_SIZE, 2);
	cr_assert_eq(symlink("hello.txt", fpath("link_in")), 0);
	cr_assert_eq(symlink("../secret.txt", fpath("link_out")), 0);
	cr_assert_eq(symlink(p, fpath("link_abs")), 0);
	cr_assert_eq(symlink("..", fpath("dirlink_out")), 0);
	cr_assert_eq(mkfifo(fpath("fifo"), 0644), 0);
}

/* Start one worker on the fixture's root with the NULL-terminated extra
 * flags. */
static void start_with(const char *const *extra)
{
	const char *args[32] = {"--root", root, "--threads", "1"};
	int n = 4;
	for (int i = 0; extra && extra[i]; i++) {
		cr_assert_lt(n, 31);
		args[n++] = extra[i];
	}
	args[n] = NULL;
	srvp_start(&S, args);
}

static void start(void)
{
	fixture();
	start_with(NULL);
}

/* ---- reading responses -------------------------------------------------- */

static char rbuf[4u << 20];

/* Send raw on fd, read one response (HEAD if head) into rbuf, Date masked.
 * Returns its length (bodies may hold NUL bytes). */
static size_t ask(int fd, const char *raw, int head)
{
	tc_send_str(fd, raw);
	size_t n = tc_read_responses(fd, rbuf, sizeof(rbuf), 1, head ? 1u : 0u);
	return tc_mask_date(rbuf, n);
}

static int status_of(const char *r)
{
	cr_assert(strncmp(r, "HTTP/1.1 ", 9) == 0, "not a response: %.80s", r);
	return atoi(r + 9);
}

/* The value of header name in response r (static buffer), or NULL. */
static const char *hval(const char *r, const char *name)
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

static size_t head_len(const char *r, size_t n)
{
	const char *b = memmem(r, n, "\r\n\r\n", 4);
	cr_assert(b, "no complete head: %.200s", r);
	return (size_t)(b + 4 - r);
}

static const char *body_of(const char *r)
{
	return r + head_len(r, strlen(r));
}

/* GET (or HEAD) path on a fresh connection into rbuf, Date masked; returns
 * the length.  A connection cut short leaves a partial response. */
static size_t fetch(const char *path, int head)
{
	int fd = tc_connect(S.port);
	char req[512];
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n\r\n", head ? "HEAD" : "GET",
		 path);
	size_t n = ask(fd, req, head);
	close(fd);
	cr_assert(!memmem(rbuf, n, "SECRET", 6), "%s served the secret", path);
	return n;
}

static int get_status(const char *path)
{
	fetch(path, 0);
	return status_of(rbuf);
}

/* GET path: a 200 whose body is exactly want[0, len). */
static void expect_body(const char *path, const void *want, size_t len)
{
	size_t n = fetch(path, 0);
	cr_assert_eq(status_of(rbuf), 200, "%s: %.300s", path, rbuf);
	size_t h = head_len(rbuf, n);
	cr_assert_eq(strtoull(hval(rbuf, "Content-Length"), NULL, 10), (unsigned long long)len,
		     "%s: %.300s", path, rbuf);
	cr_assert_eq(n - h, len, "%s: %zu body bytes, want %zu", path, n - h, len);
	const unsigned char *b = (const unsigned char *)rbuf + h, *w = want;
	for (size_t i = 0; i < len; i++)
		if (b[i] != w[i])
			cr_assert_fail("%s: body byte %zu differs", path, i);
}

/* The ETag the server must give a file: size, mtime ns, inode in hex. */
static const char *etag_of(const char *rel)
{
	static char e[2][80];
	static int k;
	k ^= 1;
	struct stat sb;
	cr_assert_eq(stat(fpath(rel), &sb), 0);
	snprintf(e[k], sizeof(e[k]), "\"%llx-%llx-%llx\"", (unsigned long long)sb.st_size,
		 (unsigned long long)sb.st_mtim.tv_sec * 1000000000ull +
			 (unsigned long long)sb.st_mtim.tv_nsec,
		 (unsigned long long)sb.st_ino);
	return e[k];
}

/* The Last-Modified the server must give a file (its mtime is in the past). */
static const char *lm_of(const char *rel)
{
	static char d[2][64];
	static int k;
	k ^= 1;
	struct stat sb;
	cr_assert_eq(stat(fpath(rel), &sb), 0);
	struct tm tm;
	gmtime_r(&sb.st_mtim.tv_sec, &tm);
	strftime(d[k], sizeof(d[k]), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return d[k];
}

/* ---- /stats ------------------------------------------------------------- */

typedef struct cstats {
	unsigned long long hits, misses, revalidations, changed, evictions, entries, bytes;
} cstats;

static cstats cache_stats(void)
{
	static char st[65536];
	cr_assert(tc_stats_fetch(S.port, st, sizeof(st)), "no /stats");
	cstats c = {
		tc_stats_sum(st, "file_cache_hits"),
		tc_stats_sum(st, "file_cache_misses"),
		tc_stats_sum(st, "file_cache_revalidations"),
		tc_stats_sum(st, "file_cache_changed"),
		tc_stats_sum(st, "file_cache_evictions"),
		tc_stats_sum(st, "file_cache_entries"),
		tc_stats_sum(st, "file_cache_bytes"),
	};
	return c;
}

/* ---- versions of a file, and responses that must be one of them -------- */

typedef struct version {
	const unsigned char *body;
	size_t len;
	char etag[80];
	char lm[64];
} version;

static void version_of(version *v, const char *rel, const unsigned char *body, size_t len)
{
	v->body = body;
	v->len = len;
	snprintf(v->etag, sizeof(v->etag), "%s", etag_of(rel));
	snprintf(v->lm, sizeof(v->lm), "%s", lm_of(rel));
}

/* The response in rbuf[0, n) is a 200 of exactly one of vs: its ETag names
 * the version, and Content-Length, Last-Modified and every body byte
 * received agree with it.  A body shorter than Content-Length (the
 * connection cut) is allowed only when cut_ok.  Returns the version's index,
 * or -1 - index when cut short. */
static int self_consistent(const char *what, size_t n, const version *vs, int nv, int cut_ok)
{
	if (n == 0 && cut_ok)
		return -1; /* cut before the head: nothing of any version */
	cr_assert_gt(n, 0u, "%s: the connection ended without a response: %s", what, srvp_log(&S));
	cr_assert_eq(status_of(rbuf), 200, "%s: %.300s", what, rbuf);
	const char *et = hval(rbuf, "ETag");
	cr_assert(et, "%s: no ETag", what);
	int k = -1;
	for (int i = 0; i < nv; i++)
		if (strcmp(et, vs[i].etag) == 0)
			k = i;
	cr_assert_geq(k, 0, "%s: ETag %s is no version's", what, et);
	cr_assert_eq(strtoull(hval(rbuf, "Content-Length"), NULL, 10),
		     (unsigned long long)vs[k].len,
		     "%s: version %d's ETag with another length: %.300s", what, k, rbuf);
	cr_assert_str_eq(hval(rbuf, "Last-Modified"), vs[k].lm, "%s: version %d", what, k);
	size_t h = head_len(rbuf, n);
	size_t got = n - h;
	cr_assert_leq(got, vs[k].len, "%s: more body than Content-Length", what);
	const unsigned char *b = (const unsigned char *)rbuf + h;
	for (size_t i = 0; i < got; i++)
		if (b[i] != vs[k].body[i])
			cr_assert_fail("%s: version %d (ETag %s, %zu bytes): body byte %zu differs",
				       what, k, et, vs[k].len, i);
	if (got < vs[k].len) {
		cr_assert(cut_ok, "%s: %zu of %zu body bytes, then the connection ended", what, got,
			  vs[k].len);
		return -1 - k;
	}
	return k;
}

/* Fetch path on fresh connections for ms milliseconds (every 40 ms): each
 * response one of vs whole (or cut short if cut_ok).  Returns how many
 * whole responses were of the last version. */
static int poll_consistent(const char *path, const version *vs, int nv, int cut_ok, int ms)
{
	double end = tc_now_s() + ms / 1000.0;
	int newest = 0;
	while (tc_now_s() < end) {
		size_t n = fetch(path, 0);
		if (self_consistent(path, n, vs, nv, cut_ok) == nv - 1)
			newest++;
		tc_sleep_ms(40);
	}
	return newest;
}

/* ---- 1. hits and misses ------------------------------------------------- */

Test(static_cache, hits_and_misses_counted)
{
	start();
	cstats c0 = cache_stats();
	cr_assert_eq(c0.hits, 0u);
	cr_assert_eq(c0.misses, 0u);
	cr_assert_eq(c0.entries, 0u);
	cr_assert_eq(c0.bytes, 0u);
	unsigned char *small = pattern(SMALL_SIZE, 1), *large = pattern(LARGE_SIZE, 2);

	/* a small file: a miss, then hits (GET and HEAD, and the same
	 * normalised path spelled otherwise) */
	expect_body("/small.bin", small, SMALL_SIZE);
	cstats c = cache_stats();
	cr_assert_eq(c.misses, 1u);
	cr_assert_eq(c.hits, 0u);
	cr_assert_eq(c.entries, 1u);
	cr_assert_geq(c.bytes, SMALL_SIZE, "the small body is held: %llu bytes", c.bytes);
	static char miss_resp[4096];
	size_t mn = fetch("/small.bin", 0);
	cr_assert_lt(mn, sizeof(miss_resp));
	memcpy(miss_resp, rbuf, mn);
	expect_body("/small.bin", small, SMALL_SIZE);
	expect_body("/./small.bin", small, SMALL_SIZE);
	expect_body("/sub/../small.bin", small, SMALL_SIZE);
	size_t hn = fetch("/small.bin", 1);
	cr_assert_eq(status_of(rbuf), 200);
	cr_assert_eq(hn, head_len(miss_resp, mn), "HEAD: the GET's head, no body");
	cr_assert(memcmp(rbuf, miss_resp, hn) == 0, "HEAD: [%s] vs [%.*s]", rbuf, (int)hn,
		  miss_resp);
	c = cache_stats();
	cr_assert_eq(c.misses, 1u, "one entry for /small.bin, /./small.bin, /sub/../small.bin");
	cr_assert_eq(c.hits, 5u);
	cr_assert_eq(c.entries, 1u);

	/* a large file: a miss, then hits; the body intact byte for byte, also
	 * through a small receive window (short sends of a zero-copy body) */
	expect_body("/large.bin", large, LARGE_SIZE);
	c = cache_stats();
	cr_assert_eq(c.misses, 2u);
	cr_assert_eq(c.entries, 2u);
	cr_assert_lt(c.bytes, LARGE_SIZE, "a large body is not held in memory: %llu bytes",
		     c.bytes);
	expect_body("/large.bin", large, LARGE_SIZE);
	fetch("/large.bin", 1);
	cr_assert_eq(status_of(rbuf), 200);
	cr_assert_str_eq(hval(rbuf, "Content-Length"), "1048576");
	cr_assert_eq(strlen(body_of(rbuf)), 0u, "HEAD: no body");
	int fd = tc_connect_rcvbuf(S.port, 8192);
	size_t n = ask(fd, tc_get("/large.bin"), 0);
	close(fd);
	size_t h = head_len(rbuf, n);
	cr_assert_eq(n - h, LARGE_SIZE);
	cr_assert(memcmp(rbuf + h, large, LARGE_SIZE) == 0, "through an 8 KiB window");
	c = cache_stats();
	cr_assert_eq(c.misses, 2u);
	cr_assert_eq(c.hits, 8u);

	/* a directory's index is its own entry */
	cr_assert_eq(get_status("/sub/"), 200);
	cr_assert_str_eq(body_of(rbuf), "<h1>sub</h1>\n");
	cstats d = cache_stats();
	cr_assert_gt(d.misses, c.misses);
	cr_assert_eq(get_status("/sub/"), 200);
	cr_assert_str_eq(body_of(rbuf), "<h1>sub</h1>\n");
	c = cache_stats();
	cr_assert_eq(c.hits, d.hits + 1);
	cr_assert_eq(c.misses, d.misses);

	/* a hit for a request that does not keep the connection (its head
	 * says so: not the kept response): the whole body, then FIN */
	static const char *closing[] = {
		"GET /small.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
		"GET /small.bin HTTP/1.0\r\n\r\n",
		"GET /large.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
	};
	for (int i = 0; i < 3; i++) {
		fd = tc_connect(S.port);
		tc_send_str(fd, closing[i]);
		int reset;
		n = tc_read_eof(fd, rbuf, sizeof(rbuf), &reset);
		close(fd);
		cr_assert_not(reset, "%s", closing[i]);
		cr_assert_eq(status_of(rbuf), 200, "%s", closing[i]);
		cr_assert_str_eq(hval(rbuf, "Connection"), "close", "%s", closing[i]);
		h = head_len(rbuf, n);
		size_t len = i < 2 ? SMALL_SIZE : LARGE_SIZE;
		cr_assert_eq(n - h, len, "%s", closing[i]);
		cr_assert(memcmp(rbuf + h, i < 2 ? small : large, len) == 0, "%s", closing[i]);
	}
	d = cache_stats();
	cr_assert_eq(d.hits, c.hits + 3);
	cr_assert_eq(d.misses, c.misses);
	c = d;

	/* no negative entries: a 404 holds nothing, and is decided each time */
	cr_assert_eq(get_status("/missing.txt"), 404);
	cr_assert_eq(get_status("/missing.txt"), 404);
	d = cache_stats();
	cr_assert_eq(d.hits, c.hits, "a 404 is never a hit");
	cr_assert_eq(d.entries, c.entries, "nothing held for a 404");
	put_file("missing.txt", "here now\n", 9);
	cr_assert_eq(get_status("/missing.txt"), 200, "created after a 404: served at once");
	cr_assert_str_eq(body_of(rbuf), "here now\n");
	free(small);
	free(large);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Checked again at most once a second: many hits in a short time cost at
 * most one revalidation per wall-clock second, each found unchanged (a
 * hit, not a change). */
Test(static_cache, revalidated_at_most_once_a_second)
{
	start();
	unsigned char *small = pattern(SMALL_SIZE, 1);
	time_t t0 = time(NULL); /* at most one check in each later second */
	expect_body("/small.bin", small, SMALL_SIZE);
	cstats c0 = cache_stats();
	int fd = tc_connect(S.port);
	int n = 0;
	double end = tc_now_s() + 1.5;
	while (tc_now_s() < end) {
		size_t len = ask(fd, tc_get("/small.bin"), 0);
		cr_assert_eq(len - head_len(rbuf, len), SMALL_SIZE);
		n++;
	}
	close(fd);
	time_t t1 = time(NULL);
	cstats c = cache_stats();
	cr_assert_eq(c.hits - c0.hits, (unsigned long long)n);
	cr_assert_eq(c.misses, c0.misses);
	cr_assert_eq(c.changed, c0.changed);
	cr_assert_geq(c.revalidations - c0.revalidations, 1u, "1.5 s span a second boundary");
	cr_assert_leq(c.revalidations - c0.revalidations, (unsigned long long)(t1 - t0),
		      "%d requests in %lld seconds", n, (long long)(t1 - t0));
	free(small);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 2. replaced by rename ---------------------------------------------- */

static void replaced_by_rename(const char *rel, size_t old_len, size_t new_len)
{
	char path[160];
	snprintf(path, sizeof(path), "/%s", rel);
	unsigned char *oldb = pattern(old_len, 3), *newb = pattern(new_len, 4);
	put_file(rel, oldb, old_len);
	version v[2];
	version_of(&v[0], rel, oldb, old_len);
	expect_body(path, oldb, old_len); /* the miss */
	expect_body(path, oldb, old_len); /* a hit */
	cstats c0 = cache_stats();
	replace_file(rel, newb, new_len, LM_SEC + 3600);
	double t_change = tc_now_s();
	version_of(&v[1], rel, newb, new_len);
	cr_assert_str_neq(v[0].etag, v[1].etag);
	cr_assert_str_neq(v[0].lm, v[1].lm);
	/* within the interval: either version, whole (the old inode is still
	 * open or in memory: no reason to cut) */
	poll_consistent(path, v, 2, 0, 700);
	double left = AFTER_MS / 1000.0 - (tc_now_s() - t_change);
	if (left > 0)
		tc_sleep_ms((int)(left * 1000) + 1);
	for (int i = 0; i < 3; i++) {
		size_t n = fetch(path, 0);
		cr_assert_eq(self_consistent(path, n, v, 2, 0), 1,
			     "%s: the old version %.0f ms "
			     "after the rename",
			     path, (tc_now_s() - t_change) * 1000);
	}
	cstats c = cache_stats();
	cr_assert_gt(c.revalidations, c0.revalidations);
	cr_assert_gt(c.changed, c0.changed);
	free(oldb);
	free(newb);
}

Test(static_cache, replaced_by_rename)
{
	start();
	replaced_by_rename("inline.bin", 2000, 1500);
	replaced_by_rename("zerocopy.bin", LARGE_SIZE, LARGE_SIZE + 4096 + 3);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 3. truncated, appended to or rewritten in place --------------------------------- */

/* rel truncated (new_len < old_len) or appended to (the pattern goes on) in
 * place: the same inode, a new size and mtime. */
static void resized_in_place(const char *rel, size_t old_len, size_t new_len)
{
	char path[160];
	snprintf(path, sizeof(path), "/%s", rel);
	unsigned char *b = pattern(old_len > new_len ? old_len : new_len, 5);
	put_file(rel, b, old_len);
	version v[2];
	version_of(&v[0], rel, b, old_len);
	expect_body(path, b, old_len);
	expect_body(path, b, old_len);
	cstats c0 = cache_stats();
	int fd = open(fpath(rel), O_WRONLY);
	cr_assert(fd >= 0);
	if (new_len < old_len) /* the mtime is now */
		cr_assert_eq(ftruncate(fd, (off_t)new_len), 0);
	else
		cr_assert_eq(pwrite(fd, b + old_len, new_len - old_len, (off_t)old_len),
			     (ssize_t)(new_len - old_len));
	close(fd);
	double t_change = tc_now_s();
	version_of(&v[1], rel, b, new_len); /* the prefix of the same bytes */
	cr_assert_str_neq(v[0].etag, v[1].etag);
	/* the old head may be sent, and a truncated body then cut short */
	poll_consistent(path, v, 2, 1, 700);
	double left = AFTER_MS / 1000.0 - (tc_now_s() - t_change);
	if (left > 0)
		tc_sleep_ms((int)(left * 1000) + 1);
	for (int i = 0; i < 3; i++) {
		size_t n = fetch(path, 0);
		cr_assert_eq(self_consistent(path, n, v, 2, 0), 1, "%s: not the resized version",
			     path);
	}
	cstats c = cache_stats();
	cr_assert_gt(c.revalidations, c0.revalidations);
	cr_assert_gt(c.changed, c0.changed);
	free(b);
}

Test(static_cache, truncated_or_appended_in_place)
{
	start();
	resized_in_place("inline.bin", 3000, 700);
	resized_in_place("zerocopy.bin", LARGE_SIZE, 300000);
	/* appended to: across the inline bound, and a large one */
	resized_in_place("grown.bin", 3000, 40000);
	resized_in_place("grownL.bin", LARGE_SIZE, LARGE_SIZE + 5000);
	resized_in_place("shrunk.bin", 40000, 3000);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Rewritten in place with the same size and the old mtime put back: the
 * inode, size and mtime (so the ETag) are the same, only the ctime tells.
 * An inline body is in memory: after the interval the new bytes. */
Test(static_cache, rewritten_in_place_only_ctime_differs)
{
	start();
	unsigned char *oldb = pattern(SMALL_SIZE, 6), *newb = pattern(SMALL_SIZE, 7);
	put_file("same.bin", oldb, SMALL_SIZE);
	expect_body("/same.bin", oldb, SMALL_SIZE);
	expect_body("/same.bin", oldb, SMALL_SIZE);
	char et[80];
	snprintf(et, sizeof(et), "%s", etag_of("same.bin"));
	cstats c0 = cache_stats();
	tc_sleep_ms(20); /* a ctime visibly later */
	int fd = open(fpath("same.bin"), O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, newb, SMALL_SIZE, 0), (ssize_t)SMALL_SIZE);
	struct timespec ts[2] = {{LM_SEC, 0}, {LM_SEC, 123456789}};
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
	cr_assert_str_eq(etag_of("same.bin"), et, "the premise: the same ETag");
	tc_sleep_ms(AFTER_MS);
	expect_body("/same.bin", newb, SMALL_SIZE);
	cstats c = cache_stats();
	cr_assert_gt(c.changed, c0.changed, "the ctime differs: changed");
	/* the same with a new mtime, for a large file (the body is read from
	 * the file anyway: the head must follow) */
	unsigned char *lb = pattern(LARGE_SIZE, 8);
	put_file("samel.bin", lb, LARGE_SIZE);
	expect_body("/samel.bin", lb, LARGE_SIZE);
	snprintf(et, sizeof(et), "%s", etag_of("samel.bin"));
	fd = open(fpath("samel.bin"), O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, "XYZ", 3, 1000), 3);
	close(fd); /* mtime now */
	lb[1000] = 'X', lb[1001] = 'Y', lb[1002] = 'Z';
	tc_sleep_ms(AFTER_MS);
	expect_body("/samel.bin", lb, LARGE_SIZE);
	cr_assert_str_eq(hval(rbuf, "ETag"), etag_of("samel.bin"));
	cr_assert_str_neq(hval(rbuf, "ETag"), et);
	cr_assert_str_eq(hval(rbuf, "Last-Modified"), lm_of("samel.bin"));
	free(oldb);
	free(newb);
	free(lb);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 4. removed, then recreated ----------------------------------------- */

Test(static_cache, removed_then_recreated)
{
	start();
	static const struct {
		const char *rel;
		size_t len;
	} files[] = {{"gone.bin", SMALL_SIZE}, {"goneL.bin", LARGE_SIZE}};
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/%s", files[i].rel);
		unsigned char *b = pattern(files[i].len, 9), *nb = pattern(files[i].len / 2, 10);
		put_file(files[i].rel, b, files[i].len);
		expect_body(path, b, files[i].len);
		expect_body(path, b, files[i].len);
		cstats c0 = cache_stats();
		cr_assert_eq(unlink(fpath(files[i].rel)), 0);
		tc_sleep_ms(AFTER_MS);
		cr_assert_eq(get_status(path), 404, "%s removed: %.200s", path, rbuf);
		cr_assert_eq(get_status(path), 404);
		cstats c = cache_stats();
		cr_assert_gt(c.changed, c0.changed, "found gone");
		cr_assert_lt(c.entries, c0.entries, "the gone entry dropped");
		/* no negative entry: recreated, served at once */
		put_file_at(files[i].rel, nb, files[i].len / 2, LM_SEC + 60);
		expect_body(path, nb, files[i].len / 2);
		cr_assert_str_eq(hval(rbuf, "ETag"), etag_of(files[i].rel));
		expect_body(path, nb, files[i].len / 2);
		free(b);
		free(nb);
	}
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 5. swapped for a symlink, a directory or a FIFO -------------------- */

/* Put a symlink to target (or a FIFO when target is NULL) in place of rel,
 * atomically. */
static void swap_in(const char *rel, const char *target)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".swap-%d", rand());
	if (target)
		cr_assert_eq(symlink(target, fpath(tmp)), 0);
	else
		cr_assert_eq(mkfifo(fpath(tmp), 0644), 0);
	cr_assert_eq(rename(fpath(tmp), fpath(rel)), 0, "rename: %s", strerror(errno));
}

Test(static_cache, swapped_for_symlinks_and_fifo)
{
	start();
	char p[160];
	snprintf(p, sizeof(p), "%s/x.txt", dir);
	int f = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert(f >= 0);
	cr_assert_eq(write(f, "SECRET-X\n", 9), 9);
	close(f);
	snprintf(p, sizeof(p), "%s/secret.txt", dir);
	put_file("out_rel.txt", "out_rel\n", 8);
	put_file("out_abs.txt", "out_abs\n", 8);
	put_file("in.txt", "in\n", 3);
	put_file("fifo.txt", "fifo\n", 5);
	put_file("dir.txt", "dir\n", 4);
	cr_assert_eq(mkdir(fpath("d"), 0755), 0);
	put_file("d/x.txt", "inside\n", 7);
	unsigned char *large = pattern(LARGE_SIZE, 2);
	const char *warm[] = {"/out_rel.txt", "/out_abs.txt", "/in.txt",   "/fifo.txt",
			      "/dir.txt",     "/d/x.txt",     "/large.bin"};
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < sizeof(warm) / sizeof(warm[0]); i++)
			cr_assert_eq(get_status(warm[i]), 200, "%s", warm[i]);
	cstats c0 = cache_stats();
	cr_assert_geq(c0.entries, 7u);

	swap_in("out_rel.txt", "../secret.txt");
	swap_in("out_abs.txt", p);
	swap_in("in.txt", "hello.txt");
	swap_in("fifo.txt", NULL);
	swap_in("large.bin", "../secret.txt");
	cr_assert_eq(unlink(fpath("dir.txt")), 0);
	cr_assert_eq(mkdir(fpath("dir.txt"), 0755), 0);
	/* a directory on the path swapped for a symlink out of the root */
	cr_assert_eq(rename(fpath("d"), fpath("d_old")), 0);
	cr_assert_eq(symlink("..", fpath("d")), 0);
	/* never the secret, not even within the interval (fetch asserts it) */
	double end = tc_now_s() + 0.5;
	while (tc_now_s() < end) {
		fetch("/out_rel.txt", 0);
		fetch("/out_abs.txt", 0);
		fetch("/large.bin", 0);
		fetch("/d/x.txt", 0);
		tc_sleep_ms(40);
	}
	tc_sleep_ms(AFTER_MS);
	/* as the uncached path answers: a symlink out of the root (EXDEV) 404,
	 * inside followed, a FIFO 403 (without blocking), a directory 301 */
	cr_assert_eq(get_status("/out_rel.txt"), 404, "%.200s", rbuf);
	cr_assert_eq(get_status("/out_abs.txt"), 404, "%.200s", rbuf);
	cr_assert_eq(get_status("/large.bin"), 404, "%.200s", rbuf);
	cr_assert_eq(get_status("/d/x.txt"), 404, "%.200s", rbuf);
	cr_assert_eq(get_status("/in.txt"), 200, "%.200s", rbuf);
	cr_assert_str_eq(body_of(rbuf), HELLO);
	double t0 = tc_now_s();
	cr_assert_eq(get_status("/fifo.txt"), 403, "%.200s", rbuf);
	cr_assert_lt(tc_now_s() - t0, 5.0, "the FIFO stalled the worker");
	cr_assert_eq(get_status("/dir.txt"), 301, "%.200s", rbuf);
	cr_assert_str_eq(hval(rbuf, "Location"), "/dir.txt/");
	/* the worker is not blocked, and the same answers again */
	int fd = tc_connect(S.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(get_status("/out_rel.txt"), 404);
	cr_assert_eq(get_status("/fifo.txt"), 403);
	cr_assert_eq(get_status("/in.txt"), 200);
	cstats c = cache_stats();
	cr_assert_geq(c.changed - c0.changed, 6u, "%llu", c.changed - c0.changed);
	/* the large file back: served again, intact */
	cr_assert_eq(unlink(fpath("large.bin")), 0);
	put_pattern("large.bin", LARGE_SIZE, 2);
	expect_body("/large.bin", large, LARGE_SIZE);
	free(large);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 6. conditionals and ranges on a hit as on the miss ----------------- */

/* Mask what differs between two fetches of the same response: each Date
 * value and the 16 random digits of each multipart boundary. */
static size_t mask_all(char *b, size_t n)
{
	for (char *p = b; (p = memmem(p, n - (size_t)(p - b), "\r\nDate: ", 8)) != NULL;) {
		p += 8;
		cr_assert_geq(n - (size_t)(p - b), 29u);
		memcpy(p, "DATE", 4);
		memmove(p + 4, p + 29, n - (size_t)(p + 29 - b));
		n -= 25;
	}
	for (char *p = b; (p = memmem(p, n - (size_t)(p - b), "=rbserver", 9)) != NULL;) {
		p += 9;
		memset(p, 'X', 16);
	}
	for (char *p = b; (p = memmem(p, n - (size_t)(p - b), "--rbserver", 10)) != NULL;) {
		p += 10;
		memset(p, 'X', 16);
	}
	return n;
}

/* Send req on a fresh connection: the whole response, Date and boundary
 * masked, into out (malloc'd). */
static size_t fetch_raw(const char *req, int head, char **out)
{
	int fd = tc_connect(S.port);
	tc_send_str(fd, req);
	size_t n = tc_read_responses(fd, rbuf, sizeof(rbuf), 1, head ? 1u : 0u);
	close(fd);
	n = mask_all(rbuf, n);
	*out = malloc(n + 1);
	cr_assert(*out);
	memcpy(*out, rbuf, n);
	(*out)[n] = '\0';
	return n;
}

static void cond_and_ranges(const char *kind, size_t size, unsigned seed)
{
	/* %s: the ETag; the ranges fit both sizes (>= 1000) */
	static const struct {
		const char *hdrs;
		int head, status;
	} rows[] = {
		{"", 0, 200},
		{"", 1, 200},
		{"If-None-Match: \"x\", %s\r\n", 0, 304},
		{"If-None-Match: W/%s\r\n", 1, 304},
		{"If-None-Match: \"other\"\r\n", 0, 200},
		{"If-Modified-Since: " LM_STR "\r\n", 0, 304},
		{"If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 0, 200},
		{"If-Match: \"other\"\r\n", 0, 412},
		{"If-Match: %s\r\n", 0, 200},
		{"If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 0, 412},
		{"Range: bytes=0-9\r\n", 0, 206},
		{"Range: bytes=-5\r\n", 0, 206},
		{"Range: bytes=100-\r\n", 0, 206},
		{"Range: bytes=0-9,500-509,990-\r\n", 0, 206},
		{"Range: bytes=0-9,500-509\r\nIf-Range: %s\r\n", 0, 206},
		{"Range: bytes=0-9\r\nIf-Range: %s\r\n", 0, 206},
		{"Range: bytes=0-9\r\nIf-Range: \"other\"\r\n", 0, 200},
		{"Range: bytes=0-9\r\nIf-Range: " LM_STR "\r\n", 0, 206},
		{"Range: bytes=99999999-\r\n", 0, 416},
		{"Range: bytes=0-4\r\nIf-None-Match: %s\r\n", 0, 304},
		{"Range: bytes=0-4\r\n", 1, 200},
	};
	unsigned char *body = pattern(size, seed);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* a file of its own per row: the row's first request is the miss */
		char rel[64], path[80], hdrs[512], req[1024];
		snprintf(rel, sizeof(rel), "%s-%zu.bin", kind, i);
		snprintf(path, sizeof(path), "/%s", rel);
		put_pattern(rel, size, seed);
		snprintf(hdrs, sizeof(hdrs), rows[i].hdrs, etag_of(rel));
		snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n",
			 rows[i].head ? "HEAD" : "GET", path, hdrs);
		cstats c0 = cache_stats();
		char *miss, *hit;
		size_t mn = fetch_raw(req, rows[i].head, &miss);
		cr_assert_eq(status_of(miss), rows[i].status, "%s row %zu on the miss: %.300s",
			     kind, i, miss);
		cstats c1 = cache_stats();
		cr_assert_eq(c1.misses, c0.misses + 1, "%s row %zu: a miss", kind, i);
		size_t hn = fetch_raw(req, rows[i].head, &hit);
		cstats c2 = cache_stats();
		cr_assert_eq(c2.hits, c1.hits + 1, "%s row %zu: a hit", kind, i);
		cr_assert_eq(hn, mn,
			     "%s row %zu: %zu bytes on the hit, %zu on the miss:\n%.400s\n%.400s",
			     kind, i, hn, mn, hit, miss);
		cr_assert(memcmp(hit, miss, mn) == 0,
			  "%s row %zu: the hit differs from the miss:\n%.400s\n%.400s", kind, i,
			  hit, miss);
		free(miss);
		free(hit);
		/* the entry the row made holds the whole file right */
		expect_body(path, body, size);
	}
	free(body);
}

Test(static_cache, conditionals_and_ranges_hit_equals_miss)
{
	start();
	cond_and_ranges("inline", SMALL_SIZE, 11);
	cond_and_ranges("large", LARGE_SIZE, 12);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 7. bounds ---------------------------------------------------------- */

static int count_fds(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	cr_assert(d, "%s: %s", p, strerror(errno));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#define SWEEP_FILES 2000
#define SWEEP_BIG 20
#define SWEEP_CONNS 4

static size_t sweep_size(int i)
{
	return i < SWEEP_FILES ? 1024u + (size_t)(i * 37) % 2048u : 102400u + (size_t)i;
}

Test(static_cache, bounded_by_flags)
{
	fixture();
	cr_assert_eq(mkdir(fpath("w"), 0755), 0);
	for (int i = 0; i < SWEEP_FILES + SWEEP_BIG; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "w/f%d.bin", i);
		put_pattern(rel, sweep_size(i), (unsigned)(i % 250));
	}
	const char *flags[] = {"--file-cache-entries",
			       "50",
			       "--file-cache-bytes",
			       "65536",
			       "--file-cache-inline",
			       "4096",
			       NULL};
	start_with(flags);
	int fds0 = count_fds(S.pid);
	int conns[SWEEP_CONNS];
	for (int k = 0; k < SWEEP_CONNS; k++)
		conns[k] = tc_connect(S.port);
	int limit = fds0 + 50 + SWEEP_CONNS + 1 /* /stats */ + 4 /* slack */;
	unsigned char *want = malloc(200000);
	cr_assert(want);
	unsigned long long max_entries = 0, max_bytes = 0;
	int max_fds = 0, reqs = 0;
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: every small file once, every 25th followed by a big one;
		 * pass 1: the last 40 small files twice in a row (the second a
		 * hit), each followed by a big one */
		int from = pass ? SWEEP_FILES - 40 : 0;
		for (int i = from; i < SWEEP_FILES; i++) {
			int ids[3] = {i, pass ? i : SWEEP_FILES + (i / 25) % SWEEP_BIG,
				      SWEEP_FILES + i % SWEEP_BIG};
			int nid = pass ? 3 : i % 25 == 0 ? 2 : 1;
			for (int j = 0; j < nid; j++) {
				int id = ids[j];
				size_t len = sweep_size(id);
				for (size_t b = 0; b < len; b++)
					want[b] = pat(b, (unsigned)(id % 250));
				char path[64], req[128];
				snprintf(path, sizeof(path), "/w/f%d.bin", id);
				snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
					 path);
				size_t n = ask(conns[reqs++ % SWEEP_CONNS], req, 0);
				cr_assert_eq(status_of(rbuf), 200, "%s: %.200s", path, rbuf);
				size_t h = head_len(rbuf, n);
				cr_assert_eq(n - h, len, "%s: %zu body bytes, want %zu", path,
					     n - h, len);
				if (memcmp(rbuf + h, want, len) != 0)
					cr_assert_fail("%s: the body differs", path);
				cr_assert_str_eq(hval(rbuf, "ETag"), etag_of(path + 1), "%s", path);
			}
			if (i % 50 == 0 || pass) {
				cstats c = cache_stats();
				int nf = count_fds(S.pid);
				max_entries = c.entries > max_entries ? c.entries : max_entries;
				max_bytes = c.bytes > max_bytes ? c.bytes : max_bytes;
				max_fds = nf > max_fds ? nf : max_fds;
				cr_assert_leq(c.entries, 50u, "after %d requests", reqs);
				cr_assert_leq(c.bytes, 65536u, "after %d requests", reqs);
				cr_assert_lt(nf, limit,
					     "%d descriptors after %d requests (%d at start)", nf,
					     reqs, fds0);
			}
		}
	}
	cstats c = cache_stats();
	cr_assert_leq(c.entries, 50u);
	cr_assert_leq(c.bytes, 65536u);
	cr_assert_gt(c.evictions, 0u);
	cr_assert_gt(c.hits, 0u, "a file asked for twice in a row");
	cr_assert_gt(max_entries, 0u);
	cr_assert_gt(max_bytes, 0u,
		     "%d requests: at most %llu entries, %d descriptors (%d at start)", reqs,
		     max_entries, max_fds, fds0);
	for (int k = 0; k < SWEEP_CONNS; k++)
		close(conns[k]);
	free(want);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* An entry evicted (the bounds) or dropped (its file replaced) while a slow
 * client is still being sent its body: the descriptor stays open until that
 * response ends, the old body arrives whole, nothing leaks (the clean exit
 * under the sanitizers). */
static size_t read_all_of(int fd, size_t total, const unsigned char *want, size_t *head)
{
	size_t got = 0, h = 0;
	while (h == 0 || got < h + total) {
		ssize_t r = recv(fd, rbuf + got, sizeof(rbuf) - got, 0);
		cr_assert_gt(r, 0, "recv after %zu bytes: %s", got,
			     r < 0 ? strerror(errno) : "EOF");
		got += (size_t)r;
		if (h == 0) {
			char *e = memmem(rbuf, got, "\r\n\r\n", 4);
			if (e)
				h = (size_t)(e + 4 - rbuf);
		}
	}
	cr_assert_eq(got, h + total);
	cr_assert(memcmp(rbuf + h, want, total) == 0, "the old body, whole");
	*head = h;
	return got;
}

Test(static_cache, evicted_or_dropped_while_sending)
{
	fixture();
	const size_t size = 3u << 20; /* rbuf holds one */
	put_pattern("evict.bin", size, 20);
	put_pattern("drop.bin", size, 22);
	for (int i = 0; i < 20; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "s%d.txt", i);
		put_file(rel, HELLO, strlen(HELLO));
	}
	const char *flags[] = {"--file-cache-entries", "8", NULL};
	start_with(flags);
	int fds0 = count_fds(S.pid);
	unsigned char *ev = pattern(size, 20), *dr = pattern(size, 22), *nw = pattern(size / 2, 23);
	cr_assert_eq(get_status("/drop.bin"), 200); /* cached before the slow client */
	int a = tc_connect_rcvbuf(S.port, 4096), b = tc_connect_rcvbuf(S.port, 4096);
	tc_send_str(a, tc_get("/evict.bin"));
	tc_send_str(b, tc_get("/drop.bin"));
	cr_assert_gt(recv(a, rbuf, 1024, MSG_PEEK), 0);
	cr_assert_gt(recv(b, rbuf, 1024, MSG_PEEK), 0);
	/* a's entry evicted by 20 others */
	cstats c0 = cache_stats();
	for (int i = 0; i < 20; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/s%d.txt", i);
		cr_assert_eq(get_status(path), 200);
	}
	cstats c = cache_stats();
	cr_assert_geq(c.evictions - c0.evictions, 12u);
	cr_assert_leq(c.entries, 8u);
	/* b's file replaced: the next request 1.2 s later drops its entry */
	replace_file("drop.bin", nw, size / 2, LM_SEC + 60);
	tc_sleep_ms(AFTER_MS);
	expect_body("/drop.bin", nw, size / 2);
	expect_body("/evict.bin", ev, size); /* opened again */
	size_t h;
	read_all_of(a, size, ev, &h);
	read_all_of(b, size, dr, &h);
	close(a);
	close(b);
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 3000), 1u);
	int nf = count_fds(S.pid);
	cr_assert_leq(nf, fds0 + 8 + 2, "%d descriptors, %d at start", nf, fds0);
	free(ev);
	free(dr);
	free(nw);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Two workers, two caches: each sees a replacement a second later. */
Test(static_cache, two_workers_each_revalidate)
{
	fixture();
	const char *flags[] = {"--threads", "2", NULL};
	start_with(flags);
	unsigned char *oldb = pattern(SMALL_SIZE, 24), *newb = pattern(SMALL_SIZE + 10, 25);
	put_file("two.bin", oldb, SMALL_SIZE);
	for (int i = 0; i < 40; i++) /* new connections: both workers */
		expect_body("/two.bin", oldb, SMALL_SIZE);
	cstats c0 = cache_stats();
	cr_assert_geq(c0.misses, 1u);
	cr_assert_leq(c0.misses, 2u, "one miss per worker");
	replace_file("two.bin", newb, SMALL_SIZE + 10, LM_SEC + 60);
	tc_sleep_ms(AFTER_MS);
	for (int i = 0; i < 40; i++)
		expect_body("/two.bin", newb, SMALL_SIZE + 10);
	free(oldb);
	free(newb);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 8. disabled -------------------------------------------------------- */

Test(static_cache, disabled_with_zero_entries)
{
	fixture();
	const char *flags[] = {"--file-cache-entries", "0", NULL};
	start_with(flags);
	unsigned char *small = pattern(SMALL_SIZE, 1), *large = pattern(LARGE_SIZE, 2);
	for (int i = 0; i < 3; i++) {
		expect_body("/small.bin", small, SMALL_SIZE);
		expect_body("/large.bin", large, LARGE_SIZE);
		cr_assert_eq(get_status("/sub/"), 200);
	}
	cstats c = cache_stats();
	cr_assert_eq(c.hits, 0u);
	cr_assert_eq(c.entries, 0u);
	cr_assert_eq(c.bytes, 0u);
	cr_assert_eq(c.evictions, 0u);
	/* nothing held: a replacement is served at once */
	replace_file("hello.txt", "Hello, again!\n", 14, LM_SEC + 60);
	cr_assert_eq(get_status("/hello.txt"), 200);
	cr_assert_str_eq(body_of(rbuf), "Hello, again!\n");
	free(small);
	free(large);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- 9. pipelined hits -------------------------------------------------- */

/* 16 requests for cached files in one write (with flags): the responses
 * in order, byte for byte those of the same requests one at a time, all
 * hits.  Returns the cache's kept bytes at the end. */
static unsigned long long pipelined_hits(const char *const *flags)
{
	fixture();
	start_with(flags);
	put_file("p1.txt", "one\n", 4);
	put_file("p2.txt", "second file\n", 12);
	put_pattern("p3.bin", 3000, 13);
	unsigned char *p3 = pattern(3000, 13), *large = pattern(LARGE_SIZE, 2);
	/* the misses, and the bodies right */
	expect_body("/hello.txt", HELLO, strlen(HELLO));
	expect_body("/p1.txt", "one\n", 4);
	expect_body("/p2.txt", "second file\n", 12);
	expect_body("/p3.bin", p3, 3000);
	expect_body("/sub/", "<h1>sub</h1>\n", 13);
	expect_body("/large.bin", large, LARGE_SIZE);
	free(p3);
	free(large);
	static char inm[256];
	snprintf(inm, sizeof(inm), "GET /p2.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n",
		 etag_of("p2.txt"));
	const char *reqs[16] = {
		tc_get("/hello.txt"),
		"GET /p1.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p3.bin HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p2.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"HEAD /p3.bin HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /sub/ HTTP/1.1\r\nHost: t\r\n\r\n",
		inm,
		"GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n", /* zero-copy, then more */
		"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p1.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p1.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p3.bin HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /./p2.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /sub/ HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /p3.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1,2000-2001\r\n\r\n",
	};
	unsigned head_mask = 1u << 4;
	/* each alone first (hits already), then all 16 in one write */
	static char want[4u << 20], all[8192];
	size_t wlen = 0, alen = 0;
	int fd = tc_connect(S.port);
	for (int i = 0; i < 16; i++) {
		tc_send_str(fd, reqs[i]);
		size_t n = tc_read_responses(fd, rbuf, sizeof(rbuf), 1, (head_mask >> i) & 1);
		n = mask_all(rbuf, n);
		cr_assert_lt(wlen + n, sizeof(want));
		memcpy(want + wlen, rbuf, n);
		wlen += n;
		size_t l = strlen(reqs[i]);
		memcpy(all + alen, reqs[i], l);
		alen += l;
	}
	close(fd);
	cstats c0 = cache_stats();
	fd = tc_connect(S.port);
	tc_send(fd, all, alen);
	size_t n = tc_read_responses(fd, rbuf, sizeof(rbuf), 16, head_mask);
	close(fd);
	n = mask_all(rbuf, n);
	cr_assert_eq(n, wlen, "%zu bytes, want %zu", n, wlen);
	for (size_t k = 0; k < n; k++)
		if (rbuf[k] != want[k])
			cr_assert_fail("byte %zu differs: [%.60s] vs [%.60s]", k,
				       rbuf + (k > 20 ? k - 20 : 0), want + (k > 20 ? k - 20 : 0));
	cstats c = cache_stats();
	cr_assert_eq(c.misses, c0.misses, "all 16 are hits");
	cr_assert_eq(c.hits, c0.hits + 16);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
	return c.bytes;
}

Test(static_cache, pipelined_hits_in_order)
{
	cr_assert_gt(pipelined_hits(NULL), 0u, "small responses kept");
}

/* --file-cache-inline 0: every body, however small, from the descriptor
 * (zero-copy, or read-and-send under RB_FAULTS=no-zerocopy): 16 runs in
 * one batch, in order. */
Test(static_cache, pipelined_hits_inline_zero)
{
	const char *flags[] = {"--file-cache-inline", "0", NULL};
	cr_assert_eq(pipelined_hits(flags), 0u, "nothing kept in memory");
}

/* --file-cache-bytes 0: entries keep descriptors and metadata only. */
Test(static_cache, pipelined_hits_bytes_zero)
{
	const char *flags[] = {"--file-cache-bytes", "0", NULL};
	cr_assert_eq(pipelined_hits(flags), 0u, "nothing kept in memory");
}

/* ---- 10. traversal and special files with a warm cache ------------------ */

static void warm_good_files(void)
{
	const char *good[] = {"/hello.txt",      "/sub/",         "/",
			      "/sub/index.html", "/sub/page.css", "/link_in"};
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
			get_status(good[i]);
}

/* test_static.c's table, after the good files are cached: a cached entry
 * never answers a path the uncached rules refuse. */
static void traversal_checks(int walk)
{
	static const struct {
		const char *target;
		int status;
	} rows[] = {
		{"/../secret.txt", 400},
		{"/sub/../../secret.txt", 400},
		{"/%2e%2e/secret.txt", 400},
		{"/.%2e/secret.txt", 400},
		{"/..%2fsecret.txt", 400},
		{"/sub%2f..%2f..%2fsecret.txt", 400},
		{"/..%5csecret.txt", 400},
		{"/hello.txt%00", 400},
		{"/hello.txt%00.html", 400},
		{"/link_out", 404},
		{"/link_abs", 404},
		{"/dirlink_out/secret.txt", 404},
		{"/dirlink_out/root/hello.txt", 404},
		{"http://t/../secret.txt", 400},
		{"/sub/../hello.txt", 200},
		{"/sub/./../hello.txt", 200},
		/* a trailing slash names a directory: a cached file is not one */
		{"/hello.txt/", 404},
		{"/hello.txt/.", 404},
		{"/sub/page.css/", 404},
		{"/sub/index.html/", 404},
		{"/fifo/", 404},
		{"/fifo", 403},
		{"/hello.txt/..", 200},
		/* the directory without its slash is still a redirect */
		{"/sub", 301},
	};
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			cr_expect_eq(get_status(rows[i].target), rows[i].status,
				     "%s: %d (walk %d, round %d)", rows[i].target, status_of(rbuf),
				     walk, r);
	cr_expect_eq(get_status("/link_in"), walk ? 404 : 200);
	cr_expect_eq(get_status("/hello.txt"), 200);
	cr_expect_str_eq(body_of(rbuf), HELLO);
}

Test(static_cache, traversal_with_warm_cache)
{
	start();
	warm_good_files();
	cr_assert_gt(cache_stats().entries, 3u);
	traversal_checks(0);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* Without openat2 (the walk follows no symlink): a cached file swapped for
 * a symlink inside the root is refused after the interval, as uncached. */
Test(static_cache, traversal_with_warm_cache_without_openat2)
{
	setenv("RBSERVER_NO_OPENAT2", "1", 1);
	start();
	put_file("was_file.txt", "plain\n", 6);
	warm_good_files();
	cr_assert_eq(get_status("/was_file.txt"), 200);
	cr_assert_eq(get_status("/was_file.txt"), 200);
	traversal_checks(1);
	swap_in("was_file.txt", "hello.txt");
	tc_sleep_ms(AFTER_MS);
	cr_assert_eq(get_status("/was_file.txt"), 404, "%.200s", rbuf);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- out of descriptors -------------------------------------------------- */

/* The server's highest open descriptor and how many it has open. */
static int max_fd(pid_t pid, int *count)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	cr_assert(d, "%s: %s", p, strerror(errno));
	int max = -1, n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			n++;
			if (atoi(e->d_name) > max)
				max = atoi(e->d_name);
		}
	closedir(d);
	*count = n;
	return max;
}

/* Each entry holds a descriptor: when an open fails for want of one
 * (EMFILE), cached descriptors are given back and the open retried, so a
 * full cache never turns into a 503.  The limit is lowered (prlimit) to one
 * above the highest descriptor, and every lower hole is taken by a
 * connection first, so the new file's open has none left. */
Test(static_cache, out_of_descriptors_sheds_entries)
{
	start();
	for (int i = 0; i < 20; i++) {
		char rel[32], path[40];
		snprintf(rel, sizeof(rel), "e%d.txt", i);
		snprintf(path, sizeof(path), "/%s", rel);
		put_file(rel, HELLO, strlen(HELLO));
		cr_assert_eq(get_status(path), 200);
	}
	cr_assert_eq(cache_stats().entries, 20u);
	cr_assert_eq(tc_wait_stat(S.port, "connections_open", 0, 1, 3000), 1u);
	tc_sleep_ms(50);
	int count;
	int max = max_fd(S.pid, &count);
	int holes = max + 1 - count;
	struct rlimit old;
	cr_assert_eq(prlimit(S.pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit: %s", strerror(errno));
	struct rlimit low = {(rlim_t)max + 2, old.rlim_max};
	cr_assert_eq(prlimit(S.pid, RLIMIT_NOFILE, &low, NULL), 0, "prlimit: %s", strerror(errno));
	/* the holes and the one above: connections that need no file */
	int conns[64], n = 0;
	cr_assert_lt(holes + 1, 64, "%d holes", holes);
	for (int i = 0; i < holes + 1; i++) {
		conns[n] = tc_connect(S.port);
		tc_send_str(conns[n], tc_get("/plaintext"));
		tc_expect(conns[n], 1, 0, TC_PLAINTEXT);
		n++;
	}
	put_file("new.txt", "new file\n", 9);
	ask(conns[n - 1], tc_get("/new.txt"), 0);
	cr_assert_eq(status_of(rbuf), 200, "%s", rbuf);
	cr_assert_str_eq(body_of(rbuf), "new file\n");
	ask(conns[0], tc_get("/e19.txt"), 0);
	cr_assert_eq(status_of(rbuf), 200, "%s", rbuf);
	cr_assert_eq(prlimit(S.pid, RLIMIT_NOFILE, &old, NULL), 0);
	for (int i = 0; i < n; i++)
		close(conns[i]);
	cstats c = cache_stats();
	cr_assert_geq(c.evictions, 10u, "half the entries shed: %llu", c.evictions);
	cr_assert_leq(c.entries, 12u);
	cr_assert_eq(srvp_stop(&S), 0, "%s", srvp_log(&S));
}

/* ---- flags -------------------------------------------------------------- */

/* Run rbserver with args; capture stdout+stderr; return the exit status. */
static int run(const char *const *args, char *out, size_t cap)
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

Test(static_cache, flags_documented_and_checked)
{
	char out[8192];
	const char *help[] = {"--help", NULL};
	cr_assert_eq(run(help, out, sizeof(out)), 0);
	cr_assert(strstr(out, "--file-cache-entries"), "%s", out);
	cr_assert(strstr(out, "--file-cache-bytes"), "%s", out);
	cr_assert(strstr(out, "--file-cache-inline"), "%s", out);
	static const struct {
		const char *flag, *val;
	} bad[] = {
		{"--file-cache-entries", "-1"},
		{"--file-cache-entries", "many"},
		{"--file-cache-entries", "1e3"},
		{"--file-cache-entries", "99999999999999999999"},
		{"--file-cache-bytes", "-1"},
		{"--file-cache-bytes", "lots"},
		{"--file-cache-inline", "-1"},
		{"--file-cache-inline", "x"},
		{"--file-cache-inline", "99999999999999999999"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"--port", "80", bad[i].flag, bad[i].val, NULL};
		cr_expect_eq(run(args, out, sizeof(out)), 2, "%s %s: %s", bad[i].flag, bad[i].val,
			     out);
		char pre[128];
		snprintf(pre, sizeof(pre), "rbserver: %s '%s': ", bad[i].flag, bad[i].val);
		cr_expect(strncmp(out, pre, strlen(pre)) == 0, "%s %s: %s", bad[i].flag, bad[i].val,
			  out);
		cr_expect(strstr(out, "expected an integer from ") || strstr(out, "allowed"),
			  "names the range: %s", out);
	}
	const char *noval[] = {"--port", "80", "--file-cache-bytes", NULL};
	cr_expect_eq(run(noval, out, sizeof(out)), 2);
	cr_expect_str_eq(out, "rbserver: --file-cache-bytes needs a value (see rbserver --help)\n");
}
