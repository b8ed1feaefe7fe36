/*
 * io_uring names newer than Debian's liburing 2.3 headers, defined once here.
 *
 * The running kernel (6.x) knows them; the 2.3 headers do not.  Defining a
 * name says nothing about whether the kernel accepts it: callers probe at run
 * time (a feature bit in io_uring_params.features, or a call that fails with
 * -EINVAL) and fall back.  Include this instead of <liburing.h>.
 */
#ifndef RB_URING_COMPAT_H
#define RB_URING_COMPAT_H

#include <liburing.h>

/* recv/send bundles: one completion for several provided buffers (6.10). */
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#endif

/* Incremental consumption of provided buffers (6.12): a buffer may be filled
 * by several completions, flagged IORING_CQE_F_BUF_MORE until it is full. */
#ifndef IOU_PBUF_RING_INC
#define IOU_PBUF_RING_INC 2
#endif
#ifndef IORING_CQE_F_BUF_MORE
#define IORING_CQE_F_BUF_MORE (1U << 4)
#endif

#endif
