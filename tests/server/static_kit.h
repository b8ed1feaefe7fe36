/*
 * What the static-file suites (static, static_cache) share: a fixture
 * directory whose root/ is served and whose secret.txt must never be, files
 * written under the root with a known modification time and content, one
 * rbserver worker on it, and the last response read.
 *
 * Like the harness, every helper asserts (Criterion) instead of returning
 * errors.
 */
#ifndef SRV_TEST_STATIC_KIT_H
#define SRV_TEST_STATIC_KIT_H

#include "harness.h"

#include <stddef.h>
#include <time.h>

/* The modification time sk_put_file gives a file: an old, fixed one, so
 * Last-Modified is known and strong. */
#define SK_LM_SEC 784111777
#define SK_LM_STR "Sun, 06 Nov 1994 08:49:37 GMT"
/* root/hello.txt */
#define SK_HELLO "Hello, static!\n"

/* The server under test; sk_fini stops it if a test did not. */
extern srvp sk_srv;
/* The fixture (mkdtemp'd): sk_root (sk_dir/root) is served,
 * sk_dir/secret.txt ("SECRET\n") must never be. */
extern char sk_dir[64];
extern char sk_root[96];

/* The last response sk_ask or sk_fetch read, Date masked, NUL-terminated.
 * Large enough for a 5 MiB body, or a pipelined batch holding two. */
#define SK_RBUF_SIZE (12u << 20)
extern char sk_rbuf[SK_RBUF_SIZE];

/* Make the fixture in /tmp/rbserver-NAME-XXXXXX with what every static test
 * may ask for: hello.txt, index.html, sub/ (index.html, page.css), the
 * symlinks link_in (to hello.txt), link_out and link_abs (to the secret,
 * relative and absolute), dirlink_out (to the fixture) and a FIFO, fifo. */
void sk_fixture(const char *name);

/* For TestSuite's .fini: kill the server if it runs, remove the fixture,
 * free the test's sk_pattern buffers. */
void sk_fini(void);

/* sk_root/rel, in one of four static buffers used in turn. */
char *sk_path(const char *rel);

/* Byte i of pattern seed (0 to 249): not periodic in any power of two, and
 * each seed's bytes differ from the others'. */
unsigned char sk_pat(size_t i, unsigned seed);

/* len bytes of pattern seed, the test's to change; sk_fini frees them, so a
 * test that fails midway leaves no buffer for LeakSanitizer to report. */
unsigned char *sk_pattern(size_t len, unsigned seed);

/* Write rel under the root (created or truncated) with modification time
 * mtime (nanoseconds .123456789, so the ETag sees them). */
void sk_put_file_at(const char *rel, const void *data, size_t len, time_t mtime);

/* The same at SK_LM_SEC. */
void sk_put_file(const char *rel, const void *data, size_t len);

/* rel holding len bytes of pattern seed, at SK_LM_SEC. */
void sk_put_pattern(const char *rel, size_t len, unsigned seed);

/* Write name in sk_dir, outside the root, holding data (which starts with
 * "SECRET": sk_fetch fails the test if a response holds it).  Returns its
 * absolute path, in a static buffer the next call reuses. */
const char *sk_put_outside(const char *name, const char *data);

/* Start one worker on the fixture's root (--root, --threads 1) with the
 * NULL-terminated extra flags (NULL: none); extra --threads wins. */
void sk_serve(const char *const *extra);

/* Send raw on fd and read one response (HEAD if head) into sk_rbuf, Date
 * masked.  Returns its length (bodies may hold NUL bytes). */
size_t sk_ask(int fd, const char *raw, int head);

/* GET (or HEAD) path on a fresh connection into sk_rbuf, Date masked;
 * returns the length.  A connection cut short leaves a partial response.
 * Fails the test if the secret was served. */
size_t sk_fetch(const char *path, int head);

/* sk_fetch's GET: the response's status. */
int sk_get_status(const char *path);

/* The ETag the server must give rel: size, mtime in ns and inode, in hex.
 * Two static buffers in turn: two can be compared. */
const char *sk_etag_of(const char *rel);

/* Mask what differs between two fetches of the same responses in b[0, n):
 * each Date value, and the 16 random digits of each multipart boundary.
 * (Bodies hold NUL bytes: tc_mask_date stops at the first.)  Returns the
 * new length. */
size_t sk_mask_all(char *b, size_t n);

/* The n requests' responses, each sent alone on one connection (HEAD where
 * bit i of head_mask is set), masked by sk_mask_all, one after another into
 * want[0, cap): what the same requests pipelined must get.  Returns their
 * length. */
size_t sk_responses_alone(const char *const *reqs, int n, unsigned head_mask, char *want,
			  size_t cap);

/* The n requests on a fresh connection in one write (chunk 0), or chunk
 * bytes a write 1 ms apart: the n responses, masked, must be want[0, wlen)
 * byte for byte. */
void sk_expect_pipelined(const char *const *reqs, int n, unsigned head_mask, size_t chunk,
			 const char *want, size_t wlen);

/* A request-target and the status it must get. */
typedef struct sk_target {
	const char *target;
	int status;
} sk_target;

/* The traversal rows both suites run: every encoding of a climb above the
 * root, symlinks out of it, NUL bytes, a file named as a directory; and
 * the paths that stay inside, served. */
extern const sk_target sk_traversal[];
extern const size_t sk_traversal_rows;

/* GET each of the n targets on a fresh connection: cr_expect its status
 * (so every row is reported, not only the first that fails); what names
 * the run in the messages. */
void sk_expect_statuses(const sk_target *rows, size_t n, const char *what);
#endif
