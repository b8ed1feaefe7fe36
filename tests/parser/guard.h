/*
 * Guard pages: place a test input so that any read past its last byte (or
 * before its first) touches a PROT_NONE page and crashes, whatever the
 * sanitizer.  SIMD kernels that load 16, 32 or 64 bytes at a time are the
 * reason this exists: a load that crosses the end of the caller's buffer is
 * a bug even when the bytes "happen to be there".
 */
#ifndef RB_TEST_GUARD_H
#define RB_TEST_GUARD_H

#include <stddef.h>

struct guard {
	char *map;    /* whole mapping, guard pages included */
	size_t total; /* bytes mapped */
	char *data;   /* first usable byte, right after the leading guard page */
	size_t cap;   /* usable bytes: a multiple of the page size */
};

/* Map room for inputs up to cap bytes between two PROT_NONE pages.
 * Aborts on failure (a test cannot run without it). */
void guard_init(struct guard *g, size_t cap);
void guard_free(struct guard *g);

/* Copy len bytes so the last one is the last byte before the trailing guard
 * page; returns where the copy starts.  len may be 0. */
const char *guard_tail(struct guard *g, const void *src, size_t len);

/* Copy len bytes so the first one is the first byte after the leading guard
 * page (catches reads before the start). */
const char *guard_head(struct guard *g, const void *src, size_t len);

#endif
