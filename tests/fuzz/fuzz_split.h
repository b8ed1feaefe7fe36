/*
 * How the connection fuzz targets (fuzz_server_conn, fuzz_rbload_response)
 * cut one input into receives: whole, small pieces, pieces around a receive
 * buffer's size, or one byte at a time, at points drawn from a seed taken
 * from the input, so a finding replays exactly.
 */
#ifndef RB_FUZZ_SPLIT_H
#define RB_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>

enum split {
	SPLIT_WHOLE,
	SPLIT_SMALL, /* 1 to 64 bytes */
	SPLIT_LARGE, /* 1 byte to `large` bytes: around a receive buffer */
	SPLIT_BYTES, /* one byte at a time */
};

static inline uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The size of the next receive, at most left. */
static inline size_t next_piece(enum split how, size_t large, uint64_t *seed, size_t left)
{
	size_t n;
	switch (how) {
	case SPLIT_WHOLE:
		return left;
	case SPLIT_SMALL:
		n = 1 + (size_t)(splitmix(seed) % 64);
		break;
	case SPLIT_LARGE:
		n = 1 + (size_t)(splitmix(seed) % large);
		break;
	default:
		n = 1;
		break;
	}
	return n < left ? n : left;
}

#endif
