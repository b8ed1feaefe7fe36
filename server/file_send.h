/*
 * A static file's body without the copy through user space: sendfile(2)
 * from the file (usually the open-file cache's descriptor) to the socket,
 * after the responses queued before it.
 *
 * Why sendfile on the worker thread and not IORING_OP_SPLICE: io_uring runs
 * every splice on an io-wq worker thread (the kernel forces it async), so
 * each file -> pipe -> socket pair costs two thread hand-offs; sendfile on
 * a socket that polled writable costs one system call, never blocks on the
 * socket (the accepted sockets are non-blocking) and, for a file in the
 * page cache, not on the file either.  A cold file on a slow disk stalls
 * the worker for one read, as the read-and-send path's pread does.
 * docs/server-performance.md has the measurements.
 *
 * The queued bytes ahead of the run go with send(MSG_MORE) from here too,
 * so the head and the body's first bytes share segments.  The flush calls
 * it at once (the socket usually has room); what the socket does not take
 * waits for POLLOUT (srv_wait_writable), whose completion calls it again.
 */
#ifndef SRV_FILE_SEND_H
#define SRV_FILE_SEND_H

#include "worker_state.h"

#include <stdint.h>

/* Bytes of file runs one connection sends from one flush or one poll's
 * completion: a fast reader of a large file gives the worker back to its
 * other connections after this much (the poll, completing at once while
 * the socket has room, queues it behind them). */
#define SRV_SENDFILE_BURST (1024u * 1024u)

/* Send c's queued output, then at most max bytes of its file run
 * (c->x->zc_*), until the socket would block.  Returns the run's bytes
 * sent, or -1 after failing the connection (CLOSING: a reset or a send
 * error, counted; or the file ended before the run did, logged: it shrank
 * after its length was sent, and only closing tells the client).  Progress
 * restarts the write timeout. */
int64_t srv_send_file(srv_worker *w, srv_conn *c, uint64_t max);

#endif
