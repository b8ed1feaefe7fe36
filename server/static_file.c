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
	case ENODEV: /* a device with no driver */
		/* Not reached when the O_PATH look (srv_static_open) sees the
		 * type first; left for a file swapped in between. */
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
	struct stat sb;
	int fd = srv_static_open(h, &sb);
	if (fd >= 0 && dir && !S_ISDIR(sb.st_mode)) {
		/* "/hello.txt/": a trailing slash names a directory, and a file
		 * is not one (what the kernel says of "hello.txt/": ENOTDIR). */
		close(fd);
		fd = -ENOTDIR;
	}
	if (fd >= 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		if (!dir) {
			if (srv_static_redirect(st, buf, &tp, h->path, rel_len)) {
				srv_resp_oom(&h->wr, c, "static headers");
				return;
			}
			r->route = SRV_R_STATIC;
			return;
		}
		/* A directory is served by its index.html, found from the root
		 * again so the same containment applies. */
		if (rel_len == 1 && h->path[0] == '.')
			rel_len = 0;
		else
			h->path[rel_len++] = '/';
		memcpy(h->path + rel_len, "index.html", sizeof("index.html"));
		rel_len += sizeof("index.html") - 1;
		fd = srv_static_open(h, &sb);
	}
	if (fd < 0) {
		srv_static_open_error(h, r, -fd);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		srv_static_error(r, 403, "not a regular file");
		return;
	}

	st->size = (uint64_t)sb.st_size;
	st->clen = st->size;
	st->ctype = srv_mime_type(h->path, rel_len);
	/* RFC 9110 8.8.2.1: Last-Modified is never later than the Date sent
	 * (the worker's current second): a file dated in the future is sent
	 * as modified now.  The preconditions and If-Range compare this same
	 * clamped value; the ETag keeps the real mtime. */
	time_t lm = sb.st_mtim.tv_sec < h->wr.date.sec ? sb.st_mtim.tv_sec : h->wr.date.sec;
	srv_validators v = {
		.etag = st->etag, .etag_len = srv_etag_make(&sb, st->etag), .last_modified = lm};
	int cs = srv_cond_evaluate(m, buf, &v, h->wr.date.sec);
	if (cs)
		st->status = (uint16_t)cs;
	else
		srv_static_range(h, c, buf, &v);
	if (srv_static_headers(st, &v)) {
		close(fd);
		srv_resp_oom(&h->wr, c, "static headers");
		return;
	}
	r->route = SRV_R_STATIC;
	if ((st->status == 200 || st->status == 206) && !r->head) {
		x->file_fd = fd;
		x->file_open = 1;
	} else {
		close(fd);
	}
}

void srv_static_respond(srv_http *h, srv_conn *c)
{
	srv_static *st = c->x->st;
	const char *extra = st->extra.len ? st->extra.data : NULL;
	switch (st->status) {
	case 301:
		srv_resp_error(&h->wr, c, 301, "a directory: its URL ends in /", extra);
		return;
	case 304:
		/* Content-Length as the 200 would have it (RFC 9110 8.6) */
		srv_resp_head(&h->wr, c, 304, NULL, st->size, extra);
		return;
	case 412:
		srv_resp_error(&h->wr, c, 412, "a precondition does not hold", NULL);
		return;
	case 416:
		srv_resp_error(&h->wr, c, 416, "no satisfiable range", extra);
		return;
	}
	srv_resp_head(&h->wr, c, st->status, st->multipart ? st->mp_ctype : st->ctype, st->clen,
		      extra);
	if (!c->x->file_open || c->state != SRV_CS_OPEN)
		return;
	if (st->status == 206 && !st->multipart) {
		st->off = st->ranges[0].first;
		st->left = st->clen;
	} else if (st->status == 200) {
		st->off = 0;
		st->left = st->size;
	} else {
		st->left = 0; /* multipart: the first part's header comes first */
	}
	st->part = 0;
	st->closed = 0;
	/* A file that fits is queued whole now, so pipelined requests for
	 * small files go out in the batch's one send; the rest of a larger
	 * one follows as the sends drain. */
	if (!srv_static_fill(h, c))
		srv_conn_stream(c);
}

void srv_static_drop(srv_conn *c)
{
	srv_exchange *x = c->x;
	if (x && x->file_open)
		close(x->file_fd);
	if (x)
		x->file_open = 0;
}

void srv_static_free(srv_static *st)
{
	if (!st)
		return;
	rb_buf_free(&st->extra);
	free(st);
}
