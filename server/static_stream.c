/*
 * The body of a static response by read-and-send, queued as the sends
 * drain: file bytes read with pread(2) straight into the connection's
 * pending output, and for multipart/byteranges the part headers and the
 * closing delimiter between them.  Used for small files the open-file
 * cache does not keep, multipart bodies, and every body under
 * RB_FAULTS=no-zerocopy; a larger single run goes by sendfile instead
 * (srv_static_body, srv_send_file), and srv_static_fill then only sees
 * whether it is done.
 *
 * Why pread on the worker thread, not IORING_OP_READ: a file that is being
 * served is almost always in the page cache, where pread is a copy; it
 * keeps one operation per connection fewer in flight (and so one lifecycle
 * rule simpler).  A cold file on a slow disk stalls this worker for the
 * length of a read of at most SRV_STREAM_CHUNK bytes.
 */
#include "static_file.h"
#include "fmt.h"
#include "http_response.h"

#include "rb_log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

size_t srv_static_part_head(const srv_static *st, uint32_t i, char *out)
{
	char *p = out;
	if (i) /* the CRLF before a delimiter belongs to it (RFC 2046 5.1.1) */
		p = srv_put_str(p, "\r\n");
	p = srv_put_str(p, "--");
	p = srv_put_str(p, st->boundary);
	p = srv_put_str(p, "\r\nContent-Type: ");
	p = srv_put_str(p, st->ctype);
	p = srv_put_str(p, "\r\nContent-Range: bytes ");
	p = srv_put_dec(p, st->ranges[i].first);
	*p++ = '-';
	p = srv_put_dec(p, st->ranges[i].last);
	*p++ = '/';
	p = srv_put_dec(p, st->size);
	p = srv_put_str(p, "\r\n\r\n");
	return (size_t)(p - out);
}

size_t srv_static_part_end(const srv_static *st, char *out)
{
	char *p = srv_put_str(out, "\r\n--");
	p = srv_put_str(p, st->boundary);
	p = srv_put_str(p, "--\r\n");
	return (size_t)(p - out);
}

/* The file could not be read as promised: the connection fails (the
 * client sees the body cut short, the one way to tell it). */
static void srv_stream_fail(srv_http *h, srv_conn *c, int err)
{
	rb_log("worker %d: static file read (%s); closing the connection mid-response",
	       h->worker_id, err ? strerror(err) : "end of file before the promised length");
	SRV_STAT_ADD(h->wr.stats, errors, 1);
	srv_static_drop(c);
	srv_conn_fail(c);
}

/* Out of memory for the body: the connection fails. */
static void srv_stream_oom(srv_http *h, srv_conn *c)
{
	srv_static_drop(c);
	srv_resp_oom(&h->wr, c, "static body");
}

int srv_static_fill(srv_http *h, srv_conn *c)
{
	srv_static *st = c->x->st;
	if (st->zc) { /* the worker sends the run (srv_send_file); done once it has */
		if (c->x->zc_left)
			return 0;
		srv_static_drop(c);
		return 1;
	}
	rb_buf *out = srv_conn_pending(c);
	char head[SRV_PART_HEAD_MAX];
	while (out->len < SRV_STREAM_CHUNK) {
		if (st->left == 0) {
			size_t n = 0;
			if (st->multipart && st->part < st->nranges) {
				const srv_range *r = &st->ranges[st->part];
				n = srv_static_part_head(st, st->part, head);
				st->off = r->first;
				st->left = r->last - r->first + 1;
				st->part++;
			} else if (st->multipart && !st->closed) {
				n = srv_static_part_end(st, head);
				st->closed = 1;
			} else {
				srv_static_drop(c);
				return 1;
			}
			if (rb_buf_append(out, head, n)) {
				srv_stream_oom(h, c);
				return 0;
			}
			continue;
		}
		size_t room = SRV_STREAM_CHUNK - out->len;
		size_t want = st->left < room ? (size_t)st->left : room;
		if (rb_buf_reserve(out, want)) {
			srv_stream_oom(h, c);
			return 0;
		}
		ssize_t n = pread(c->x->file_fd, out->data + out->len, want, (off_t)st->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The file shrank (or the disk failed) after its length
			 * went out in Content-Length: only closing tells the
			 * client the body is incomplete. */
			srv_stream_fail(h, c, n < 0 ? errno : 0);
			return 0;
		}
		out->len += (size_t)n;
		st->off += (uint64_t)n;
		st->left -= (uint64_t)n;
	}
	return 0;
}
