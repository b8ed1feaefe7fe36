/*
 * io_uring setup with feature probing.
 *
 * rb_ring_init() asks for the fastest setup flags this design wants and drops,
 * one at a time, each one the kernel refuses with -EINVAL, logging one line
 * per dropped flag: an older kernel gets a slower ring, not a failure.
 * Ladder: DEFER_TASKRUN, SINGLE_ISSUER, TASKRUN_FLAG, COOP_TASKRUN,
 * SUBMIT_ALL.  TASKRUN_FLAG is moot with DEFER_TASKRUN and is asked for
 * once DEFER_TASKRUN has been dropped.
 */
#ifndef RB_RING_H
#define RB_RING_H

#include "uring_compat.h"

#include <stdint.h>

typedef struct rb_ring_opts {
	unsigned sq_entries; /* submission queue size */
	unsigned cq_entries; /* completion queue size (IORING_SETUP_CQSIZE); 0: 4x sq */
	/* The ring is used by exactly one thread (the one that calls
	 * rb_ring_init): ask for SINGLE_ISSUER + DEFER_TASKRUN, and register
	 * the ring fd, which only that thread may then enter by (another
	 * thread may still register and unregister through ring->ring_fd,
	 * and io_uring_queue_exit works from any thread). */
	int single_thread;
	const char *name; /* for log lines, e.g. "worker 0" */
	/* Tests only: setup flags to treat as refused (-EINVAL) without asking
	 * the kernel, to walk the fallback ladder on a kernel that has them. */
	unsigned refuse;
} rb_ring_opts;

typedef struct rb_ring_info {
	unsigned flags;    /* the setup flags the kernel accepted */
	unsigned features; /* io_uring_params.features */
	unsigned sq_entries, cq_entries;
	int registered_ring_fd; /* io_uring_register_ring_fd() succeeded */
} rb_ring_info;

/* Set up ring.  Returns 0 or -errno (after logging why). */
int rb_ring_init(struct io_uring *ring, const rb_ring_opts *opts, rb_ring_info *info);

/* Short names of the flags in `flags`, space separated ("single_issuer
 * defer_taskrun ..."), for logs and reports. */
const char *rb_ring_flag_names(unsigned flags, char *buf, unsigned len);

#endif
