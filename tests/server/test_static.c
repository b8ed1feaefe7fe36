/* Static files under --root, end to end: types, validators, conditional and
 * range requests, multipart, directories, path traversal in every encoding,
 * symlinks, streaming of large files, slow readers, pipelining. */
#include "static_kit.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

TestSuite(static, .fini = sk_fini, .timeout = 120);

#define BIG_SIZE (5u * 1024u * 1024u + 123u)
#define R1000_SIZE 1000u
#define BIN_SEED 0u /* big.bin's and r1000.bin's sk_pat pattern */

/* The fixture both suites share, and what the tests here ask for besides:
 * an empty file, names that need percent-encoding, a type by extension, a
 * directory without an index, and the pattern files. */
static void fixture(void)
{
	sk_fixture("static");
	sk_put_file("empty.bin", "", 0);
	sk_put_file("a b.txt", "spaced\n", 7);
	sk_put_file("%2e%2e", "literal\n", 8);
	sk_put_file("sub/app.wasm", "\0asm", 4);
	cr_assert_eq(mkdir(sk_path("noindex"), 0755), 0);
	sk_put_pattern("r1000.bin", R1000_SIZE, BIN_SEED);
	sk_put_pattern("big.bin", BIG_SIZE, BIN_SEED);
}

static void start(void)
{
	fixture();
	sk_serve(NULL);
}

#define HEAD_OF(status, type, len, etag)                                                           \
	"HTTP/1.1 " status "\r\nServer: rbserver\r\nDate: DATE\r\nContent-Type: " type             \
	"\r\nContent-Length: " len "\r\nETag: " etag "\r\nLast-Modified: " SK_LM_STR "\r\n"

/* ---- tests -------------------------------------------------------------- */

Test(static, get_head_and_types)
{
	start();
	int fd = tc_connect(sk_srv.port);
	char want[1024];
	const char *et = sk_etag_of("hello.txt");
	snprintf(want, sizeof(want),
		 HEAD_OF("200 OK", "text/plain; charset=utf-8", "15",
			 "%s") "Accept-Ranges: bytes\r\n\r\n" SK_HELLO,
		 et);
	sk_ask(fd, tc_get("/hello.txt"), 0);
	cr_assert_str_eq(sk_rbuf, want);
	/* HEAD: the same head, no body */
	sk_ask(fd, "HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 1);
	want[strlen(want) - strlen(SK_HELLO)] = '\0';
	cr_assert_str_eq(sk_rbuf, want);
	/* types by extension; the root and a directory by their index.html */
	sk_ask(fd, tc_get("/sub/page.css"), 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Type"), "text/css; charset=utf-8");
	cr_assert_str_eq(tc_body_of(sk_rbuf), "p{}\n");
	sk_ask(fd, tc_get("/sub/app.wasm"), 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Type"), "application/wasm");
	sk_ask(fd, tc_get("/r1000.bin"), 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Type"), "application/octet-stream");
	sk_ask(fd, tc_get("/"), 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Type"), "text/html; charset=utf-8");
	cr_assert_str_eq(tc_body_of(sk_rbuf), "<h1>root</h1>\n");
	sk_ask(fd, tc_get("/sub/"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "<h1>sub</h1>\n");
	sk_ask(fd, "GET http://t/sub/ HTTP/1.1\r\nHost: t\r\n\r\n", 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "<h1>sub</h1>\n", "absolute-form");
	/* a directory without its slash: 301 to the slash form, query kept */
	sk_ask(fd, tc_get("/sub"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 301);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Location"), "/sub/");
	sk_ask(fd, tc_get("/sub?x=1"), 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Location"), "/sub/?x=1");
	/* percent-decoded names; "%252e%252e" is the file named "%2e%2e" */
	sk_ask(fd, tc_get("/a%20b.txt"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "spaced\n");
	sk_ask(fd, tc_get("/%252e%252e"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "literal\n");
	/* an empty file */
	sk_ask(fd, tc_get("/empty.bin"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Length"), "0");
	/* errors keep the connection */
	sk_ask(fd, tc_get("/missing.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 404);
	sk_ask(fd, tc_get("/noindex/"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 404, "a directory without index.html");
	sk_ask(fd, tc_get("/fifo"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 403, "not a regular file (and the open did not block)");
	sk_ask(fd, "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 405);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Allow"), "GET, HEAD");
	/* the built-in endpoints come first */
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* The shared traversal rows, and two more encodings of ".." here. */
static void traversal_checks(int walk)
{
	static const sk_target more[] = {
		{"/%2E%2E/secret.txt", 400},
		{"/%5c..%5csecret.txt", 400},
	};
	const char *what = walk ? "walk 1" : "walk 0";
	sk_expect_statuses(sk_traversal, sk_traversal_rows, what);
	sk_expect_statuses(more, sizeof(more) / sizeof(more[0]), what);
	/* a symlink inside the root to a file inside it: followed by openat2,
	 * refused by the walk (it follows none) */
	cr_expect_eq(sk_get_status("/link_in"), walk ? 404 : 200);
	/* a raw backslash is not a request-target character: the parser
	 * refuses it and closes */
	int fd = tc_connect(sk_srv.port);
	tc_send_str(fd, "GET /..\\secret.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	char buf[2048];
	tc_read_eof(fd, buf, sizeof(buf), NULL);
	close(fd);
	cr_expect_eq(tc_status_of(buf), 400);
	/* a 400 for a path keeps the connection: the framing was fine */
	fd = tc_connect(sk_srv.port);
	sk_ask(fd, tc_get("/%2e%2e/secret.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 400);
	cr_assert(strstr(tc_body_of(sk_rbuf), "climbs above the root"), "%s", sk_rbuf);
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
}

Test(static, traversal_never_leaves_root)
{
	start();
	traversal_checks(0);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

Test(static, traversal_without_openat2)
{
	/* the path a kernel without openat2 (ENOSYS) takes */
	setenv("RBSERVER_NO_OPENAT2", "1", 1);
	start();
	cr_assert(strstr(srvp_log(&sk_srv), "RBSERVER_NO_OPENAT2=1"), "%s", srvp_log(&sk_srv));
	traversal_checks(1);
	cr_assert_eq(sk_get_status("/sub/"), 200);
	cr_assert_eq(sk_get_status("/hello.txt"), 200);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

Test(static, conditional_requests)
{
	start();
	int fd = tc_connect(sk_srv.port);
	const char *et = sk_etag_of("hello.txt");
	char req[512], want[1024];
	/* If-None-Match → 304: validators, no Content-Length (wrk would wait
	 * for a body), no body */
	snprintf(req, sizeof(req),
		 "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\", %s\r\n\r\n", et);
	sk_ask(fd, req, 0);
	snprintf(want, sizeof(want),
		 "HTTP/1.1 304 Not Modified\r\nServer: rbserver\r\nDate: DATE\r\n"
		 "ETag: %s\r\nLast-Modified: " SK_LM_STR "\r\n\r\n",
		 et);
	cr_assert_str_eq(sk_rbuf, want);
	/* HEAD too, and weak comparison */
	snprintf(req, sizeof(req),
		 "HEAD /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: W/%s\r\n\r\n", et);
	sk_ask(fd, req, 1);
	cr_assert_eq(tc_status_of(sk_rbuf), 304);
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	/* If-Modified-Since: equal → 304, earlier → 200, ignored under INM */
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: " SK_LM_STR "\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 304);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 304, "asctime form");
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: " SK_LM_STR
	       "\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200,
		     "If-Modified-Since is ignored when If-None-Match is sent");
	/* If-Match / If-Unmodified-Since → 412 */
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Match: \"other\"\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 412);
	snprintf(req, sizeof(req), "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Match: %s\r\n\r\n",
		 et);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 412);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Unmodified-Since: " SK_LM_STR "\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	/* 13.2.2 order: If-Match fails first, even when If-None-Match would 304 */
	snprintf(
		req, sizeof(req),
		"GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Match: \"other\"\r\nIf-None-Match: %s\r\n\r\n",
		et);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 412);
	/* a changed file gets a new ETag: the old one no longer 304s */
	sk_put_file("hello.new", "Hello, static?\n", 15);
	cr_assert_eq(rename(sk_path("hello.new"), sk_path("hello.txt")), 0);
	snprintf(req, sizeof(req),
		 "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", et);
	char old[80];
	snprintf(old, sizeof(old), "%s", et);
	cr_assert_str_neq(sk_etag_of("hello.txt"), old, "a rewrite changes the inode or mtime");
	/* the open-file cache checks a file again at most once a second: a
	 * change is seen by every request a second after it */
	tc_sleep_ms(1200);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "Hello, static?\n");
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

Test(static, single_ranges)
{
	start();
	int fd = tc_connect(sk_srv.port);
	char want[1024];
	const char *et = sk_etag_of("hello.txt");
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n", 0);
	snprintf(want, sizeof(want),
		 HEAD_OF("206 Partial Content", "text/plain; charset=utf-8", "5",
			 "%s") "Accept-Ranges: bytes\r\nContent-Range: bytes 0-4/15\r\n\r\nHello",
		 et);
	cr_assert_str_eq(sk_rbuf, want);
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=-6\r\n\r\n", 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Range"), "bytes 9-14/15");
	cr_assert_str_eq(tc_body_of(sk_rbuf), "atic!\n");
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=7-\r\n\r\n", 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "static!\n");
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4,3-8\r\n\r\n", 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Range"), "bytes 0-8/15", "overlap coalesced");
	/* unsatisfiable or invalid: 416 with the size */
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=15-\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 416);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Range"), "bytes */15");
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=5-2\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 416);
	sk_ask(fd, "GET /empty.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 416);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Range"), "bytes */0");
	/* a non-zero suffix of an empty file is satisfiable (RFC 9110 14.1.1),
	 * not a 416; no 206 can carry zero bytes: the empty 200 */
	sk_ask(fd, "GET /empty.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=-5\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "%s", sk_rbuf);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Length"), "0");
	cr_assert_null(tc_hval(sk_rbuf, "Content-Range"));
	cr_assert_str_eq(tc_body_of(sk_rbuf), "");
	/* ignored (200, whole file): HEAD, another unit, two Range lines, too
	 * many ranges, a failed precondition's 304 wins over the range */
	sk_ask(fd, "HEAD /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n", 1);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Length"), "15");
	sk_ask(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: items=0-4\r\n\r\n", 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	char *many = tc_repeat("0-0,", 17);
	char req[512];
	snprintf(req, sizeof(req), "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=%s\r\n\r\n",
		 many);
	free(many);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "more than 16 ranges: ignored");
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Modified-Since: " SK_LM_STR
	       "\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 304);
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* Check a multipart/byteranges body of r1000.bin or big.bin against the
 * pattern: the parts (first-last pairs) in order, each with its headers. */
static void check_multipart(const char *resp, size_t len, const char *type, size_t size,
			    const size_t (*parts)[2], int nparts)
{
	const char *ct = tc_hval(resp, "Content-Type");
	cr_assert(ct && strncmp(ct, "multipart/byteranges; boundary=", 31) == 0, "%s", ct);
	char boundary[80];
	snprintf(boundary, sizeof(boundary), "%s", ct + 31);
	cr_assert_geq(strlen(boundary), 16u);
	const char *b = tc_body_of(resp);
	size_t blen = len - (size_t)(b - resp);
	cr_assert_eq((unsigned long long)blen, strtoull(tc_hval(resp, "Content-Length"), NULL, 10));
	size_t pos = 0;
	for (int i = 0; i < nparts; i++) {
		char head[256];
		int hn = snprintf(
			head, sizeof(head),
			"%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %zu-%zu/%zu\r\n\r\n",
			i ? "\r\n" : "", boundary, type, parts[i][0], parts[i][1], size);
		cr_assert(blen - pos >= (size_t)hn && memcmp(b + pos, head, (size_t)hn) == 0,
			  "part %d head: want [%s] got [%.120s]", i, head, b + pos);
		pos += (size_t)hn;
		for (size_t k = parts[i][0]; k <= parts[i][1]; k++, pos++)
			if ((unsigned char)b[pos] != sk_pat(k, BIN_SEED))
				cr_assert_fail("part %d: byte %zu differs", i, k);
	}
	char tail[128];
	int tn = snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", boundary);
	cr_assert_eq(blen - pos, (size_t)tn);
	cr_assert(memcmp(b + pos, tail, (size_t)tn) == 0, "closing delimiter");
}

Test(static, multipart_ranges)
{
	start();
	int fd = tc_connect(sk_srv.port);
	size_t n = sk_ask(
		fd, "GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=990-,0-9,500-509\r\n\r\n",
		0);
	cr_assert_eq(tc_status_of(sk_rbuf), 206);
	cr_assert_null(tc_hval(sk_rbuf, "Content-Range"),
		       "a multipart response has none at the top");
	static const size_t p1[][2] = {{0, 9}, {500, 509}, {990, 999}}; /* sorted */
	check_multipart(sk_rbuf, n, "application/octet-stream", R1000_SIZE, p1, 3);
	char b1[80];
	snprintf(b1, sizeof(b1), "%s", tc_hval(sk_rbuf, "Content-Type"));
	/* a fresh boundary each time */
	sk_ask(fd, "GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9,500-509\r\n\r\n", 0);
	cr_assert_str_neq(tc_hval(sk_rbuf, "Content-Type"), b1);
	/* ranges within 80 bytes of each other become one part */
	n = sk_ask(fd, "GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9,50-59,-1\r\n\r\n",
		   0);
	static const size_t p2[][2] = {{0, 59}, {999, 999}};
	check_multipart(sk_rbuf, n, "application/octet-stream", R1000_SIZE, p2, 2);
	/* unsatisfiable ranges are dropped from the set */
	sk_ask(fd, "GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=5000-,0-1\r\n\r\n", 0);
	cr_assert_str_eq(tc_hval(sk_rbuf, "Content-Range"), "bytes 0-1/1000");
	/* multipart parts of a large file, streamed */
	n = sk_ask(
		fd,
		"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-999999,2000000-3999999,-5\r\n\r\n",
		0);
	static const size_t p3[][2] = {
		{0, 999999}, {2000000, 3999999}, {BIG_SIZE - 5, BIG_SIZE - 1}};
	check_multipart(sk_rbuf, n, "application/octet-stream", BIG_SIZE, p3, 3);
	/* the connection is still in step */
	tc_send_str(fd, tc_get("/plaintext"));
	tc_expect(fd, 1, 0, TC_PLAINTEXT);
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

Test(static, if_range)
{
	start();
	int fd = tc_connect(sk_srv.port);
	const char *et = sk_etag_of("hello.txt");
	char req[512];
	snprintf(req, sizeof(req),
		 "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: %s\r\n\r\n",
		 et);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 206, "If-Range matches: the range");
	cr_assert_str_eq(tc_body_of(sk_rbuf), "Hello");
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: \"other\"\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "If-Range mismatch: the whole file");
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	snprintf(req, sizeof(req),
		 "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: W/%s\r\n\r\n",
		 et);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "a weak tag never matches If-Range");
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: " SK_LM_STR
	       "\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 206, "the Last-Modified date");
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "another date");
	/* an unsatisfiable range under a failing If-Range is a 200, not a 416 */
	sk_ask(fd,
	       "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=99-\r\nIf-Range: \"other\"\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* The directory 301's Location is "/" + the normalised path + "/", never
 * the raw target: "//evil.example/../sub/" would be another host. */
Test(static, redirect_location_normalised)
{
	start();
	cr_assert_eq(mkdir(sk_path("my dir%"), 0755), 0);
	static const struct {
		const char *target, *location;
	} rows[] = {
		{"//evil.example/../sub", "/sub/"},
		{"///evil.example/../sub", "/sub/"},
		{"http://t//evil.example/../sub", "/sub/"},
		{"/./sub", "/sub/"},
		{"//sub", "/sub/"},
		{"/sub/../sub", "/sub/"},
		{"//evil.example/../sub?x=1", "/sub/?x=1"},
		{"/my%20dir%25", "/my%20dir%25/"},
	};
	int fd = tc_connect(sk_srv.port);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char req[512];
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", rows[i].target);
		sk_ask(fd, req, 0);
		cr_expect_eq(tc_status_of(sk_rbuf), 301, "%s", rows[i].target);
		const char *loc = tc_hval(sk_rbuf, "Location");
		cr_expect(loc && strcmp(loc, rows[i].location) == 0, "%s: Location %s, want %s",
			  rows[i].target, loc ? loc : "(none)", rows[i].location);
	}
	/* and the Location leads where it says */
	sk_ask(fd, tc_get("/my%20dir%25/"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 404, "no index.html, but a directory");
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

static time_t http_date(const char *v)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	cr_assert(v, "no date");
	const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	cr_assert(end && *end == '\0', "not an IMF-fixdate: %s", v);
	return timegm(&tm);
}

/* RFC 9110 8.8.2.1: Last-Modified is never later than Date, even for a file
 * dated ten years ahead; If-Range takes the clamped value for a weak one. */
Test(static, future_mtime_clamped)
{
	start();
	sk_put_file("future.txt", SK_HELLO, strlen(SK_HELLO));
	time_t future = time(NULL) + 10 * 365 * 86400;
	struct timespec ts[2] = {{future, 0}, {future, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, sk_path("future.txt"), ts, 0), 0);
	const char *et = sk_etag_of("future.txt");
	int fd = tc_connect(sk_srv.port);
	char req[512];
	/* 200, and 304: both carry Last-Modified (Date not masked here) */
	for (int k = 0; k < 2; k++) {
		snprintf(req, sizeof(req), "GET /future.txt HTTP/1.1\r\nHost: t\r\n%s%s%s\r\n",
			 k ? "If-None-Match: " : "", k ? et : "", k ? "\r\n" : "");
		tc_send_str(fd, req);
		tc_read_responses(fd, sk_rbuf, sizeof(sk_rbuf), 1, 0);
		cr_assert_eq(tc_status_of(sk_rbuf), k ? 304 : 200, "%s", sk_rbuf);
		time_t lm = http_date(tc_hval(sk_rbuf, "Last-Modified"));
		time_t date = http_date(tc_hval(sk_rbuf, "Date"));
		cr_expect_leq(lm, date, "Last-Modified %s later than Date %s",
			      tc_hval(sk_rbuf, "Last-Modified"), tc_hval(sk_rbuf, "Date"));
		cr_expect_lt(lm, future, "the future mtime was sent");
	}
	/* If-Range with the mtime the file really has: not what we sent */
	char d[64];
	struct tm tm;
	gmtime_r(&future, &tm);
	strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(req, sizeof(req),
		 "GET /future.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\nIf-Range: %s\r\n\r\n",
		 d);
	sk_ask(fd, req, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "If-Range compares the clamped Last-Modified");
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* A UNIX socket (open: ENXIO), a FIFO and a device under the root: 403,
 * never 500, and the server goes on. */
Test(static, special_files_forbidden)
{
	start();
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(us >= 0);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	cr_assert_lt(strlen(sk_path("sock")), sizeof(sa.sun_path));
	strcpy(sa.sun_path, sk_path("sock"));
	cr_assert_eq(bind(us, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	/* a device (the null device's numbers) where the container allows it */
	int have_dev = mknod(sk_path("null"), S_IFCHR | 0666, makedev(1, 3)) == 0;
	int fd = tc_connect(sk_srv.port);
	sk_ask(fd, tc_get("/sock"), 0);
	cr_expect_eq(tc_status_of(sk_rbuf), 403, "a socket: %s", sk_rbuf);
	sk_ask(fd, "HEAD /sock HTTP/1.1\r\nHost: t\r\n\r\n", 1);
	cr_expect_eq(tc_status_of(sk_rbuf), 403);
	sk_ask(fd, tc_get("/fifo"), 0);
	cr_expect_eq(tc_status_of(sk_rbuf), 403, "a FIFO without a writer");
	if (have_dev) {
		sk_ask(fd, tc_get("/null"), 0);
		cr_expect_eq(tc_status_of(sk_rbuf), 403, "a device");
	}
	sk_ask(fd, tc_get("/hello.txt"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO, "the same connection goes on");
	close(fd);
	cr_assert_eq(sk_get_status("/sock"), 403);
	close(us);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
/* A seccomp profile that answers openat2 with EPERM (as some container
 * runtimes' defaults do) instead of ENOSYS: the worker falls back to the
 * walk once, logs it, and serves as without openat2. */
Test(static, openat2_eperm_falls_back)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	/* this test's process only (Criterion forks one per test); the
	 * server inherits it across fork and exec */
	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
		     strerror(errno));
	start();
	cr_assert_eq(sk_get_status("/hello.txt"), 200, "%s", srvp_log(&sk_srv));
	cr_assert(strstr(srvp_log(&sk_srv), "kernel refused openat2 (EPERM)"), "%s",
		  srvp_log(&sk_srv));
	traversal_checks(1);
	cr_assert_eq(sk_get_status("/sub/"), 200);
	/* logged once, not per request */
	const char *l = strstr(srvp_log(&sk_srv), "refused openat2");
	cr_assert_null(strstr(l + 1, "refused openat2"), "%s", srvp_log(&sk_srv));
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}
#endif

static void check_big_body(const char *resp, size_t n)
{
	const char *b = tc_body_of(resp);
	cr_assert_eq(n - (size_t)(b - resp), BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		if ((unsigned char)b[i] != sk_pat(i, BIN_SEED))
			cr_assert_fail("byte %zu differs", i);
}

Test(static, large_file_streamed_intact)
{
	start();
	int fd = tc_connect(sk_srv.port);
	size_t n = sk_ask(fd, tc_get("/big.bin"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	check_big_body(sk_rbuf, n);
	/* through a small receive window: many short sends, same bytes */
	int small = tc_connect_rcvbuf(sk_srv.port, 8192);
	n = sk_ask(small, tc_get("/big.bin"), 0);
	check_big_body(sk_rbuf, n);
	/* Connection: close after a streamed body: all of it, then FIN */
	tc_send_str(small, "GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	int reset;
	n = tc_read_eof(small, sk_rbuf, sizeof(sk_rbuf), &reset);
	cr_assert_not(reset);
	check_big_body(sk_rbuf, n);
	close(small);
	close(fd);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* Expected responses, each fetched alone, then the same requests in one
 * write: the concatenation must match byte for byte. */
Test(static, pipelined_static_requests)
{
	start();
	const char *et = sk_etag_of("hello.txt");
	static char inm[256];
	snprintf(inm, sizeof(inm),
		 "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", et);
	const char *reqs[] = {
		tc_get("/hello.txt"),
		"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /r1000.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1,900-901\r\n\r\n",
		inm,
		"HEAD /sub/page.css HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=100-2999999\r\n\r\n",
		"GET /sub/ HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	int nreq = (int)(sizeof(reqs) / sizeof(reqs[0]));
	unsigned head_mask = 1u << 5;
	static char want[12u << 20];
	size_t wlen = sk_responses_alone(reqs, nreq, head_mask, want, sizeof(want));
	sk_expect_pipelined(reqs, nreq, head_mask, 0, want, wlen);
	/* split at awkward places: every 7 bytes */
	sk_expect_pipelined(reqs, nreq, head_mask, 7, want, wlen);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* A conditional header split across receives, with another connection's
 * request parsed (into the worker's shared header array) in between: the
 * first request's header lines must have moved to its own array. */
Test(static, header_block_spanning_receives)
{
	start();
	const char *et = sk_etag_of("hello.txt");
	char req[512];
	int len = snprintf(req, sizeof(req),
			   "GET /hello.txt HTTP/1.1\r\nIf-None-Match: %s\r\nX-Pad: 1\r\n"
			   "Range: bytes=0-1\r\nHost: t\r\n\r\n",
			   et);
	int a = tc_connect(sk_srv.port);
	int b = tc_connect(sk_srv.port);
	/* A: everything up to the middle of the Range line */
	size_t cut = (size_t)(strstr(req, "Range") - req) + 3;
	tc_send(a, req, cut);
	tc_sleep_ms(50);
	/* B: a whole request with other headers in the same slots */
	sk_ask(b,
	       "GET /r1000.bin HTTP/1.1\r\nHost: t\r\nIf-Match: \"nope\"\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
	       0);
	cr_assert_eq(tc_status_of(sk_rbuf), 412);
	tc_send(a, req + cut, (size_t)len - cut);
	size_t n = tc_read_responses(a, sk_rbuf, sizeof(sk_rbuf), 1, 0);
	tc_mask_date(sk_rbuf, n);
	cr_assert_eq(tc_status_of(sk_rbuf), 304, "%s", sk_rbuf);
	/* and byte by byte */
	for (int i = 0; i < len; i++) {
		tc_send(a, req + i, 1);
		if (i % 16 == 0)
			sk_ask(b, tc_get("/sub/page.css"), 0);
	}
	n = tc_read_responses(a, sk_rbuf, sizeof(sk_rbuf), 1, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 304, "%s", sk_rbuf);
	close(a);
	close(b);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

static long rss_kb(pid_t pid)
{
	char p[64], buf[4096];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY);
	cr_assert(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	const char *v = strstr(buf, "VmRSS:");
	cr_assert(v);
	return atol(v + 6);
}

/* A 256 MiB file (sparse: cheap on disk) to a client that reads slowly and
 * then not at all: the server holds a bounded window, not the file, and
 * keeps serving others. */
Test(static, slow_reader_memory_bounded, .timeout = 120)
{
	if (tc_fault("short-send")) /* 7 bytes a send: 38 M sends for this file */
		cr_skip_test("RB_FAULTS=short-send: a 256 MiB body is impractical 7 bytes a send");
	fixture();
	const size_t size = 256u << 20;
	int f = open(sk_path("huge.bin"), O_WRONLY | O_CREAT, 0644);
	cr_assert(f >= 0);
	cr_assert_eq(ftruncate(f, (off_t)size), 0);
	cr_assert_eq(pwrite(f, "END", 3, (off_t)size - 3), 3);
	close(f);
	const char *flags[] = {"--write-timeout", "3", NULL};
	sk_serve(flags);
	int warm = tc_connect(sk_srv.port);
	sk_ask(warm, tc_get("/r1000.bin"), 0);
	long before = rss_kb(sk_srv.pid);

	int slow = tc_connect_rcvbuf(sk_srv.port, 4096);
	tc_send_str(slow, tc_get("/huge.bin"));
	static char chunk[4096];
	size_t got = 0, head_len = 0;
	for (int i = 0; i < 50; i++) { /* 200 KB, slowly */
		ssize_t r = recv(slow, chunk, sizeof(chunk), 0);
		cr_assert_gt(r, 0);
		if (i == 0) {
			char *e = memmem(chunk, (size_t)r, "\r\n\r\n", 4);
			cr_assert(e, "the head comes first");
			head_len = (size_t)(e + 4 - chunk);
			cr_assert_eq(tc_status_of(chunk), 200);
		}
		got += (size_t)r;
		tc_sleep_ms(2);
	}
	tc_sleep_ms(500); /* now not at all */
	long during = rss_kb(sk_srv.pid);
	cr_assert_lt(during - before, 32 * 1024, "RSS grew %ld kB for a 256 MiB file",
		     during - before);
	/* others are served meanwhile */
	sk_ask(warm, tc_get("/hello.txt"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	/* the rest, exactly, ending in "END" */
	size_t total = got;
	char last[3] = {0};
	while (total < head_len + size) {
		ssize_t r = recv(slow, sk_rbuf, 1u << 20, 0);
		cr_assert_gt(r, 0, "recv: %s", r < 0 ? strerror(errno) : "closed early");
		total += (size_t)r;
		for (ssize_t k = r > 3 ? r - 3 : 0; k < r; k++) {
			memmove(last, last + 1, 2);
			last[2] = sk_rbuf[k];
		}
	}
	cr_assert_eq(total, head_len + size);
	cr_assert(memcmp(last, "END", 3) == 0);
	close(slow);

	/* a client that stops reading for good: the write timeout closes it,
	 * the file is closed, the server stays up */
	int stuck = tc_connect_rcvbuf(sk_srv.port, 4096);
	tc_send_str(stuck, tc_get("/huge.bin"));
	close(warm);
	cr_assert_geq(tc_wait_stat(sk_srv.port, "write_timeouts", 1, 1, 8000), 1u);
	cr_assert_eq(tc_wait_stat(sk_srv.port, "connections_open", 0, 1, 3000), 1u,
		     "only the /stats connection is left");
	close(stuck);
	cr_assert_eq(sk_get_status("/hello.txt"), 200);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* The file shrinks while it is being sent: the promised length cannot be
 * kept, so the connection is closed (the client sees a short body), logged,
 * and the server goes on. */
Test(static, file_truncated_mid_stream)
{
	if (tc_fault("short-send")) /* 7 bytes a send: 1.8 M sends before the cut */
		cr_skip_test("RB_FAULTS=short-send: a 12 MiB body is impractical 7 bytes a send");
	start();
	const size_t size = 24u << 20;
	int f = open(sk_path("grow.bin"), O_WRONLY | O_CREAT, 0644);
	cr_assert(f >= 0);
	cr_assert_eq(ftruncate(f, (off_t)size), 0);
	int slow = tc_connect_rcvbuf(sk_srv.port, 4096);
	tc_send_str(slow, tc_get("/grow.bin"));
	ssize_t r = recv(slow, sk_rbuf, 4096, 0);
	cr_assert_gt(r, 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200);
	cr_assert_eq(ftruncate(f, 12u << 20), 0);
	close(f);
	size_t n = tc_read_eof(slow, sk_rbuf, sizeof(sk_rbuf), NULL);
	close(slow);
	cr_assert_lt(n + (size_t)r, size, "a short body, then the close");
	for (int i = 0; i < 100 && !strstr(srvp_log(&sk_srv), "static file read"); i++)
		tc_sleep_ms(10);
	cr_assert(strstr(srvp_log(&sk_srv), "static file read"), "%s", srvp_log(&sk_srv));
	cr_assert_eq(sk_get_status("/hello.txt"), 200);
	cr_assert_eq(srvp_stop(&sk_srv), 0);
}

/* SIGTERM while a client is slowly taking a large file: the stream is cut
 * at the end of the drain (5 s), the file closed, and the exit is clean. */
Test(static, sigterm_mid_stream)
{
	fixture();
	int f = open(sk_path("huge.bin"), O_WRONLY | O_CREAT, 0644);
	cr_assert(f >= 0);
	cr_assert_eq(ftruncate(f, 256 << 20), 0);
	close(f);
	sk_serve(NULL);
	int slow = tc_connect_rcvbuf(sk_srv.port, 4096);
	tc_send_str(slow, tc_get("/huge.bin"));
	cr_assert_gt(recv(slow, sk_rbuf, 4096, 0), 0);
	double t0 = tc_now_s();
	cr_assert_eq(srvp_stop(&sk_srv), 0);
	cr_assert_lt(tc_now_s() - t0, 8.0);
	close(slow);
}

/* Out of descriptors when opening the file (EMFILE): 503, the connection
 * kept, and served again once a descriptor is free.  The server's
 * descriptor limit is lowered from outside (prlimit) to one above its
 * highest open descriptor; connections are opened, each asking for a file,
 * until one takes the last descriptor and its file cannot be opened.  The
 * open-file cache is off: with it, hello.txt is served from memory after
 * the first request, and cached descriptors are given back before a 503
 * (static_cache::out_of_descriptors_sheds_entries). */
Test(static, out_of_descriptors_503)
{
	fixture();
	const char *flags[] = {"--file-cache-entries", "0", NULL};
	sk_serve(flags);
	struct rlimit old;
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit: %s",
		     strerror(errno));
	int max_fd;
	srvp_fd_count(&sk_srv, &max_fd);
	struct rlimit low = {(rlim_t)max_fd + 2, old.rlim_max};
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, &low, NULL), 0, "prlimit: %s",
		     strerror(errno));
	int fds[32], n = 0, got503 = -1;
	while (n < 32 && got503 < 0) {
		int fd = tc_connect(sk_srv.port);
		fds[n++] = fd;
		sk_ask(fd, tc_get("/hello.txt"), 0);
		int st = tc_status_of(sk_rbuf);
		if (st == 503)
			got503 = fd;
		else
			cr_assert_eq(st, 200, "%s", sk_rbuf);
	}
	cr_assert_geq(got503, 0, "no 503 in %d connections", n);
	cr_assert_str_eq(tc_body_of(sk_rbuf),
			 "503 Service Unavailable: out of file descriptors or memory\n");
	cr_assert_null(tc_hval(sk_rbuf, "Connection"), "the connection is kept: %s", sk_rbuf);
	/* a descriptor freed: the same connection is served */
	close(fds[0]);
	int served = 0;
	for (int t = 0; t < 200 && !served; t++) {
		sk_ask(got503, tc_get("/hello.txt"), 0);
		served = tc_status_of(sk_rbuf) == 200;
		if (!served)
			tc_sleep_ms(10); /* the server has not seen the close yet */
	}
	cr_assert(served, "still %d after a descriptor was freed", tc_status_of(sk_rbuf));
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	cr_assert_eq(prlimit(sk_srv.pid, RLIMIT_NOFILE, &old, NULL), 0);
	for (int i = 1; i < n; i++)
		close(fds[i]);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}

/* An open that fails with an error the table does not name: 500.  Here
 * EWOULDBLOCK: a write lease held on the file makes the server's
 * non-blocking open fail rather than wait for the lease to be broken. */
Test(static, open_error_500)
{
	start();
	sk_put_file("leased.txt", SK_HELLO, strlen(SK_HELLO));
	signal(SIGIO, SIG_IGN); /* the lease-break notice */
	int fd = open(sk_path("leased.txt"), O_RDONLY);
	cr_assert(fd >= 0);
	if (fcntl(fd, F_SETLEASE, F_WRLCK) != 0)
		cr_skip_test("no write lease on this filesystem: %s", strerror(errno));
	int c = tc_connect(sk_srv.port);
	sk_ask(c, tc_get("/leased.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 500, "%s", sk_rbuf);
	cr_assert_str_eq(tc_body_of(sk_rbuf), "500 Internal Server Error: cannot open the file\n");
	cr_assert_null(tc_hval(sk_rbuf, "Connection"), "the connection is kept: %s", sk_rbuf);
	/* counted as an error; the same connection goes on */
	sk_ask(c, tc_get("/hello.txt"), 0);
	cr_assert_str_eq(tc_body_of(sk_rbuf), SK_HELLO);
	cr_assert_eq(fcntl(fd, F_SETLEASE, F_UNLCK), 0);
	close(fd);
	sk_ask(c, tc_get("/leased.txt"), 0);
	cr_assert_eq(tc_status_of(sk_rbuf), 200, "the lease gone: %s", sk_rbuf);
	close(c);
	cr_assert_eq(srvp_stop(&sk_srv), 0, "%s", srvp_log(&sk_srv));
}
