/*
 * The open-file cache (srv_file_cache): a chained hash table of entries on
 * a recency list, bounded in entries and in bytes of kept responses.
 */
#include "file_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t srv_file_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: short keys, no table to keep */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void srv_file_meta_of(const struct stat *sb, srv_file_meta *m)
{
	m->dev = (uint64_t)sb->st_dev;
	m->ino = (uint64_t)sb->st_ino;
	m->size = (uint64_t)sb->st_size;
	m->mtime = sb->st_mtim;
	m->ctime = sb->st_ctim;
}

static int srv_file_meta_same(const srv_file_meta *a, const srv_file_meta *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int srv_file_cache_init(srv_file_cache *fc, uint32_t max_entries, uint64_t max_bytes,
			uint64_t inline_max, srv_stats *stats)
{
	memset(fc, 0, sizeof(*fc));
	fc->lru.next = fc->lru.prev = &fc->lru;
	fc->max_entries = max_entries;
	fc->max_bytes = max_bytes;
	fc->inline_max = inline_max;
	fc->stats = stats;
	if (!max_entries)
		return 0;
	uint32_t nb = 16;
	while (nb < max_entries && nb < (1u << 30))
		nb <<= 1;
	fc->table = calloc(nb, sizeof(*fc->table));
	if (!fc->table)
		return -ENOMEM;
	fc->mask = nb - 1;
	return 0;
}

static void srv_file_free(srv_file *f)
{
	close(f->fd);
	free(f->resp);
	free(f->key);
	free(f);
}

/* Out of the table and the recency list; freed now unless in use. */
static void srv_file_unlink(srv_file_cache *fc, srv_file *f)
{
	srv_file **pp = &fc->table[f->hash & fc->mask];
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	f->prev->next = f->next;
	f->next->prev = f->prev;
	f->linked = 0;
	fc->n--;
	fc->bytes -= f->resp ? f->resp_len : 0;
	SRV_STAT_SUB(fc->stats, file_cache_entries, 1);
	SRV_STAT_SUB(fc->stats, file_cache_bytes, f->resp ? f->resp_len : 0);
	if (!f->refs)
		srv_file_free(f);
}

static void srv_file_touch(srv_file_cache *fc, srv_file *f)
{
	if (fc->lru.next == f)
		return;
	f->prev->next = f->next;
	f->next->prev = f->prev;
	f->next = fc->lru.next;
	f->prev = &fc->lru;
	fc->lru.next->prev = f;
	fc->lru.next = f;
}

/* Evict the least recently used entry.  Returns 0 when there is none. */
static int srv_file_evict_one(srv_file_cache *fc)
{
	srv_file *f = fc->lru.prev;
	if (f == &fc->lru)
		return 0;
	srv_file_unlink(fc, f);
	SRV_STAT_ADD(fc->stats, file_cache_evictions, 1);
	return 1;
}

void srv_file_cache_fini(srv_file_cache *fc)
{
	if (!fc->lru.next)
		return; /* never set up: no --root */
	while (fc->lru.next != &fc->lru)
		srv_file_unlink(fc, fc->lru.next);
	free(fc->table);
	fc->table = NULL;
}

srv_file *srv_file_lookup(srv_file_cache *fc, const char *key, size_t key_len, time_t now,
			  int *stale)
{
	*stale = 0;
	if (!fc->table)
		return NULL;
	uint64_t h = srv_file_hash(key, key_len);
	for (srv_file *f = fc->table[h & fc->mask]; f; f = f->hnext) {
		if (f->hash != h || f->key_len != key_len || memcmp(f->key, key, key_len))
			continue;
		f->refs++;
		if (f->checked != now) {
			*stale = 1;
			SRV_STAT_ADD(fc->stats, file_cache_revalidations, 1);
		} else {
			srv_file_touch(fc, f);
			SRV_STAT_ADD(fc->stats, file_cache_hits, 1);
		}
		return f;
	}
	SRV_STAT_ADD(fc->stats, file_cache_misses, 1);
	return NULL;
}

srv_file *srv_file_cache_revalidated(srv_file_cache *fc, srv_file *f, int fd, const struct stat *sb,
				     time_t now)
{
	srv_file_meta m;
	if (fd >= 0)
		srv_file_meta_of(sb, &m);
	if (fd >= 0 && srv_file_meta_same(&m, &f->meta)) {
		close(fd);
		f->checked = now;
		srv_file_touch(fc, f);
		SRV_STAT_ADD(fc->stats, file_cache_hits, 1);
		return f;
	}
	SRV_STAT_ADD(fc->stats, file_cache_changed, 1);
	SRV_STAT_ADD(fc->stats, file_cache_misses, 1);
	if (f->linked)
		srv_file_unlink(fc, f);
	srv_file_put(f);
	return NULL;
}

srv_file *srv_file_insert(srv_file_cache *fc, const char *key, size_t key_len, int fd,
			  const struct stat *sb, const char *ctype, const char *etag,
			  size_t etag_len, time_t now)
{
	if (!fc->table || etag_len >= SRV_ETAG_MAX)
		return NULL;
	srv_file *f = calloc(1, sizeof(*f));
	char *k = malloc(key_len ? key_len : 1);
	if (!f || !k) {
		free(f);
		free(k);
		return NULL;
	}
	while (fc->n >= fc->max_entries && srv_file_evict_one(fc))
		;
	memcpy(k, key, key_len);
	f->key = k;
	f->key_len = (uint32_t)key_len;
	f->hash = srv_file_hash(key, key_len);
	f->fd = fd;
	srv_file_meta_of(sb, &f->meta);
	f->checked = now;
	f->ctype = ctype;
	memcpy(f->etag, etag, etag_len);
	f->etag_len = (uint8_t)etag_len;
	f->refs = 1;
	f->linked = 1;
	srv_file **slot = &fc->table[f->hash & fc->mask];
	f->hnext = *slot;
	*slot = f;
	f->next = fc->lru.next;
	f->prev = &fc->lru;
	fc->lru.next->prev = f;
	fc->lru.next = f;
	fc->n++;
	SRV_STAT_ADD(fc->stats, file_cache_entries, 1);
	return f;
}

/* Room for need more bytes of kept responses: the least recently used
 * ones not in use are dropped (their entries stay, serving from their
 * descriptors).  Returns 0 when there is room. */
static int srv_file_make_room(srv_file_cache *fc, uint64_t need)
{
	for (srv_file *f = fc->lru.prev; f != &fc->lru && fc->bytes + need > fc->max_bytes;) {
		srv_file *prev = f->prev;
		if (f->resp && !f->refs) {
			fc->bytes -= f->resp_len;
			SRV_STAT_SUB(fc->stats, file_cache_bytes, f->resp_len);
			SRV_STAT_ADD(fc->stats, file_cache_evictions, 1);
			free(f->resp);
			f->resp = NULL;
			f->resp_len = 0;
			f->head_len = 0;
		}
		f = prev;
	}
	return fc->bytes + need > fc->max_bytes ? -1 : 0;
}

int srv_file_keep_body(srv_file_cache *fc, srv_file *f, size_t head_len, time_t now)
{
	uint64_t size = f->meta.size;
	uint64_t need = head_len + size;
	if (!f->linked || f->resp || f->unkept_sec == now || size > fc->inline_max ||
	    need > fc->max_bytes)
		return -1;
	f->unkept_sec = now; /* until it is kept */
	if (srv_file_make_room(fc, need))
		return -1;
	char *resp = malloc(need);
	if (!resp)
		return -1;
	uint64_t got = 0;
	while (got < size) {
		ssize_t n = pread(f->fd, resp + head_len + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	/* What was read is the file fstat described only if nothing changed
	 * it meanwhile: otherwise the descriptor serves (and the next
	 * revalidation sees the change). */
	struct stat sb;
	srv_file_meta m;
	int same = got == size && fstat(f->fd, &sb) == 0;
	if (same) {
		srv_file_meta_of(&sb, &m);
		same = srv_file_meta_same(&m, &f->meta);
	}
	if (!same) {
		free(resp);
		return -1;
	}
	f->unkept_sec = 0;
	f->resp = resp;
	f->resp_len = need;
	f->head_len = (uint32_t)head_len;
	fc->bytes += need;
	SRV_STAT_ADD(fc->stats, file_cache_bytes, need);
	return 0;
}

void srv_file_put(srv_file *f)
{
	if (--f->refs == 0 && !f->linked)
		srv_file_free(f);
}

uint32_t srv_file_cache_shed(srv_file_cache *fc)
{
	uint32_t goal = (fc->n + 1) / 2, closed = 0;
	srv_file *f = fc->lru.prev;
	while (f != &fc->lru && closed < goal) {
		srv_file *prev = f->prev;
		if (!f->refs) {
			srv_file_unlink(fc, f);
			SRV_STAT_ADD(fc->stats, file_cache_evictions, 1);
			closed++;
		}
		f = prev;
	}
	return closed;
}
