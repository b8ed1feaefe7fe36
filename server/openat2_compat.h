/*
 * openat2(2) (Linux 5.6) for a libc without a wrapper, and for headers
 * without <linux/openat2.h>: the struct and the flags the server uses,
 * defined once here.  glibc 2.36 has no openat2() wrapper, so the call is
 * always made through syscall(2).
 */
#ifndef SRV_OPENAT2_COMPAT_H
#define SRV_OPENAT2_COMPAT_H

#include <stdint.h>
#include <sys/syscall.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define SRV_HAVE_LINUX_OPENAT2_H 1
#endif
#endif

#ifndef SRV_HAVE_LINUX_OPENAT2_H
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

#endif
