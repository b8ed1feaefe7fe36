#include "file_send.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

/* One sendfile call at most this much: the socket's buffer takes less
 * anyway, and the count stays well inside ssize_t. */
#define SRV_SENDFILE_MAX (16u << 20)

ssize_t srv_send_file(srv_worker *w, srv_conn *c)
{
	srv_exchange *x = c->x;
	ssize_t total = 0;
	rb_buf *s;
	while ((s = srv_conn_next_send(c))) {
		ssize_t n = send(c->fd, s->data + s->off, s->len - s->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? total : -errno;
		s->off += (size_t)n;
		total += n;
		SRV_STAT_ADD(&w->stats, sends, 1);
		SRV_STAT_ADD(&w->stats, bytes_out, n);
	}
	while (x->zc_left) {
		off_t off = (off_t)x->zc_off;
		size_t want = x->zc_left < SRV_SENDFILE_MAX ? (size_t)x->zc_left : SRV_SENDFILE_MAX;
		ssize_t n = sendfile(c->fd, x->file_fd, &off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? total : -errno;
		if (n == 0)
			return -ENODATA;
		x->zc_off += (uint64_t)n;
		x->zc_left -= (uint64_t)n;
		total += n;
		SRV_STAT_ADD(&w->stats, bytes_out, n);
		SRV_STAT_ADD(&w->stats, sendfile_bytes, n);
	}
	return total;
}
