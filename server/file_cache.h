/*
 * The open-file cache: one per worker, no locks.  For each static file
 * recently served it keeps the descriptor, what fstat said, the ETag and
 * media type and, for a small file, the whole 200 response (head and body)
 * so a hit costs no system call and one copy into the batch's send.
 *
 * Key: the normalised request path and whether it ended in '/' ("dir/"
 * serves dir/index.html under its own entry).  Only regular files that
 * opened are kept; a 404 or 403 is decided afresh each time.
 *
 * Revalidation (nginx's open_file_cache_valid, at one second): the first
 * lookup of an entry in a later wall-clock second than its last check
 * resolves the path again, exactly as a miss does (srv_static_resolve: the
 * same openat2 RESOLVE_BENEATH containment, the same refusal of special
 * files), and compares device, inode, size, mtime and ctime.  The same
 * file: the entry stands.  Anything else (renamed over, truncated, removed,
 * replaced by a symlink or a FIFO): the entry is dropped and the caller
 * serves what the new resolution found.  So a change is seen by every
 * request made a second or more after it.  Until then the old entry is
 * served whole: its kept response, or its descriptor, which a rename over
 * the path does not touch.  A file rewritten in place within the second
 * can still be read through the old descriptor under the old head; a
 * shorter one cuts the response short (srv_static_fill), never pads it.
 *
 * Bounds: at most `entries` entries (each holds one descriptor) and
 * `bytes` bytes of kept responses; least recently used entries go first.
 * An entry still being sent from (refs) is unlinked when evicted and closed
 * when its last stream ends (srv_file_put): so descriptors can outnumber
 * `entries` by the responses in progress from evicted ones.
 */
#ifndef SRV_FILE_CACHE_H
#define SRV_FILE_CACHE_H

#include "stats.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#define SRV_ETAG_MAX 64

/* What is kept of a regular file once it is open. */
typedef struct srv_file_meta {
	uint64_t dev, ino, size;
	struct timespec mtime, ctime;
} srv_file_meta;

typedef struct srv_file {
	struct srv_file *hnext;       /* the hash chain */
	struct srv_file *prev, *next; /* recency: the head is the most recent */
	uint64_t hash;
	char *key;
	uint32_t key_len;
	uint32_t refs;  /* exchanges holding it (srv_file_lookup or _insert .. srv_file_put) */
	uint8_t linked; /* in the table; 0: evicted, freed at refs 0 */
	int fd;         /* open for reading */
	srv_file_meta meta;
	time_t checked;    /* the second it was last resolved */
	const char *ctype; /* its media type (static string) */
	char etag[SRV_ETAG_MAX];
	uint8_t etag_len;
	/* Its body could not be kept (srv_file_keep_body): the second of that
	 * try (tried again in a later one), or 0. */
	time_t unkept_sec;

	/* A small file's whole 200 response for a persisting HTTP/1.1
	 * request: head (head_len bytes, written for the Date second
	 * head_sec) and body.  NULL for a larger file. */
	char *resp;
	uint32_t head_len;
	uint64_t resp_len;
	time_t head_sec;
} srv_file;

typedef struct srv_file_cache {
	srv_file **table; /* chains; a power of two of them */
	uint32_t mask;
	srv_file lru; /* sentinel: lru.next is the most recent */
	uint32_t n, max_entries;
	uint64_t bytes, max_bytes, inline_max;
	srv_stats *stats;
} srv_file_cache;

/* Set up for max_entries entries (0: no cache, every lookup misses) and
 * max_bytes of kept responses, files up to inline_max bytes kept whole.
 * Returns 0 or -ENOMEM. */
int srv_file_cache_init(srv_file_cache *fc, uint32_t max_entries, uint64_t max_bytes,
			uint64_t inline_max, srv_stats *stats);

/* Close and free every entry not in use; entries still referenced are
 * freed by their last srv_file_put. */
void srv_file_cache_fini(srv_file_cache *fc);

/* The entry for key, if there is one and it was checked in second now;
 * with a reference taken.  An entry due for revalidation is returned with
 * *stale set: the caller resolves the path again and passes the result to
 * srv_file_cache_revalidated(). */
srv_file *srv_file_lookup(srv_file_cache *fc, const char *key, size_t key_len, time_t now,
			  int *stale);

/* The stale entry f (from srv_file_lookup) was resolved again: fd >= 0 with
 * *sb is what the path leads to now (a regular file), fd < 0 that it leads
 * to nothing servable.  Returns f (its reference kept, the new fd closed)
 * when it is the same file, else NULL: f is dropped and its reference
 * given back; fd is still the caller's. */
srv_file *srv_file_cache_revalidated(srv_file_cache *fc, srv_file *f, int fd, const struct stat *sb,
				     time_t now);

/* Keep the regular file fd (stat sb, media type ctype, ETag etag) under key,
 * evicting what the bounds need.  Returns the entry with a reference taken
 * (fd now belongs to it), or NULL when it is not kept (no cache, no
 * memory): fd is still the caller's. */
srv_file *srv_file_insert(srv_file_cache *fc, const char *key, size_t key_len, int fd,
			  const struct stat *sb, const char *ctype, const char *etag,
			  size_t etag_len, time_t now);

/* Read a small file's body into its entry (f->resp, after a head of
 * head_len bytes the caller writes), evicting kept responses of entries
 * not in use to make room.  Returns 0, or -1 when it is not kept (too
 * large; no room; the file changed while read; no memory): the entry still
 * serves from its descriptor, and is not tried again within second now. */
int srv_file_keep_body(srv_file_cache *fc, srv_file *f, size_t head_len, time_t now);

/* Give back a reference: an evicted entry is closed and freed with its
 * last one. */
void srv_file_put(srv_file *f);

/* Close descriptors to free some: evict up to half the unreferenced
 * entries (an open that failed with EMFILE retries after this).  Returns
 * how many were closed. */
uint32_t srv_file_cache_shed(srv_file_cache *fc);

void srv_file_meta_of(const struct stat *sb, srv_file_meta *m);

#endif
