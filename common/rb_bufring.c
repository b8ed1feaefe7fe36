#include "rb_bufring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int rb_bufring_init(rb_bufring *b, struct io_uring *ring, uint16_t bgid, uint32_t entries,
		    uint32_t size)
{
	memset(b, 0, sizeof(*b));
	if (entries == 0 || entries > 32768 || (entries & (entries - 1)) || size == 0)
		return -EINVAL;
	b->ring_bytes = (size_t)entries * sizeof(struct io_uring_buf);
	void *mem = mmap(NULL, b->ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	b->br = mem;
	b->base = malloc((size_t)entries * size);
	if (!b->base) {
		munmap(mem, b->ring_bytes);
		b->br = NULL;
		return -ENOMEM;
	}
	b->entries = entries;
	b->size = size;
	b->bgid = bgid;
	b->mask = io_uring_buf_ring_mask(entries);
	io_uring_buf_ring_init(b->br);

	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	int rc = io_uring_register_buf_ring(ring, &reg, 0);
	if (rc < 0) {
		free(b->base);
		munmap(b->br, b->ring_bytes);
		memset(b, 0, sizeof(*b));
		return rc;
	}
	for (uint32_t i = 0; i < entries; i++)
		rb_bufring_put(b, (uint16_t)i);
	rb_bufring_commit(b);
	return 0;
}

void rb_bufring_free(rb_bufring *b, struct io_uring *ring)
{
	if (b->br) {
		if (ring)
			io_uring_unregister_buf_ring(ring, b->bgid);
		munmap(b->br, b->ring_bytes);
	}
	free(b->base); /* a legacy set (rb_loop) has buffers and no ring */
	memset(b, 0, sizeof(*b));
}
