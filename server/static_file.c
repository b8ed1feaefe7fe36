/*
 * Deciding a static response (srv_static_prepare): path, open beneath the
 * root, validators, preconditions, Range; and queuing its head
 * (srv_static_respond).
 */
#include "static_file.h"
#include "fmt.h"
#include "http_cond.h"
#include "http_path.h"
#include "http_response.h"
#include "mime.h"
#include "static_open.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRV_HDR(m, buf, lit, from) rp_find_header(m, buf, lit, sizeof(lit) - 1, from)

static void srv_static_error(srv_request *r, int status, const char *detail)
{
	r->route = SRV_R_ERROR;
	r->status = (uint16_t)status;
	r->detail = detail;
	r->extra = NULL;
}

/* An open (or stat) that failed: what the client is told.  Whether a path
 * leads outside the root (EXDEV) or nowhere, it is not here: 404. */
static void srv_static_open_error(srv_http *h, srv_request *r, int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case EXDEV:
	case ENAMETOOLONG:
		srv_static_error(r, 404, "no such file");
		break;
	case EACCES:
	case EPERM:
		srv_static_error(r, 403, "permission denied");
		break;
	case ENXIO:  /* a UNIX socket, or a FIFO with no writer (O_NONBLOCK) */
	case ENODEV: /* not a regular file (srv_static_resolve), or a device
		      * with no driver: a file swapped in after the O_PATH look */
		srv_static_error(r, 403, "not a regular file");
		break;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		SRV_STAT_ADD(h->wr.stats, errors, 1);
		srv_static_error(r, 503, "out of file descriptors or memory");
		break;
	default:
		SRV_STAT_ADD(h->wr.stats, errors, 1);
		srv_static_error(r, 500, "cannot open the file");
		break;
	}
}

/* Append a header line (name and value, CRLF added) to st->extra, which
 * stays NUL-terminated (the NUL not counted) for srv_resp_head(). */
static int srv_extra(srv_static *st, const char *name, const char *v, size_t vlen)
{
	size_t nlen = strlen(name);
	if (rb_buf_reserve(&st->extra, nlen + vlen + 3))
		return -1;
	rb_buf_append(&st->extra, name, nlen);
	rb_buf_append(&st->extra, v, vlen);
	rb_buf_append(&st->extra, "\r\n", 2);
	st->extra.data[st->extra.len] = '\0';
	return 0;
}

/* The ETag: size, modification time in nanoseconds and inode, in hex.  A
 * file rewritten in place within the same nanosecond with the same size
 * keeps its tag; nothing cheaper tells those apart. */
static size_t srv_etag_make(const struct stat *sb, char *out)
{
	char *p = out;
	*p++ = '"';
	p = srv_put_hex(p, (uint64_t)sb->st_size);
	*p++ = '-';
	p = srv_put_hex(p,
			(uint64_t)sb->st_mtim.tv_sec * 1000000000u + (uint64_t)sb->st_mtim.tv_nsec);
	*p++ = '-';
	p = srv_put_hex(p, (uint64_t)sb->st_ino);
	*p++ = '"';
	*p = '\0';
	return (size_t)(p - out);
}

/* A boundary no file is likely to contain: a per-worker sequence mixed
 * (splitmix64) from a seed taken at start-up. */
static void srv_boundary_make(srv_http *h, char *out)
{
	uint64_t z = (h->boundary_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	static const char digits[] = "0123456789abcdef";
	memcpy(out, "rbserver", 8);
	for (int i = 0; i < 16; i++)
		out[8 + i] = digits[(z >> (60 - 4 * i)) & 15];
	out[SRV_BOUNDARY_LEN] = '\0';
}

/* A byte that may stand for itself in a path segment (RFC 3986 pchar less
 * '%': unreserved, sub-delims, ':' and '@'). */
static int srv_pchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("-._~!$&'()*+,;=:@", ch));
}

/* 301 to the directory's URL with a slash: "/" + rel + "/", rel being the
 * normalised path relative to the root (h->path), percent-encoded, and the
 * query if any (raw, syntax checked by the parser, so safe in a header).
 * Never the raw target path: "//evil.example/../sub" would give the
 * network-path reference "//evil.example/../sub/", another host to a
 * browser.  rel has no empty segment, so the result starts with exactly
 * one '/'. */
static int srv_static_redirect(srv_static *st, const char *buf, const rp_target_parts *tp,
			       const char *rel, size_t rel_len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t qlen = tp->query.len;
	rb_buf *x = &st->extra;
	if (rb_buf_reserve(x, sizeof("Location: //?\r\n") + 3 * rel_len + qlen))
		return -1;
	rb_buf_append(x, "Location: /", 11);
	for (size_t i = 0; i < rel_len; i++) {
		unsigned char ch = (unsigned char)rel[i];
		if (ch == '/' || srv_pchar(ch)) {
			x->data[x->len++] = (char)ch;
		} else {
			x->data[x->len++] = '%';
			x->data[x->len++] = hex[ch >> 4];
			x->data[x->len++] = hex[ch & 15];
		}
	}
	if (rel_len)
		rb_buf_append(x, "/", 1);
	if (qlen) {
		rb_buf_append(x, "?", 1);
		rb_buf_append(x, rp_ptr(buf, tp->query), qlen);
	}
	rb_buf_append(x, "\r\n", 2);
	x->data[x->len] = '\0';
	st->status = 301;
	return 0;
}

/* Open h->path (a normalised relative path) and stat it: the descriptor,
 * or -errno.  The name is first opened O_PATH and fstat'ed, and only a
 * regular file is then opened for reading: a socket (ENXIO), a FIFO or a
 * device is never opened for real (a device's open can have side effects,
 * a tape rewinds), and gets its O_PATH descriptor back, which the caller
 * refuses (403) after its S_ISDIR / S_ISREG checks.  The read open
 * resolves the name again: sb is from that descriptor, so a file swapped
 * in between is judged by what was actually opened. */
static int srv_static_open(srv_http *h, struct stat *sb)
{
	int pfd = srv_open_beneath(&h->root, h->path, SRV_OPEN_PATH);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, sb)) {
		int err = errno;
		close(pfd);
		return -err;
	}
	if (S_ISLNK(sb->st_mode)) { /* the walk: O_PATH | O_NOFOLLOW opened the link itself */
		close(pfd);
		return -ELOOP;
	}
	if (!S_ISREG(sb->st_mode))
		return pfd;
	close(pfd);
	int fd = srv_open_beneath(&h->root, h->path, SRV_OPEN_READ);
	if (fd < 0)
		return fd;
	if (fstat(fd, sb)) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* srv_static_resolve's answer for a directory named without its '/'. */
#define SRV_RESOLVED_DIR (-100000)

/* What h->path (*rel_len bytes; dir: the request named a directory by its
 * form) leads to, the same way for a miss and a revalidation: a regular
 * file's descriptor (with *sb), SRV_RESOLVED_DIR, or -errno (-ENODEV: not
 * a regular file).  A directory named with its '/' is served by its
 * index.html, found from the root again so the same containment applies
 * (h->path and *rel_len then name it). */
static int srv_static_resolve(srv_http *h, size_t *rel_len, int dir, struct stat *sb)
{
	int fd = srv_static_open(h, sb);
	if (fd >= 0 && dir && !S_ISDIR(sb->st_mode)) {
		/* "/hello.txt/": a trailing slash names a directory, and a file
		 * is not one (what the kernel says of "hello.txt/": ENOTDIR). */
		close(fd);
		return -ENOTDIR;
	}
	if (fd >= 0 && S_ISDIR(sb->st_mode)) {
		close(fd);
		if (!dir)
			return SRV_RESOLVED_DIR;
		size_t n = *rel_len;
		if (n == 1 && h->path[0] == '.')
			n = 0;
		else
			h->path[n++] = '/';
		memcpy(h->path + n, "index.html", sizeof("index.html"));
		*rel_len = n + sizeof("index.html") - 1;
		fd = srv_static_open(h, sb);
	}
	if (fd >= 0 && !S_ISREG(sb->st_mode)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/* srv_static_resolve, and once more after closing cached descriptors when
 * the process ran out of them. */
static int srv_static_resolve_or_shed(srv_http *h, size_t *rel_len, int dir, struct stat *sb)
{
	size_t len = *rel_len;
	int fd = srv_static_resolve(h, rel_len, dir, sb);
	if ((fd == -EMFILE || fd == -ENFILE) && srv_file_cache_shed(&h->files)) {
		/* the index.html step may have rewritten the path ("." for
		 * the root becomes "index.html"): h->key holds it whole */
		memcpy(h->path, h->key, len);
		h->path[len] = '\0';
		*rel_len = len;
		fd = srv_static_resolve(h, rel_len, dir, sb);
	}
	return fd;
}

/* The Range field, once the preconditions passed: sets st->status to 206
 * or 416 (or leaves 200) and the ranges. */
static void srv_static_range(srv_http *h, srv_conn *c, const char *buf, const srv_validators *v)
{
	const rp_message *m = &c->x->m;
	srv_static *st = c->x->st;
	int i = SRV_HDR(m, buf, "Range", 0);
	/* RFC 9110 14.2: only GET has range semantics; a Range on two lines
	 * is not one ranges-specifier, and is ignored. */
	if (i < 0 || m->method_id != RP_M_GET || SRV_HDR(m, buf, "Range", (uint32_t)i + 1) >= 0 ||
	    !srv_if_range_holds(m, buf, v, h->wr.date.sec))
		return;
	rp_span s = m->headers[i].value;
	unsigned n;
	srv_range_result rr = srv_range_parse(rp_ptr(buf, s), s.len, st->size, st->ranges, &n);
	if (rr == SRV_RANGE_IGNORE)
		return;
	if (rr == SRV_RANGE_UNSATISFIABLE) {
		st->status = 416;
		return;
	}
	st->status = 206;
	st->nranges = n;
	st->multipart = n > 1;
	if (!st->multipart) {
		st->clen = st->ranges[0].last - st->ranges[0].first + 1;
		return;
	}
	srv_boundary_make(h, st->boundary);
	char *p = srv_put_str(st->mp_ctype, "multipart/byteranges; boundary=");
	p = srv_put_str(p, st->boundary);
	*p = '\0';
	char tmp[SRV_PART_HEAD_MAX];
	st->clen = srv_static_part_end(st, tmp);
	for (unsigned k = 0; k < n; k++)
		st->clen += srv_static_part_head(st, k, tmp) + st->ranges[k].last -
			    st->ranges[k].first + 1;
}

/* ETag, Last-Modified, Accept-Ranges, Content-Range as the status needs. */
static int srv_static_headers(srv_static *st, const srv_validators *v)
{
	char line[80];
	if (st->status == 416) {
		char *p = srv_put_str(line, "bytes */");
		p = srv_put_dec(p, st->size);
		return srv_extra(st, "Content-Range: ", line, (size_t)(p - line));
	}
	if (st->status == 412)
		return 0;
	char date[RB_HTTPDATE_LEN + 1];
	rb_httpdate_format(v->last_modified, date);
	if (srv_extra(st, "ETag: ", v->etag, v->etag_len) ||
	    srv_extra(st, "Last-Modified: ", date, RB_HTTPDATE_LEN))
		return -1;
	if (st->status == 304)
		return 0;
	if (srv_extra(st, "Accept-Ranges: ", "bytes", 5))
		return -1;
	if (st->status == 206 && !st->multipart) {
		char *p = srv_put_str(line, "bytes ");
		p = srv_put_dec(p, st->ranges[0].first);
		*p++ = '-';
		p = srv_put_dec(p, st->ranges[0].last);
		*p++ = '/';
		p = srv_put_dec(p, st->size);
		return srv_extra(st, "Content-Range: ", line, (size_t)(p - line));
	}
	return 0;
}

/* The file the request names, from the cache or opened for it alone:
 * sets x->file (a referenced entry) or x->file_fd (owned), with st's size,
 * media type and ETag, and returns 0; or returns what srv_static_resolve
 * said (SRV_RESOLVED_DIR or -errno).  The key is the normalised path and
 * whether it named a directory, so "dir/" and "dir" are two keys. */
static int srv_static_find(srv_http *h, srv_exchange *x, size_t rel_len, int dir, time_t *mtime)
{
	srv_static *st = x->st;
	time_t now = h->wr.date.sec;
	size_t key_len = rel_len + (dir ? 1 : 0);
	int stale = 0;
	if (dir)
		h->path[rel_len] = '/';
	srv_file *f = srv_file_lookup(&h->files, h->path, key_len, now, &stale);
	h->path[rel_len] = '\0';
	if (!f || stale) {
		/* The key outlives h->path, which the index.html step changes. */
		memcpy(h->key, h->path, rel_len);
		h->key[rel_len] = '/';
		struct stat sb;
		int fd = srv_static_resolve_or_shed(h, &rel_len, dir, &sb);
		if (f)
			f = srv_file_cache_revalidated(&h->files, f, fd, &sb, now);
		if (!f) {
			if (fd < 0)
				return fd;
			const char *ctype = srv_mime_type(h->path, rel_len);
			char etag[SRV_ETAG_MAX];
			size_t etag_len = srv_etag_make(&sb, etag);
			f = srv_file_insert(&h->files, h->key, key_len, fd, &sb, ctype, etag,
					    etag_len, now);
			if (!f) { /* not kept: served from this descriptor alone */
				x->file_fd = fd;
				x->file_open = 1;
				st->size = (uint64_t)sb.st_size;
				st->ctype = ctype;
				memcpy(st->etag, etag, etag_len + 1);
				st->etag_len = (uint8_t)etag_len;
				*mtime = sb.st_mtim.tv_sec;
				return 0;
			}
		}
	}
	x->file = f;
	x->file_fd = f->fd;
	x->file_open = 1;
	st->size = f->meta.size;
	st->ctype = f->ctype;
	memcpy(st->etag, f->etag, f->etag_len);
	st->etag[f->etag_len] = '\0';
	st->etag_len = f->etag_len;
	*mtime = f->meta.mtime.tv_sec;
	return 0;
}

void srv_static_prepare(srv_http *h, srv_conn *c, const char *buf)
{
	srv_exchange *x = c->x;
	const rp_message *m = &x->m;
	srv_request *r = &x->req;
	if (m->method_id != RP_M_GET && m->method_id != RP_M_HEAD) {
		srv_static_error(r, 405, "static files take GET or HEAD");
		r->extra = "Allow: GET, HEAD\r\n";
		return;
	}
	if (!x->st && !(x->st = rb_buf_alloc(sizeof(*x->st)))) {
		srv_resp_oom(&h->wr, c, "static state");
		return;
	}
	srv_static *st = x->st;
	rb_buf_reset(&st->extra);
	st->status = 200;
	st->multipart = 0;
	st->nranges = 0;

	rp_target_parts tp;
	rp_target_split(m, buf, &tp);
	size_t rel_len;
	int dir;
	srv_path_err pe = srv_path_normalize(tp.path.len ? rp_ptr(buf, tp.path) : "/",
					     tp.path.len ? tp.path.len : 1, h->path,
					     h->path_cap - sizeof("/index.html"), &rel_len, &dir);
	if (pe != SRV_PATH_OK) {
		srv_static_error(r, 400, srv_path_err_text(pe));
		return;
	}
	time_t mtime;
	int rc = srv_static_find(h, x, rel_len, dir, &mtime);
	if (rc == SRV_RESOLVED_DIR) {
		if (srv_static_redirect(st, buf, &tp, h->path, rel_len)) {
			srv_resp_oom(&h->wr, c, "static headers");
			return;
		}
		r->route = SRV_R_STATIC;
		return;
	}
	if (rc < 0) {
		srv_static_open_error(h, r, -rc);
		return;
	}

	st->clen = st->size;
	/* RFC 9110 8.8.2.1: Last-Modified is never later than the Date sent
	 * (the worker's current second): a file dated in the future is sent
	 * as modified now.  The preconditions and If-Range compare this same
	 * clamped value; the ETag keeps the real mtime. */
	st->lm = mtime < h->wr.date.sec ? mtime : h->wr.date.sec;
	srv_validators v = {.etag = st->etag, .etag_len = st->etag_len, .last_modified = st->lm};
	int cs = srv_cond_evaluate(m, buf, &v, h->wr.date.sec);
	if (cs)
		st->status = (uint16_t)cs;
	else
		srv_static_range(h, c, buf, &v);
	r->route = SRV_R_STATIC;
}

/* The kept response of x->file for this Date second: its head rewritten
 * when the second changed (in place: its length does not change), or
 * written and the body read in on the first request that can use it.
 * Returns 0 when f->resp can be sent, 1 when the file is served the other
 * way, -1 when out of memory (the connection fails). */
static int srv_static_kept(srv_http *h, srv_static *st, srv_file *f)
{
	if (f->resp && f->head_sec == h->wr.date.sec)
		return 0;
	if (!f->resp &&
	    (f->unkept_sec == h->wr.date.sec || f->meta.size > h->files.inline_max || !f->linked))
		return 1;
	srv_validators v = {.etag = st->etag, .etag_len = st->etag_len, .last_modified = st->lm};
	rb_buf_reset(&st->extra);
	if (srv_static_headers(st, &v))
		return -1;
	char head[512];
	if (srv_resp_head_room(200, f->ctype, st->extra.data) > sizeof(head)) {
		rb_buf_reset(&st->extra);
		return 1;
	}
	size_t n = (size_t)(srv_resp_head_at(&h->wr, head, 200, f->ctype, f->meta.size,
					     st->extra.data) -
			    head);
	rb_buf_reset(&st->extra);
	if (!f->resp && srv_file_keep_body(&h->files, f, n, h->wr.date.sec))
		return 1;
	if (n != f->head_len)
		return 1;
	memcpy(f->resp, head, n);
	f->head_sec = h->wr.date.sec;
	return 0;
}

/* Where the body goes from: the file's bytes [off, off + len) are queued by
 * srv_static_fill, or left to the worker's sendfile (x->zc_*) when they are
 * more than --file-cache-inline bytes and the switch allows it. */
static void srv_static_body(srv_http *h, srv_conn *c, uint64_t off, uint64_t len)
{
	srv_exchange *x = c->x;
	srv_static *st = x->st;
	st->part = 0;
	st->closed = 0;
	int zc = c->ktls_tx ? h->zerocopy_ktls : h->zerocopy; /* kTLS TX: the kernel seals */
	st->zc = zc && !st->multipart && len > h->cfg->file_cache_inline;
	if (st->zc) {
		st->left = 0;
		x->zc_off = off;
		x->zc_left = len;
		srv_conn_stream(c);
		return;
	}
	st->off = off;
	st->left = st->multipart ? 0 : len; /* multipart: the first part's header first */
	/* A file that fits is queued whole now, so pipelined requests for
	 * small files go out in the batch's one send; the rest of a larger
	 * one follows as the sends drain. */
	if (!srv_static_fill(h, c))
		srv_conn_stream(c);
}

void srv_static_respond(srv_http *h, srv_conn *c)
{
	srv_exchange *x = c->x;
	srv_static *st = x->st;
	int kept = 1;
	if (st->status == 200 && x->file && x->req.keep_alive && !x->req.http10)
		kept = srv_static_kept(h, st, x->file);
	if (kept == 0) {
		srv_file *f = x->file;
		srv_resp_kept(&h->wr, c, 200, f->resp, x->req.head ? f->head_len : f->resp_len);
		srv_static_drop(c);
		return;
	}
	srv_validators v = {.etag = st->etag, .etag_len = st->etag_len, .last_modified = st->lm};
	if (kept < 0 || (st->status != 301 && srv_static_headers(st, &v))) {
		srv_static_drop(c);
		srv_resp_oom(&h->wr, c, "static headers");
		return;
	}
	const char *extra = st->extra.len ? st->extra.data : NULL;
	switch (st->status) {
	case 301:
		srv_resp_error(&h->wr, c, 301, "a directory: its URL ends in /", extra);
		return;
	case 304:
		/* No Content-Length: RFC 9110 8.6 allows the 200's, but
		 * clients built on http-parser (wrk) then wait for a body;
		 * nginx and h2o send none either. */
		srv_static_drop(c);
		srv_resp_head(&h->wr, c, 304, NULL, SRV_NO_LENGTH, extra);
		return;
	case 412:
		srv_static_drop(c);
		srv_resp_error(&h->wr, c, 412, "a precondition does not hold", NULL);
		return;
	case 416:
		srv_static_drop(c);
		srv_resp_error(&h->wr, c, 416, "no satisfiable range", extra);
		return;
	}
	srv_resp_head(&h->wr, c, st->status, st->multipart ? st->mp_ctype : st->ctype, st->clen,
		      extra);
	if (!x->file_open || c->state != SRV_CS_OPEN || x->req.head) {
		srv_static_drop(c);
		return;
	}
	if (st->status == 206 && !st->multipart)
		srv_static_body(h, c, st->ranges[0].first, st->clen);
	else
		srv_static_body(h, c, 0, st->status == 200 ? st->size : 0);
}

void srv_static_close(srv_exchange *x)
{
	if (x->file)
		srv_file_put(x->file);
	else if (x->file_open)
		close(x->file_fd);
	x->file = NULL;
	x->file_open = 0;
	x->zc_left = 0;
}

void srv_static_drop(srv_conn *c)
{
	if (c->x)
		srv_static_close(c->x);
}

void srv_static_free(srv_static *st)
{
	if (!st)
		return;
	rb_buf_free(&st->extra);
	free(st);
}
