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
#include "static_kit.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

TestSuite(static_cache, .fini = sk_fini, .timeout = 150);

#define SMALL_SIZE 1000u      /* under the default --file-cache-inline (32 KiB) */
#define LARGE_SIZE (1u << 20) /* over it: descriptor and metadata only, zero-copy */
#define AFTER_MS 1200         /* a change is seen by any request 1 s or more after it */

/* Replace rel atomically: the new content under a temporary name, renamed
 * over it (a new inode). */
static void replace_file(const char *rel, const void *data, size_t len, time_t mtime)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), ".new-%d", rand());
	sk_put_file_at(tmp, data, len, mtime);
	cr_assert_eq(rename(sk_path(tmp), sk_path(rel)), 0, "rename: %s", strerror(errno));
}

/* The shared fixture with a file under the inline bound and one over it. */
static void fixture(void)
{
	sk_fixture("cache");
	sk_put_pattern("small.bin", SMALL_SIZE, 1);
	sk_put_pattern("large.bin", LARGE_SIZE, 2);
}

/* The fixture, served with the NULL-terminated extra flags (NULL: none). */
static void start(const char *const *extra)
{
	fixture();
	sk_serve(extra);
}

/* ---- reading responses -------------------------------------------------- */

/* GET path: a 200 whose body is exactly want[0, len). */
static void expect_body(const char *path, const void *want, size_t len)
{
	size_t n = sk_fetch(path, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s: %.300s", path, sk_rbuf);
	size_t h = tc_head_len(sk_rbuf, n);
	cr_assert_eq(strtoull(tc_hval(sk_rbuf, "Content-Length"), NULL, 10),
		     (unsigned long long)len, "%s: %.300s", path, sk_rbuf);
	cr_assert_eq(n - h, len, "%s: %zu body bytes, want %zu", path, n - h, len);
	const unsigned char *b = (const unsigned char *)sk_rbuf + h, *w = want;
	for (size_t i = 0; i < len; i++)
		if (b[i] != w[i])
			cr_assert_fail("%s: body byte %zu differs", path, i);
}

/* The Last-Modified the server must give a file (its mtime is in the past). */
static const char *lm_of(const char *rel)
{
	static char d[2][64];
	static int k;
	k ^= 1;
	struct stat sb;
	cr_assert_eq(stat(sk_path(rel), &sb), 0);
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
	cr_assert(tc_stats_fetch(sk_srv.port, st, sizeof(st)), "no /stats");
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
	snprintf(v->etag, sizeof(v->etag), "%s", sk_etag_of(rel));
	snprintf(v->lm, sizeof(v->lm), "%s", lm_of(rel));
}

/* The response in sk_rbuf[0, n) is a 200 of exactly one of vs: its ETag names
 * the version, and Content-Length, Last-Modified and every body byte
 * received agree with it.  A body shorter than Content-Length (the
 * connection cut) is allowed only when cut_ok.  Returns the version's index,
 * or -1 - index when cut short. */
static int self_consistent(const char *what, size_t n, const version *vs, int nv, int cut_ok)
{
	if (n == 0 && cut_ok)
		return -1; /* cut before the head: nothing of any version */
	cr_assert_gt(n, 0u, "%s: the connection ended without a response: %s", what,
		     srvp_log(&sk_srv));
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s: %.300s", what, sk_rbuf);
	const char *et = tc_hval(sk_rbuf, "ETag");
	cr_assert(et, "%s: no ETag", what);
	int k = -1;
	for (int i = 0; i < nv; i++)
		if (strcmp(et, vs[i].etag) == 0)
			k = i;
	cr_assert_geq(k, 0, "%s: ETag %s is no version's", what, et);
	cr_assert_eq(strtoull(tc_hval(sk_rbuf, "Content-Length"), NULL, 10),
		     (unsigned long long)vs[k].len,
		     "%s: version %d's ETag with another length: %.300s", what, k, sk_rbuf);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Last-Modified"), vs[k].lm, "%s: version %d", what, k);
	size_t h = tc_head_len(sk_rbuf, n);
	size_t got = n - h;
	cr_assert_leq(got, vs[k].len, "%s: more body than Content-Length", what);
	const unsigned char *b = (const unsigned char *)sk_rbuf + h;
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
		size_t n = sk_fetch(path, 0);
		if (self_consistent(path, n, vs, nv, cut_ok) == nv - 1)
			newest++;
		tc_sleep_ms(40);
	}
	return newest;
}

/* ---- 1. hits and misses ------------------------------------------------- */

Test(static_cache, hits_and_misses_counted)
{
	start(NULL);
	cstats c0 = cache_stats();
	cr_assert_eq(c0.hits, 0u);
	cr_assert_eq(c0.misses, 0u);
	cr_assert_eq(c0.entries, 0u);
	cr_assert_eq(c0.bytes, 0u);
	unsigned char *small = sk_pattern(SMALL_SIZE, 1), *large = sk_pattern(LARGE_SIZE, 2);

	/* a small file: a miss, then hits (GET and HEAD, and the same
	 * normalised path spelled otherwise) */
	expect_body("/small.bin", small, SMALL_SIZE);
	cstats c = cache_stats();
	cr_assert_eq(c.misses, 1u);
	cr_assert_eq(c.hits, 0u);
	cr_assert_eq(c.entries, 1u);
	cr_assert_geq(c.bytes, SMALL_SIZE, "the small body is held: %llu bytes", c.bytes);
	static char miss_resp[4096];
	size_t mn = sk_fetch("/small.bin", 0);
	cr_assert_lt(mn, sizeof(miss_resp));
	memcpy(miss_resp, sk_rbuf, mn);
	expect_body("/small.bin", small, SMALL_SIZE);
	expect_body("/./small.bin", small, SMALL_SIZE);
	expect_body("/sub/../small.bin", small, SMALL_SIZE);
	size_t hn = sk_fetch("/small.bin", 1);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_eq(hn, tc_head_len(miss_resp, mn), "HEAD: the GET's head, no body");
	cr_assert(memcmp(sk_rbuf, miss_resp, hn) == 0, "HEAD: [%s] vs [%.*s]", sk_rbuf, (int)hn,
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
	sk_fetch("/large.bin", 1);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Length"), "1048576");
	cr_assert_eq(strlen(tc_body_of(sk_rbuf)), 0u, "HEAD: no body");
	int fd = tc_connect_rcvbuf(sk_srv.port, 8192);
	size_t n = sk_ask(fd, tc_get("/large.bin"), 0);
	close(fd);
	size_t h = tc_head_len(sk_rbuf, n);
	cr_assert_eq(n - h, LARGE_SIZE);
	cr_assert(memcmp(sk_rbuf + h, large, LARGE_SIZE) == 0, "through an 8 KiB window");
	c = cache_stats();
	cr_assert_eq(c.misses, 2u);
	cr_assert_eq(c.hits, 8u);

	/* a directory's index is its own entry */
	cr_assert_eq(sk_get_status("/sub/"), 200);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "<h1>sub</h1>\n");
	cstats d = cache_stats();
	cr_assert_gt(d.misses, c.misses);
	cr_assert_eq(sk_get_status("/sub/"), 200);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "<h1>sub</h1>\n");
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
		fd = tc_connect(sk_srv.port);
		tc_send_str(fd, closing[i]);
		int reset;
		n = tc_read_eof(fd, sk_rbuf, sizeof(sk_rbuf), &reset);
		close(fd);
		cr_assert_not(reset, "%s", closing[i]);
		cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s", closing[i]);
		cr_assert_str_eq(tc_hval(sk_rbuf, "Connection"), "close", "%s", closing[i]);
		h = tc_head_len(sk_rbuf, n);
		size_t len = i < 2 ? SMALL_SIZE : LARGE_SIZE;
		cr_assert_eq(n - h, len, "%s", closing[i]);
		cr_assert(memcmp(sk_rbuf + h, i < 2 ? small : large, len) == 0, "%s", closing[i]);
	}
	d = cache_stats();
	cr_assert_eq(d.hits, c.hits + 3);
	cr_assert_eq(d.misses, c.misses);
	c = d;

	/* no negative entries: a 404 holds nothing, and is decided each time */
	cr_assert_eq(sk_get_status("/missing.txt"), 404);
	cr_assert_eq(sk_get_status("/missing.txt"), 404);
	d = cache_stats();
	cr_assert_eq(d.hits, c.hits, "a 404 is never a hit");
	cr_assert_eq(d.entries, c.entries, "nothing held for a 404");
	sk_put_file("missing.txt", "here now\n", 9);
	cr_assert_eq(sk_get_status("/missing.txt"), 200, "created after a 404: served at once");
	cr_assert_str_eq(tc_body_of(sk_rbuf), "here now\n");
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* Checked again at most once a second: many hits in a short time cost at
 * most one revalidation per wall-clock second, each found unchanged (a
 * hit, not a change). */
Test(static_cache, revalidated_at_most_once_a_second)
{
	start(NULL);
	unsigned char *small = sk_pattern(SMALL_SIZE, 1);
	time_t t0 = time(NULL); /* at most one check in each later second */
	expect_body("/small.bin", small, SMALL_SIZE);
	cstats c0 = cache_stats();
	int fd = tc_connect(sk_srv.port);
	int n = 0;
	double end = tc_now_s() + 1.5;
	while (tc_now_s() < end) {
		size_t len = sk_ask(fd, tc_get("/small.bin"), 0);
		cr_assert_eq(len - tc_head_len(sk_rbuf, len), SMALL_SIZE);
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
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 2. replaced by rename ---------------------------------------------- */

/* rel written with body[0, len) and served twice (the miss, then a hit):
 * its version into *v, the counters after into *c. */
static void served_twice(const char *rel, const unsigned char *body, size_t len, version *v,
			 cstats *c)
{
	char path[160];
	snprintf(path, sizeof(path), "/%s", rel);
	sk_put_file(rel, body, len);
	version_of(v, rel, body, len);
	expect_body(path, body, len); /* the miss */
	expect_body(path, body, len); /* a hit */
	*c = cache_stats();
}

/* rel changed from v[0] to v[1] at t_change (c0: the counters before):
 * within the interval every response is one of the two, whole (or cut
 * short when cut_ok); AFTER_MS after the change only v[1], and the cache
 * counted a revalidation that found the change. */
static void change_seen(const char *rel, const version v[2], double t_change, int cut_ok, cstats c0)
{
	char path[160];
	snprintf(path, sizeof(path), "/%s", rel);
	cr_assert_str_neq(v[0].etag, v[1].etag);
	poll_consistent(path, v, 2, cut_ok, 700);
	double left = AFTER_MS / 1000.0 - (tc_now_s() - t_change);
	if (left > 0)
		tc_sleep_ms((int)(left * 1000) + 1);
	for (int i = 0; i < 3; i++) {
		size_t n = sk_fetch(path, 0);
		cr_assert_eq(self_consistent(path, n, v, 2, 0), 1,
			     "%s: the old version %.0f ms after the change", path,
			     (tc_now_s() - t_change) * 1000);
	}
	cstats c = cache_stats();
	cr_assert_gt(c.revalidations, c0.revalidations);
	cr_assert_gt(c.changed, c0.changed);
}

static void replaced_by_rename(const char *rel, size_t old_len, size_t new_len)
{
	unsigned char *oldb = sk_pattern(old_len, 3), *newb = sk_pattern(new_len, 4);
	version v[2];
	cstats c0;
	served_twice(rel, oldb, old_len, &v[0], &c0);
	replace_file(rel, newb, new_len, SK_LM_SEC + 3600);
	double t_change = tc_now_s();
	version_of(&v[1], rel, newb, new_len);
	cr_assert_str_neq(v[0].lm, v[1].lm);
	/* within the interval: either version, whole (the old inode is still
	 * open or in memory: no reason to cut) */
	change_seen(rel, v, t_change, 0, c0);
}

Test(static_cache, replaced_by_rename)
{
	start(NULL);
	replaced_by_rename("inline.bin", 2000, 1500);
	replaced_by_rename("zerocopy.bin", LARGE_SIZE, LARGE_SIZE + 4096 + 3);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 3. truncated, appended to or rewritten in place --------------------------------- */

/* rel truncated (new_len < old_len) or appended to (the pattern goes on) in
 * place: the same inode, a new size and mtime. */
static void resized_in_place(const char *rel, size_t old_len, size_t new_len)
{
	unsigned char *b = sk_pattern(old_len > new_len ? old_len : new_len, 5);
	version v[2];
	cstats c0;
	served_twice(rel, b, old_len, &v[0], &c0);
	int fd = open(sk_path(rel), O_WRONLY);
	cr_assert(fd >= 0);
	if (new_len < old_len) /* the mtime is now */
		cr_assert_eq(ftruncate(fd, (off_t)new_len), 0);
	else
		cr_assert_eq(pwrite(fd, b + old_len, new_len - old_len, (off_t)old_len),
			     (ssize_t)(new_len - old_len));
	close(fd);
	double t_change = tc_now_s();
	version_of(&v[1], rel, b, new_len); /* the prefix of the same bytes */
	/* the old head may be sent, and a truncated body then cut short */
	change_seen(rel, v, t_change, 1, c0);
}

Test(static_cache, truncated_or_appended_in_place)
{
	start(NULL);
	resized_in_place("inline.bin", 3000, 700);
	resized_in_place("zerocopy.bin", LARGE_SIZE, 300000);
	/* appended to: across the inline bound, and a large one */
	resized_in_place("grown.bin", 3000, 40000);
	resized_in_place("grownL.bin", LARGE_SIZE, LARGE_SIZE + 5000);
	resized_in_place("shrunk.bin", 40000, 3000);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* Rewritten in place with the same size and the old mtime put back: the
 * inode, size and mtime (so the ETag) are the same, only the ctime tells.
 * An inline body is in memory: after the interval the new bytes. */
Test(static_cache, rewritten_in_place_only_ctime_differs)
{
	start(NULL);
	unsigned char *oldb = sk_pattern(SMALL_SIZE, 6), *newb = sk_pattern(SMALL_SIZE, 7);
	sk_put_file("same.bin", oldb, SMALL_SIZE);
	expect_body("/same.bin", oldb, SMALL_SIZE);
	expect_body("/same.bin", oldb, SMALL_SIZE);
	char et[80];
	snprintf(et, sizeof(et), "%s", sk_etag_of("same.bin"));
	cstats c0 = cache_stats();
	tc_sleep_ms(20); /* a ctime visibly later */
	int fd = open(sk_path("same.bin"), O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, newb, SMALL_SIZE, 0), (ssize_t)SMALL_SIZE);
	struct timespec ts[2] = {{SK_LM_SEC, 0}, {SK_LM_SEC, 123456789}};
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
	cr_assert_str_eq(sk_etag_of("same.bin"), et, "the premise: the same ETag");
	tc_sleep_ms(AFTER_MS);
	expect_body("/same.bin", newb, SMALL_SIZE);
	cstats c = cache_stats();
	cr_assert_gt(c.changed, c0.changed, "the ctime differs: changed");
	/* the same with a new mtime, for a large file (the body is read from
	 * the file anyway: the head must follow) */
	unsigned char *lb = sk_pattern(LARGE_SIZE, 8);
	sk_put_file("samel.bin", lb, LARGE_SIZE);
	expect_body("/samel.bin", lb, LARGE_SIZE);
	snprintf(et, sizeof(et), "%s", sk_etag_of("samel.bin"));
	fd = open(sk_path("samel.bin"), O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, "XYZ", 3, 1000), 3);
	close(fd); /* mtime now */
	lb[1000] = 'X', lb[1001] = 'Y', lb[1002] = 'Z';
	tc_sleep_ms(AFTER_MS);
	expect_body("/samel.bin", lb, LARGE_SIZE);
	cr_assert_str_eq(tc_hval(sk_rbuf, "ETag"), sk_etag_of("samel.bin"));
	cr_assert_str_neq(tc_hval(sk_rbuf, "ETag"), et);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Last-Modified"), lm_of("samel.bin"));
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 4. removed, then recreated ----------------------------------------- */

Test(static_cache, removed_then_recreated)
{
	start(NULL);
	static const struct {
		const char *rel;
		size_t len;
	} files[] = {{"gone.bin", SMALL_SIZE}, {"goneL.bin", LARGE_SIZE}};
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/%s", files[i].rel);
		unsigned char *b = sk_pattern(files[i].len, 9),
			      *nb = sk_pattern(files[i].len / 2, 10);
		sk_put_file(files[i].rel, b, files[i].len);
		expect_body(path, b, files[i].len);
		expect_body(path, b, files[i].len);
		cstats c0 = cache_stats();
		cr_assert_eq(unlink(sk_path(files[i].rel)), 0);
		tc_sleep_ms(AFTER_MS);
		cr_assert_eq(sk_get_status(path), 404, "%s removed: %.200s", path, sk_rbuf);
		cr_assert_eq(sk_get_status(path), 404);
		cstats c = cache_stats();
		cr_assert_gt(c.changed, c0.changed, "found gone");
		cr_assert_lt(c.entries, c0.entries, "the gone entry dropped");
		/* no negative entry: recreated, served at once */
		sk_put_file_at(files[i].rel, nb, files[i].len / 2, SK_LM_SEC + 60);
		expect_body(path, nb, files[i].len / 2);
		cr_assert_str_eq(tc_hval(sk_rbuf, "ETag"), sk_etag_of(files[i].rel));
		expect_body(path, nb, files[i].len / 2);
	}
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 5. swapped for a symlink, a directory or a FIFO -------------------- */

/* Put a symlink to target (or a FIFO when target is NULL) in place of rel,
 * atomically. */
static void swap_in(const char *rel, const char *target)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".swap-%d", rand());
	if (target)
		cr_assert_eq(symlink(target, sk_path(tmp)), 0);
	else
		cr_assert_eq(mkfifo(sk_path(tmp), 0644), 0);
	cr_assert_eq(rename(sk_path(tmp), sk_path(rel)), 0, "rename: %s", strerror(errno));
}

Test(static_cache, swapped_for_symlinks_and_fifo)
{
	start(NULL);
	sk_put_outside("x.txt", "SECRET-X\n"); /* /d/x.txt, once d is a link to ".." */
	char p[160];
	snprintf(p, sizeof(p), "%s/secret.txt", sk_dir);
	sk_put_file("out_rel.txt", "out_rel\n", 8);
	sk_put_file("out_abs.txt", "out_abs\n", 8);
	sk_put_file("in.txt", "in\n", 3);
	sk_put_file("fifo.txt", "fifo\n", 5);
	sk_put_file("dir.txt", "dir\n", 4);
	cr_assert_eq(mkdir(sk_path("d"), 0755), 0);
	sk_put_file("d/x.txt", "inside\n", 7);
	unsigned char *large = sk_pattern(LARGE_SIZE, 2);
	const char *warm[] = {"/out_rel.txt", "/out_abs.txt", "/in.txt",   "/fifo.txt",
			      "/dir.txt",     "/d/x.txt",     "/large.bin"};
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < sizeof(warm) / sizeof(warm[0]); i++)
			cr_assert_eq(sk_get_status(warm[i]), 200, "%s", warm[i]);
	cstats c0 = cache_stats();
	cr_assert_geq(c0.entries, 7u);

	swap_in("out_rel.txt", "../secret.txt");
	swap_in("out_abs.txt", p);
	swap_in("in.txt", "hello.txt");
	swap_in("fifo.txt", NULL);
	swap_in("large.bin", "../secret.txt");
	cr_assert_eq(unlink(sk_path("dir.txt")), 0);
	cr_assert_eq(mkdir(sk_path("dir.txt"), 0755), 0);
	/* a directory on the path swapped for a symlink out of the root */
	cr_assert_eq(rename(sk_path("d"), sk_path("d_old")), 0);
	cr_assert_eq(symlink("..", sk_path("d")), 0);
	/* never the secret, not even within the interval (sk_fetch asserts it) */
	double end = tc_now_s() + 0.5;
	while (tc_now_s() < end) {
		sk_fetch("/out_rel.txt", 0);
		sk_fetch("/out_abs.txt", 0);
		sk_fetch("/large.bin", 0);
		sk_fetch("/d/x.txt", 0);
		tc_sleep_ms(40);
	}
	tc_sleep_ms(AFTER_MS);
	/* as the uncached path answers: a symlink out of the root (EXDEV) 404,
	 * inside followed, a FIFO 403 (without blocking), a directory 301 */
	cr_assert_eq(sk_get_status("/out_rel.txt"), 404, "%.200s", sk_rbuf);
	cr_assert_eq(sk_get_status("/out_abs.txt"), 404, "%.200s", sk_rbuf);
	cr_assert_eq(sk_get_status("/large.bin"), 404, "%.200s", sk_rbuf);
	cr_assert_eq(sk_get_status("/d/x.txt"), 404, "%.200s", sk_rbuf);
	cr_assert_eq(sk_get_status("/in.txt"), 200, "%.200s", sk_rbuf);
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	double t0 = tc_now_s();
	cr_assert_eq(sk_get_status("/fifo.txt"), 403, "%.200s", sk_rbuf);
	cr_assert_lt(tc_now_s() - t0, 5.0, "the FIFO stalled the worker");
	cr_assert_eq(sk_get_status("/dir.txt"), 301, "%.200s", sk_rbuf);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Location"), "/dir.txt/");
	/* the worker is not blocked, and the same answers again */
	int fd = tc_connect(sk_srv.port);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(sk_get_status("/out_rel.txt"), 404);
	cr_assert_eq(sk_get_status("/fifo.txt"), 403);
	cr_assert_eq(sk_get_status("/in.txt"), 200);
	cstats c = cache_stats();
	cr_assert_geq(c.changed - c0.changed, 6u, "%llu", c.changed - c0.changed);
	/* the large file back: served again, intact */
	cr_assert_eq(unlink(sk_path("large.bin")), 0);
	sk_put_pattern("large.bin", LARGE_SIZE, 2);
	expect_body("/large.bin", large, LARGE_SIZE);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 6. conditionals and ranges on a hit as on the miss ----------------- */

/* Send req on a fresh connection: the whole response, Date and boundary
 * masked, into out (malloc'd). */
static size_t fetch_raw(const char *req, int head, char **out)
{
	int fd = tc_connect(sk_srv.port);
	tc_send_str(fd, req);
	size_t n = tc_read_responses(fd, sk_rbuf, sizeof(sk_rbuf), 1, head ? 1u : 0u);
	close(fd);
	n = sk_mask_all(sk_rbuf, n);
	*out = malloc(n + 1);
	cr_assert(*out);
	memcpy(*out, sk_rbuf, n);
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
		{"If-Modified-Since: " SK_LM_STR "\r\n", 0, 304},
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
		{"Range: bytes=0-9\r\nIf-Range: " SK_LM_STR "\r\n", 0, 206},
		{"Range: bytes=99999999-\r\n", 0, 416},
		{"Range: bytes=0-4\r\nIf-None-Match: %s\r\n", 0, 304},
		{"Range: bytes=0-4\r\n", 1, 200},
	};
	unsigned char *body = sk_pattern(size, seed);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* a file of its own per row: the row's first request is the miss */
		char rel[64], path[80], hdrs[512], req[1024];
		snprintf(rel, sizeof(rel), "%s-%zu.bin", kind, i);
		snprintf(path, sizeof(path), "/%s", rel);
		sk_put_pattern(rel, size, seed);
		snprintf(hdrs, sizeof(hdrs), rows[i].hdrs, sk_etag_of(rel));
		snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n",
			 rows[i].head ? "HEAD" : "GET", path, hdrs);
		cstats c0 = cache_stats();
		char *miss, *hit;
		size_t mn = fetch_raw(req, rows[i].head, &miss);
		cr_assert_eq(tc_status_of(miss), rows[i].status, "%s row %zu on the miss: %.300s",
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
}

Test(static_cache, conditionals_and_ranges_hit_equals_miss)
{
	start(NULL);
	cond_and_ranges("inline", SMALL_SIZE, 11);
	cond_and_ranges("large", LARGE_SIZE, 12);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 7. bounds ---------------------------------------------------------- */

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
	cr_assert_eq(mkdir(sk_path("w"), 0755), 0);
	for (int i = 0; i < SWEEP_FILES + SWEEP_BIG; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "w/f%d.bin", i);
		sk_put_pattern(rel, sweep_size(i), (unsigned)(i % 250));
	}
	const char *flags[] = {"--file-cache-entries",
			       "50",
			       "--file-cache-bytes",
			       "65536",
			       "--file-cache-inline",
			       "4096",
			       NULL};
	sk_serve(flags);
	int fds0 = srvp_fd_count(&sk_srv, NULL);
	int conns[SWEEP_CONNS];
	for (int k = 0; k < SWEEP_CONNS; k++)
		conns[k] = tc_connect(sk_srv.port);
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
					want[b] = sk_pat(b, (unsigned)(id % 250));
				char path[64], req[128];
				snprintf(path, sizeof(path), "/w/f%d.bin", id);
				snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
					 path);
				size_t n = sk_ask(conns[reqs++ % SWEEP_CONNS], req, 0);
				cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s: %.200s", path,
					     sk_rbuf);
				size_t h = tc_head_len(sk_rbuf, n);
				cr_assert_eq(n - h, len, "%s: %zu body bytes, want %zu", path,
					     n - h, len);
				if (memcmp(sk_rbuf + h, want, len) != 0)
					cr_assert_fail("%s: the body differs", path);
				cr_assert_str_eq(tc_hval(sk_rbuf, "ETag"), sk_etag_of(path + 1),
						 "%s", path);
			}
			if (i % 50 == 0 || pass) {
				cstats c = cache_stats();
				int nf = srvp_fd_count(&sk_srv, NULL);
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
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* An entry evicted (the bounds) or dropped (its file replaced) while a slow
 * client is still being sent its body: the descriptor stays open until that
 * response ends, the old body arrives whole, nothing leaks (the clean exit
 * under the sanitizers). */
static size_t read_all_of(int fd, size_t total, const unsigned char *want, size_t *head)
{
	size_t got = 0, h = 0;
	while (h == 0 || got < h + total) {
		ssize_t r = recv(fd, sk_rbuf + got, sizeof(sk_rbuf) - got, 0);
		cr_assert_gt(r, 0, "recv after %zu bytes: %s", got,
			     r < 0 ? strerror(errno) : "EOF");
		got += (size_t)r;
		if (h == 0) {
			char *e = memmem(sk_rbuf, got, "\r\n\r\n", 4);
			if (e)
				h = (size_t)(e + 4 - sk_rbuf);
		}
	}
	cr_assert_eq(got, h + total);
	cr_assert(memcmp(sk_rbuf + h, want, total) == 0, "the old body, whole");
	*head = h;
	return got;
}

Test(static_cache, evicted_or_dropped_while_sending)
{
	fixture();
	const size_t size = 3u << 20; /* sk_rbuf holds one */
	sk_put_pattern("evict.bin", size, 20);
	sk_put_pattern("drop.bin", size, 22);
	for (int i = 0; i < 20; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "s%d.txt", i);
		sk_put_file(rel, SK_HELLO, strlen(SK_HELLO));
	}
	const char *flags[] = {"--file-cache-entries", "8", NULL};
	sk_serve(flags);
	int fds0 = srvp_fd_count(&sk_srv, NULL);
	unsigned char *ev = sk_pattern(size, 20), *dr = sk_pattern(size, 22),
		      *nw = sk_pattern(size / 2, 23);
	cr_assert_eq(sk_get_status("/drop.bin"), 200); /* cached before the slow client */
	int a = tc_connect_rcvbuf(sk_srv.port, 4096), b = tc_connect_rcvbuf(sk_srv.port, 4096);
	tc_send_str(a, tc_get("/evict.bin"));
	tc_send_str(b, tc_get("/drop.bin"));
	cr_assert_gt(recv(a, sk_rbuf, 1024, MSG_PEEK), 0);
	cr_assert_gt(recv(b, sk_rbuf, 1024, MSG_PEEK), 0);
	/* a's entry evicted by 20 others */
	cstats c0 = cache_stats();
	for (int i = 0; i < 20; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/s%d.txt", i);
		cr_assert_eq(sk_get_status(path), 200);
	}
	cstats c = cache_stats();
	cr_assert_geq(c.evictions - c0.evictions, 12u);
	cr_assert_leq(c.entries, 8u);
	/* b's file replaced: the next request 1.2 s later drops its entry */
	replace_file("drop.bin", nw, size / 2, SK_LM_SEC + 60);
	tc_sleep_ms(AFTER_MS);
	expect_body("/drop.bin", nw, size / 2);
	expect_body("/evict.bin", ev, size); /* opened again */
	size_t h;
	read_all_of(a, size, ev, &h);
	read_all_of(b, size, dr, &h);
	close(a);
	close(b);
	cr_assert_eq(tc_wait_stat(sk_srv.port, "connections_open", 0, 1, 3000), 1u);
	int nf = srvp_fd_count(&sk_srv, NULL);
	cr_assert_leq(nf, fds0 + 8 + 2, "%d descriptors, %d at start", nf, fds0);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* Two workers, two caches: each sees a replacement a second later. */
Test(static_cache, two_workers_each_revalidate)
{
	const char *flags[] = {"--threads", "2", NULL};
	start(flags);
	unsigned char *oldb = sk_pattern(SMALL_SIZE, 24), *newb = sk_pattern(SMALL_SIZE + 10, 25);
	sk_put_file("two.bin", oldb, SMALL_SIZE);
	for (int i = 0; i < 40; i++) /* new connections: both workers */
		expect_body("/two.bin", oldb, SMALL_SIZE);
	cstats c0 = cache_stats();
	cr_assert_geq(c0.misses, 1u);
	cr_assert_leq(c0.misses, 2u, "one miss per worker");
	replace_file("two.bin", newb, SMALL_SIZE + 10, SK_LM_SEC + 60);
	tc_sleep_ms(AFTER_MS);
	for (int i = 0; i < 40; i++)
		expect_body("/two.bin", newb, SMALL_SIZE + 10);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 8. disabled -------------------------------------------------------- */

Test(static_cache, disabled_with_zero_entries)
{
	const char *flags[] = {"--file-cache-entries", "0", NULL};
	start(flags);
	unsigned char *small = sk_pattern(SMALL_SIZE, 1), *large = sk_pattern(LARGE_SIZE, 2);
	for (int i = 0; i < 3; i++) {
		expect_body("/small.bin", small, SMALL_SIZE);
		expect_body("/large.bin", large, LARGE_SIZE);
		cr_assert_eq(sk_get_status("/sub/"), 200);
	}
	cstats c = cache_stats();
	cr_assert_eq(c.hits, 0u);
	cr_assert_eq(c.entries, 0u);
	cr_assert_eq(c.bytes, 0u);
	cr_assert_eq(c.evictions, 0u);
	/* nothing held: a replacement is served at once */
	replace_file("hello.txt", "Hello, again!\n", 14, SK_LM_SEC + 60);
	cr_assert_eq(sk_get_status("/hello.txt"), 200);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "Hello, again!\n");
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- 9. pipelined hits -------------------------------------------------- */

/* 16 requests for cached files in one write (with flags): the responses
 * in order, byte for byte those of the same requests one at a time, all
 * hits.  Returns the cache's kept bytes at the end. */
static unsigned long long pipelined_hits(const char *const *flags)
{
	start(flags);
	sk_put_file("p1.txt", "one\n", 4);
	sk_put_file("p2.txt", "second file\n", 12);
	sk_put_pattern("p3.bin", 3000, 13);
	unsigned char *p3 = sk_pattern(3000, 13), *large = sk_pattern(LARGE_SIZE, 2);
	/* the misses, and the bodies right */
	expect_body("/hello.txt", SK_HELLO, strlen(SK_HELLO));
	expect_body("/p1.txt", "one\n", 4);
	expect_body("/p2.txt", "second file\n", 12);
	expect_body("/p3.bin", p3, 3000);
	expect_body("/sub/", "<h1>sub</h1>\n", 13);
	expect_body("/large.bin", large, LARGE_SIZE);
	static char inm[256];
	snprintf(inm, sizeof(inm), "GET /p2.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n",
		 sk_etag_of("p2.txt"));
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
	static char want[4u << 20];
	size_t wlen = sk_responses_alone(reqs, 16, head_mask, want, sizeof(want));
	cstats c0 = cache_stats();
	sk_expect_pipelined(reqs, 16, head_mask, 0, want, wlen);
	cstats c = cache_stats();
	cr_assert_eq(c.misses, c0.misses, "all 16 are hits");
	cr_assert_eq(c.hits, c0.hits + 16);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
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
			sk_get_status(good[i]);
}

/* The shared traversal rows (test_static.c runs them uncached), twice
 * after the good files are cached, and two more here: a cached entry never
 * answers a path the uncached rules refuse. */
static void traversal_checks(int walk)
{
	static const sk_target more[] = {
		{"/fifo", 403},
		/* the directory without its slash is still a redirect */
		{"/sub", 301},
	};
	for (int r = 0; r < 2; r++) {
		char what[32];
		snprintf(what, sizeof(what), "walk %d, round %d", walk, r);
		sk_expect_statuses(sk_traversal, sk_traversal_rows, what);
		sk_expect_statuses(more, sizeof(more) / sizeof(more[0]), what);
	}
	cr_expect_eq(sk_get_status("/link_in"), walk ? 404 : 200);
	cr_expect_eq(sk_get_status("/hello.txt"), 200);
	cr_expect_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
}

Test(static_cache, traversal_with_warm_cache)
{
	start(NULL);
	warm_good_files();
	cr_assert_gt(cache_stats().entries, 3u);
	traversal_checks(0);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* Without openat2 (the walk follows no symlink): a cached file swapped for
 * a symlink inside the root is refused after the interval, as uncached. */
Test(static_cache, traversal_with_warm_cache_without_openat2)
{
	setenv("RBSERVER_NO_OPENAT2", "1", 1);
	start(NULL);
	sk_put_file("was_file.txt", "plain\n", 6);
	warm_good_files();
	cr_assert_eq(sk_get_status("/was_file.txt"), 200);
	cr_assert_eq(sk_get_status("/was_file.txt"), 200);
	traversal_checks(1);
	swap_in("was_file.txt", "hello.txt");
	tc_sleep_ms(AFTER_MS);
	cr_assert_eq(sk_get_status("/was_file.txt"), 404, "%.200s", sk_rbuf);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- out of descriptors -------------------------------------------------- */

/* Each entry holds a descriptor: when an open fails for want of one
 * (EMFILE), cached descriptors are given back and the open retried, so a
 * full cache never turns into a 503.  The limit is lowered (prlimit) to one
 * above the highest descriptor, and every lower hole is taken by a
 * connection first, so the new file's open has none left. */
Test(static_cache, out_of_descriptors_sheds_entries)
{
	start(NULL);
	for (int i = 0; i < 20; i++) {
		char rel[32], path[40];
		snprintf(rel, sizeof(rel), "e%d.txt", i);
		snprintf(path, sizeof(path), "/%s", rel);
		sk_put_file(rel, SK_HELLO, strlen(SK_HELLO));
		cr_assert_eq(sk_get_status(path), 200);
	}
	cr_assert_eq(cache_stats().entries, 20u);
	cr_assert_eq(tc_wait_stat(sk_srv.port, "connections_open", 0, 1, 3000), 1u);
	tc_sleep_ms(50);
	int max;
	int count = srvp_fd_count(&sk_srv, &max);
	int holes = max + 1 - count;
	struct rlimit old;
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit: %s",
		     strerror(errno));
	struct rlimit low = {(rlim_t)max + 2, old.rlim_max};
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, &low, NULL), 0, "prlimit: %s",
		     strerror(errno));
	/* the holes and the one above: connections that need no file */
	int conns[64], n = 0;
	cr_assert_lt(holes + 1, 64, "%d holes", holes);
	for (int i = 0; i < holes + 1; i++) {
		conns[n] = tc_connect(sk_srv.port);
		tc_send_str(conns[n], tc_get("/plaintext"));
		tc_expect(conns[n], 1, 0, TC_PLAINTEXT);
		n++;
	}
	sk_put_file("new.txt", "new file\n", 9);
	sk_ask(conns[n - 1], tc_get("/new.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s", sk_rbuf);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "new file\n");
	sk_ask(conns[0], tc_get("/e19.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s", sk_rbuf);
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, &old, NULL), 0);
	for (int i = 0; i < n; i++)
		close(conns[i]);
	cstats c = cache_stats();
	cr_assert_geq(c.evictions, 10u, "half the entries shed: %llu", c.evictions);
	cr_assert_leq(c.entries, 12u);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* ---- flags -------------------------------------------------------------- */

Test(static_cache, flags_documented_and_checked)
{
	char out[8192];
	const char *help[] = {"--help", NULL};
	cr_assert_eq(srvp_run(help, out, sizeof(out)), 0);
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
		cr_expect_eq(srvp_run(args, out, sizeof(out)), 2, "%s %s: %s", bad[i].flag,
			     bad[i].val, out);
		char pre[128];
		snprintf(pre, sizeof(pre), "rbserver: %s '%s': ", bad[i].flag, bad[i].val);
		cr_expect(strncmp(out, pre, strlen(pre)) == 0, "%s %s: %s", bad[i].flag, bad[i].val,
			  out);
		cr_expect(strstr(out, "expected an integer from ") || strstr(out, "allowed"),
			  "names the range: %s", out);
	}
	const char *noval[] = {"--port", "80", "--file-cache-bytes", NULL};
	cr_expect_eq(srvp_run(noval, out, sizeof(out)), 2);
	cr_expect_str_eq(out, "rbserver: --file-cache-bytes needs a value (see rbserver --help)\n");
}
