#include "static_open.h"
#include "openat2_compat.h"

#include "rb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* O_NONBLOCK: opening a FIFO placed under the root must not block the
 * worker (it is then refused as not a regular file). */
#define SRV_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
/* SRV_OPEN_PATH: O_PATH opens nothing (no FIFO waits, no device driver's
 * open runs, a socket is no error), so the type can be looked at first.
 * openat2 takes no other flag with O_PATH (EINVAL). */
#define SRV_PATH_FLAGS (O_PATH | O_CLOEXEC)

/* Component by component from the root; O_NOFOLLOW everywhere, so a
 * symlink anywhere on the path fails (ELOOP or ENOTDIR), except a final
 * one under O_PATH, which opens the link itself (the caller's fstat sees
 * S_ISLNK and refuses it).  rel has no ".."
 * (srv_path_normalize removed them), so the walk cannot climb out. */
static int srv_open_walk(int root_fd, const char *rel, int flags)
{
	int dfd = root_fd;
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		char name[256];
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(name)) {
			if (dfd != root_fd)
				close(dfd);
			return -ENAMETOOLONG;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		int fd = slash ? openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			       : openat(dfd, name, flags | O_NOFOLLOW);
		int err = errno;
		if (dfd != root_fd)
			close(dfd);
		if (fd < 0)
			return -err;
		if (!slash)
			return fd;
		dfd = fd;
		p = slash + 1;
	}
}

int srv_open_beneath(srv_root *r, const char *rel, srv_open_mode mode)
{
	int flags = mode == SRV_OPEN_PATH ? SRV_PATH_FLAGS : SRV_OPEN_FLAGS;
	if (!r->walk) {
		struct open_how how;
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)flags;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		long fd = syscall(SYS_openat2, r->fd, rel, &how, sizeof(how));
		int err = errno;
		int first = !r->tried;
		r->tried = 1;
		if (fd >= 0)
			return (int)fd;
		/* ENOSYS: no openat2.  EPERM on the very first call: a seccomp
		 * profile (older container runtimes' defaults) that denies a
		 * call it does not know with EPERM rather than ENOSYS.  Later,
		 * EPERM is the file's own answer (403): openat2 is known to work.
		 * The first call is always O_PATH, which no file answers EPERM. */
		if (err != ENOSYS && !(err == EPERM && first))
			return -err;
		rb_log("worker %d: kernel refused openat2 (%s); opening static files one path "
		       "component at a time, following no symlinks",
		       r->worker_id, err == ENOSYS ? "ENOSYS" : "EPERM");
		r->walk = 1;
	}
	return srv_open_walk(r->fd, rel, flags);
}
