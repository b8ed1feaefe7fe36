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

/* Component by component from the root; O_NOFOLLOW everywhere, so a
 * symlink anywhere on the path fails (ELOOP or ENOTDIR).  rel has no ".."
 * (http_path.c removed them), so the walk cannot climb out. */
static int srv_open_walk(int root_fd, const char *rel)
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
			       : openat(dfd, name, SRV_OPEN_FLAGS | O_NOFOLLOW);
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

int srv_open_beneath(srv_root *r, const char *rel)
{
	if (!r->walk) {
		struct open_how how;
		memset(&how, 0, sizeof(how));
		how.flags = SRV_OPEN_FLAGS;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		long fd = syscall(SYS_openat2, r->fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		rb_log("worker %d: kernel refused openat2 (ENOSYS); opening static files one path "
		       "component at a time, following no symlinks",
		       r->worker_id);
		r->walk = 1;
	}
	return srv_open_walk(r->fd, rel);
}
