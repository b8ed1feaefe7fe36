/*
 * Opening a file beneath --root, so that nothing outside it can be reached:
 * not by "..", not by a symlink, whatever the path's encoding was.
 *
 * openat2() with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS does it in the
 * kernel: symlinks inside the root that stay inside it are followed, one
 * that leads out fails with EXDEV.  A kernel without openat2 (before 5.6;
 * ENOSYS, also what a seccomp filter that does not know it answers; or
 * EPERM on the first call, what some seccomp profiles answer instead) gets
 * a walk, one component at a time, that follows no symlink at all:
 * stricter, and logged once per worker.  RBSERVER_NO_OPENAT2=1 in the environment
 * forces the walk (for tests; not a flag).
 */
#ifndef SRV_STATIC_OPEN_H
#define SRV_STATIC_OPEN_H

/* Per worker: the root and which way files are opened. */
typedef struct srv_root {
	int fd;        /* the --root directory (O_PATH) */
	int walk;      /* 1: no openat2, walk the components */
	int tried;     /* openat2 was called once (an EPERM after that is real) */
	int worker_id; /* for the log line */
} srv_root;

typedef enum srv_open_mode {
	SRV_OPEN_READ, /* O_RDONLY | O_NONBLOCK | O_NOCTTY */
	SRV_OPEN_PATH, /* O_PATH: to fstat before opening for real; with the
			* walk a final symlink is opened itself (S_ISLNK) */
} srv_open_mode;

/* Open rel (normalised: no "..", no leading '/', "." for the root itself;
 * srv_path_normalize) beneath r, read-only or O_PATH.  Returns the descriptor, or
 * -errno. */
int srv_open_beneath(srv_root *r, const char *rel, srv_open_mode mode);

#endif
