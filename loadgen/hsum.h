/*
 * Interval sums: histograms added into numbered bins (seconds), each bin kept
 * compact, as its V2 encoding (rb_hist_codec.h: a few bytes per slot in use,
 * not rb_hist's 264 KiB), beside its exact count, min, max and sum.  Adding
 * to a bin that exists decodes it, merges and encodes it again.
 *
 * rbload's run keeps one per kind (corrected; uncorrected in open loop) for
 * --hlog: second k of the window is bin k.  rbload merge keeps one per kind
 * over 1-second bins of absolute time.  Whatever gathers per-second rb_hist
 * objects (from threads, processes or hosts) can sum them here the same way.
 * Not locked: one thread at a time.
 */
#ifndef LG_HSUM_H
#define LG_HSUM_H

#include "rb_hist.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lg_hbin {
	int64_t key;       /* the bin (a second) */
	double length_s;   /* the part of the bin its values cover: 1, or less */
	uint64_t count;    /* exact figures of the values added */
	uint64_t min, max; /* min is UINT64_MAX while empty */
	unsigned __int128 sum;
	uint64_t below, above; /* clamped values (rb_hist's counters) */
	uint8_t *v2;           /* the bin's histogram, V2-encoded */
	size_t len;
} lg_hbin;

typedef struct lg_hsum {
	lg_hbin *bins; /* in key order */
	size_t n, cap;
	uint64_t highest; /* the histograms' highest trackable value */
	rb_hist scratch;  /* for decoding a bin when adding to it */
} lg_hsum;

/* Bins of histograms tracking up to `highest` (RB_HIST_HOUR_NS).  0 or -ENOMEM. */
int lg_hsum_init(lg_hsum *s, uint64_t highest);
void lg_hsum_free(lg_hsum *s);

/* Add h into bin `key` (created, empty, if new); the bin's length becomes the
 * larger of its own and length_s.  h must track up to the same highest value.
 * 0, -EINVAL (another layout) or -ENOMEM (the bin is unchanged). */
int lg_hsum_add(lg_hsum *s, int64_t key, double length_s, const rb_hist *h);

/* Bin b's histogram into out (reset first) with its exact count, min, max
 * and sum: a bin of this lg_hsum, or one rebuilt from another process's
 * (its figures and V2 bytes).  0, or -EINVAL (bytes that do not decode). */
int lg_hbin_decode(const lg_hbin *b, rb_hist *out);

/* Bin i's histogram into out (set up with the same highest; reset first),
 * with its exact count, min, max and sum.  0 or -EINVAL. */
int lg_hsum_get(lg_hsum *s, size_t i, rb_hist *out);

#endif
