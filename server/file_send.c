#include "file_send.h"

#include "rb_log.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

/* One sendfile call at most this much: the socket's buffer takes less
 * anyway, and the count stays well inside ssize_t. */
#define SRV_SENDFILE_MAX (16u << 20)

/* The bytes sent (0: the socket took nothing), or -errno; -ENODATA when
 * the file ended early. */
static ssize_t srv_send_file_some(srv_worker *w, srv_conn *c)
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

int srv_send_file(srv_worker *w, srv_conn *c)
{
	ssize_t sent = srv_send_file_some(w, c);
	if (sent >= 0) {
		if (sent > 0 && c->timer_kind == SRV_T_WRITE)
			srv_timer_set(&w->timers, c, SRV_T_WRITE, w->now_ms, 1); /* progress */
		return 0;
	}
	if (sent == -ENODATA) {
		rb_log("worker %d: static file read (end of file before the promised length); "
		       "closing the connection mid-response",
		       w->id);
		SRV_STAT_ADD(&w->stats, errors, 1);
	} else if (rb_res_kind((int)sent) == RB_RES_RESET) {
		SRV_STAT_ADD(&w->stats, resets, 1);
	} else {
		SRV_STAT_ADD(&w->stats, errors, 1);
	}
	srv_conn_fail(c);
	return -1;
}
