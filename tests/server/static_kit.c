#include "static_kit.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

srvp sk_srv;
char sk_dir[64];
char sk_root[96];
char sk_rbuf[SK_RBUF_SIZE];

/* sk_pattern's buffers, for sk_fini */
static unsigned char **patterns;
static size_t npatterns;

void sk_fini(void)
{
	srvp_cleanup(&sk_srv);
	tc_rm_tree(sk_dir);
	for (size_t i = 0; i < npatterns; i++)
		free(patterns[i]);
	free(patterns);
	patterns = NULL;
	npatterns = 0;
}

char *sk_path(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", sk_root, rel);
	return p[i];
}

unsigned char sk_pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131u + (i >> 9) * 7u + seed * 17u) % 251u);
}

static unsigned char *new_pattern(size_t len, unsigned seed)
{
	unsigned char *b = malloc(len ? len : 1);
	cr_assert(b);
	for (size_t i = 0; i < len; i++)
		b[i] = sk_pat(i, seed);
	return b;
}

unsigned char *sk_pattern(size_t len, unsigned seed)
{
	unsigned char **p = realloc(patterns, (npatterns + 1) * sizeof(*p));
	cr_assert(p);
	patterns = p;
	patterns[npatterns] = new_pattern(len, seed);
	return patterns[npatterns++];
}

void sk_put_file_at(const char *rel, const void *data, size_t len, time_t mtime)
{
	int fd = open(sk_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "%s: %s", rel, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 123456789}};
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
}

void sk_put_file(const char *rel, const void *data, size_t len)
{
	sk_put_file_at(rel, data, len, SK_LM_SEC);
}

void sk_put_pattern(const char *rel, size_t len, unsigned seed)
{
	unsigned char *b = new_pattern(len, seed);
	sk_put_file(rel, b, len);
	free(b);
}

const char *sk_put_outside(const char *name, const char *data)
{
	static char p[160];
	cr_assert(strncmp(data, "SECRET", 6) == 0, "%s: not a secret", name);
	snprintf(p, sizeof(p), "%s/%s", sk_dir, name);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert(fd >= 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
	return p;
}

void sk_fixture(const char *name)
{
	snprintf(sk_dir, sizeof(sk_dir), "/tmp/rbserver-%s-XXXXXX", name);
	cr_assert(mkdtemp(sk_dir), "mkdtemp: %s", strerror(errno));
	snprintf(sk_root, sizeof(sk_root), "%s/root", sk_dir);
	cr_assert_eq(mkdir(sk_root, 0755), 0);
	char secret[160];
	snprintf(secret, sizeof(secret), "%s", sk_put_outside("secret.txt", "SECRET\n"));

	sk_put_file("hello.txt", SK_HELLO, strlen(SK_HELLO));
	sk_put_file("index.html", "<h1>root</h1>\n", 14);
	cr_assert_eq(mkdir(sk_path("sub"), 0755), 0);
	sk_put_file("sub/index.html", "<h1>sub</h1>\n", 13);
	sk_put_file("sub/page.css", "p{}\n", 4);
	cr_assert_eq(symlink("hello.txt", sk_path("link_in")), 0);
	cr_assert_eq(symlink("../secret.txt", sk_path("link_out")), 0);
	cr_assert_eq(symlink(secret, sk_path("link_abs")), 0);
	cr_assert_eq(symlink("..", sk_path("dirlink_out")), 0);
	cr_assert_eq(mkfifo(sk_path("fifo"), 0644), 0);
}

void sk_serve(const char *const *extra)
{
	const char *args[32] = {"--root", sk_root, "--threads", "1"};
	int n = 4;
	for (int i = 0; extra && extra[i]; i++) {
		cr_assert_lt(n, 31);
		args[n++] = extra[i];
	}
	args[n] = NULL;
	srvp_start(&sk_srv, args);
}

size_t sk_ask(int fd, const char *raw, int head)
{
	tc_send_str(fd, raw);
	size_t n = tc_read_responses(fd, sk_rbuf, sizeof(sk_rbuf), 1, head ? 1u : 0u);
	return tc_mask_date(sk_rbuf, n);
}

size_t sk_fetch(const char *path, int head)
{
	int fd = tc_connect(sk_srv.port);
	char req[512];
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n\r\n", head ? "HEAD" : "GET",
		 path);
	size_t n = sk_ask(fd, req, head);
	close(fd);
	cr_assert(!memmem(sk_rbuf, n, "SECRET", 6), "%s served the secret", path);
	return n;
}

int sk_get_status(const char *path)
{
	sk_fetch(path, 0);
	return tc_status_of(sk_rbuf);
}

const char *sk_etag_of(const char *rel)
{
	static char e[2][80];
	static int k;
	k ^= 1;
	struct stat sb;
	cr_assert_eq(stat(sk_path(rel), &sb), 0);
	snprintf(e[k], sizeof(e[k]), "\"%llx-%llx-%llx\"", (unsigned long long)sb.st_size,
		 (unsigned long long)sb.st_mtim.tv_sec * 1000000000ull +
			 (unsigned long long)sb.st_mtim.tv_nsec,
		 (unsigned long long)sb.st_ino);
	return e[k];
}

size_t sk_mask_all(char *b, size_t n)
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

size_t sk_responses_alone(const char *const *reqs, int n, unsigned head_mask, char *want,
			  size_t cap)
{
	size_t wlen = 0;
	int fd = tc_connect(sk_srv.port);
	for (int i = 0; i < n; i++) {
		tc_send_str(fd, reqs[i]);
		size_t len =
			tc_read_responses(fd, sk_rbuf, sizeof(sk_rbuf), 1, (head_mask >> i) & 1);
		len = sk_mask_all(sk_rbuf, len);
		cr_assert_lt(wlen + len, cap);
		memcpy(want + wlen, sk_rbuf, len);
		wlen += len;
	}
	close(fd);
	return wlen;
}

void sk_expect_pipelined(const char *const *reqs, int n, unsigned head_mask, size_t chunk,
			 const char *want, size_t wlen)
{
	static char all[8192];
	size_t alen = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(reqs[i]);
		cr_assert_lt(alen + l, sizeof(all));
		memcpy(all + alen, reqs[i], l);
		alen += l;
	}
	int fd = tc_connect(sk_srv.port);
	if (chunk == 0)
		tc_send(fd, all, alen);
	else
		for (size_t k = 0; k < alen; k += chunk) {
			tc_send(fd, all + k, alen - k < chunk ? alen - k : chunk);
			tc_sleep_ms(1);
		}
	size_t len = tc_read_responses(fd, sk_rbuf, sizeof(sk_rbuf), n, head_mask);
	close(fd);
	len = sk_mask_all(sk_rbuf, len);
	cr_assert_eq(len, wlen, "chunk %zu: %zu bytes, want %zu", chunk, len, wlen);
	for (size_t k = 0; k < len; k++)
		if (sk_rbuf[k] != want[k])
			cr_assert_fail("chunk %zu: byte %zu differs: [%.60s] vs [%.60s]", chunk, k,
				       sk_rbuf + (k > 20 ? k - 20 : 0),
				       want + (k > 20 ? k - 20 : 0));
}

const sk_target sk_traversal[] = {
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
	/* a trailing slash names a directory: a file (cached or not) is not one */
	{"/hello.txt/", 404},
	{"/hello.txt/.", 404},
	{"/sub/page.css/", 404},
	{"/sub/index.html/", 404},
	{"/fifo/", 404},
	{"/hello.txt/..", 200},
};
const size_t sk_traversal_rows = sizeof(sk_traversal) / sizeof(sk_traversal[0]);

void sk_expect_statuses(const sk_target *rows, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(sk_get_status(rows[i].target), rows[i].status, "%s: %d (%s)",
			     rows[i].target, tc_status_of(sk_rbuf), what);
}
