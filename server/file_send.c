#include "file_send.h"

#include "rb_faults.h"
#include "rb_log.h"

#include <stdint.h>

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

/* The run's bytes sent (0: the socket took none), or -errno; -ENODATA
 * when the file ended early; *progress set when any byte went. */
static int64_t srv_send_file_some(srv_worker *w, srv_conn *c, uint64_t max, int *progress)
{
	srv_exchange *x = c->x;
	/* RB_FAULTS=short-send: the queued bytes go 7 at a time, as the
	 * ring's sends do (the run itself is not cut: 7-byte sendfiles of
	 * a large file would take minutes). */
	size_t cap = rb_faults() & RB_FAULT_SHORT_SEND ? 7 : SIZE_MAX;
	int64_t total = 0;
	rb_buf *s;
	while ((s = srv_conn_next_send(c))) {
		size_t len = s->len - s->off < cap ? s->len - s->off : cap;
		ssize_t n =
			send(c->fd, s->data + s->off, len, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		s->off += (size_t)n;
		*progress = 1;
		SRV_STAT_ADD(&w->stats, sends, 1);
		SRV_STAT_ADD(&w->stats, bytes_out, n);
	}
	while (x->zc_left && (uint64_t)total < max) {
		off_t off = (off_t)x->zc_off;
		uint64_t want = x->zc_left < max - (uint64_t)total ? x->zc_left
								   : max - (uint64_t)total;
		ssize_t n = sendfile(c->fd, x->file_fd, &off, (size_t)want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? total : -errno;
		if (n == 0)
			return -ENODATA;
		x->zc_off += (uint64_t)n;
		x->zc_left -= (uint64_t)n;
		total += n;
		*progress = 1;
		SRV_STAT_ADD(&w->stats, bytes_out, n);
		SRV_STAT_ADD(&w->stats, sendfile_bytes, n);
	}
	return total;
}

int64_t srv_send_file(srv_worker *w, srv_conn *c, uint64_t max)
{
	int progress = 0;
	int64_t sent = srv_send_file_some(w, c, max, &progress);
	if (sent >= 0) {
		if (progress && c->timer_kind == SRV_T_WRITE)
			srv_timer_set(&w->timers, c, SRV_T_WRITE, w->now_ms, 1);
		return sent;
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
