/*
 * io_uring names newer than Debian's liburing 2.3 headers, defined once here.
 *
 * The running kernel (6.x) knows them; the 2.3 headers do not.  Defining a
 * name says nothing about whether the kernel accepts it: callers probe at run
 * time (a feature bit in io_uring_params.features, or a call that fails with
 * -EINVAL) and fall back.  Include this instead of <liburing.h>.
 *
 * None is defined at present: no code uses a name the 2.3 headers lack.  Add
 * one here, inside #ifndef, when code first needs it, and remove it when its
 * last user goes.
 */
#ifndef RB_URING_COMPAT_H
#define RB_URING_COMPAT_H

#include <liburing.h>

#endif
