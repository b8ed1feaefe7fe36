/*
 * HdrHistogram's V2 encoding of an rb_hist, plain and compressed, and base64:
 * what HdrHistogram's interval logs carry (docs/histogram.md, "The V2
 * encoding").  Our own code, written from the format (HdrHistogram's
 * AbstractHistogram encodeIntoByteBuffer / encodeIntoCompressedByteBuffer and
 * ZigZagEncoding): Java's HistogramLogProcessor reads what this writes.
 *
 * V2 (all integers big-endian):
 *	 0  int32  cookie 0x1c849313 (the V2 base 0x1c849303 | 0x10)
 *	 4  int32  payload length in bytes
 *	 8  int32  normalizing index offset (0)
 *	12  int32  significant value digits (3)
 *	16  int64  lowest discernible value (1)
 *	24  int64  highest trackable value
 *	32  double integer-to-double conversion ratio (1.0)
 *	40  payload: the counts array from index 0 to the maximum's slot, each
 *	    count a ZigZag LEB128 varint of at most 9 bytes (the 9th byte carries
 *	    8 bits); a run of N > 1 empty slots is the single number -N.
 * Compressed: int32 cookie 0x1c849314, int32 length L, then L bytes of zlib
 * (deflate with the zlib header, java.util.zip.Deflater's default) of V2.
 *
 * rb_hist's layout is HdrHistogram's with lowestDiscernibleValue 1 and 3
 * significant digits (2048 sub-buckets), so counts go over index for index.
 * A decoded histogram of other settings is re-binned into ours only where
 * that is exact: each of its slots must lie inside one of ours (finer or equal
 * buckets, values within our highest); otherwise it is refused, saying why.
 */
#ifndef RB_HIST_CODEC_H
#define RB_HIST_CODEC_H

#include "rb_hist.h"

#include <stddef.h>
#include <stdint.h>

#define RB_HIST_V2_COOKIE 0x1c849313u
#define RB_HIST_V2_COMPRESSED_COOKIE 0x1c849314u
#define RB_HIST_V2_HEADER_SIZE 40
#define RB_HIST_V2_MAX_PAYLOAD (64u << 20) /* a decoded payload larger is refused */

/* What a V2 header says. */
typedef struct rb_hist_settings {
	int32_t digits;      /* numberOfSignificantValueDigits, 0..5 */
	int32_t norm_offset; /* normalizingIndexOffset */
	int64_t lowest;      /* lowestDiscernibleValue */
	int64_t highest;     /* highestTrackableValue */
	double ratio;        /* integerToDoubleValueConversionRatio */
} rb_hist_settings;

/* Bytes rb_hist_encode_v2 may write for h, at most. */
size_t rb_hist_v2_bound(const rb_hist *h);

/* h's V2 encoding into out (rb_hist_v2_bound(h) bytes); returns its length. */
size_t rb_hist_encode_v2(const rb_hist *h, uint8_t *out);

/* V2 bytes compressed (cookie, length, zlib at `level`, 0..9) into a malloc'd
 * buffer.  Returns 0 or -ENOMEM. */
int rb_hist_compress_v2(const uint8_t *v2, size_t len, int level, uint8_t **out, size_t *outlen);

/* Both: h encoded and compressed (level 9, as HdrHistogram's log writer). */
int rb_hist_encode_compressed(const rb_hist *h, uint8_t **out, size_t *outlen);

/* Standard base64 with padding.  rb_base64_encode writes 4 * ceil(n / 3)
 * characters and a NUL into out and returns the count; rb_base64_decode takes
 * n characters (padding optional at the end) into out (n / 4 * 3 + 3 bytes)
 * and returns 0, or -1 on a character outside the alphabet or a bad length. */
size_t rb_base64_encode(const uint8_t *in, size_t n, char *out);
int rb_base64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen);

/* Decode V2 bytes (rb_hist_decode_v2) or compressed bytes
 * (rb_hist_decode_compressed) into h, which is reset first and must have been
 * set up with rb_hist_init.  Each slot's count is recorded at the slot's
 * middle (so the mean is HdrHistogram's); min is then the lowest value of the
 * first slot and max the highest of the last, as HdrHistogram reports them.
 * set (if not NULL) receives the header.  Returns 0, or -1 with one sentence
 * in err: a bad cookie, truncated or corrupt data, or settings whose buckets
 * do not map exactly into h's. */
int rb_hist_decode_v2(rb_hist *h, const uint8_t *in, size_t n, rb_hist_settings *set, char *err,
		      size_t errlen);
int rb_hist_decode_compressed(rb_hist *h, const uint8_t *in, size_t n, rb_hist_settings *set,
			      char *err, size_t errlen);

#endif
