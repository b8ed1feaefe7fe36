#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void guard_init(struct guard *g, size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t usable = (cap + page - 1) / page * page;

	if (usable == 0)
		usable = page;
	g->total = usable + 2 * page;
	g->map = mmap(NULL, g->total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("guard_init: mmap");
		abort();
	}
	if (mprotect(g->map, page, PROT_NONE) != 0 ||
	    mprotect(g->map + page + usable, page, PROT_NONE) != 0) {
		perror("guard_init: mprotect");
		abort();
	}
	g->data = g->map + page;
	g->cap = usable;
}

void guard_free(struct guard *g)
{
	if (g->map)
		munmap(g->map, g->total);
	memset(g, 0, sizeof(*g));
}

const char *guard_tail(struct guard *g, const void *src, size_t len)
{
	char *dst;

	if (len > g->cap) {
		fprintf(stderr, "guard_tail: %zu bytes do not fit in %zu\n", len, g->cap);
		abort();
	}
	dst = g->data + g->cap - len;
	if (len)
		memmove(dst, src, len);
	return dst;
}

const char *guard_head(struct guard *g, const void *src, size_t len)
{
	if (len > g->cap) {
		fprintf(stderr, "guard_head: %zu bytes do not fit in %zu\n", len, g->cap);
		abort();
	}
	if (len)
		memmove(g->data, src, len);
	return g->data;
}
