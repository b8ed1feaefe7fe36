/* HdrHistogram's V2 encoding, compressed form and base64 (rb_hist_codec.h). */
#include "rb_hist_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- big-endian fields ------------------------------------------------------------------ */

static void rb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void rb_put64(uint8_t *p, uint64_t v)
{
	rb_put32(p, (uint32_t)(v >> 32));
	rb_put32(p + 4, (uint32_t)v);
}

static uint32_t rb_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rb_get64(const uint8_t *p)
{
	return (uint64_t)rb_get32(p) << 32 | rb_get32(p + 4);
}

/* ---- ZigZag LEB128, at most 9 bytes (the 9th carries 8 bits) ---------------------------- */

static uint8_t *rb_zz_put(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	for (int i = 0; i < 8; i++) {
		if (z < 0x80) {
			*p++ = (uint8_t)z;
			return p;
		}
		*p++ = (uint8_t)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	*p++ = (uint8_t)z;
	return p;
}

/* Returns 0, or -1 when the bytes end inside the number. */
static int rb_zz_get(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t z = 0;
	for (int i = 0; i < 9; i++) {
		if (p == end)
			return -1;
		uint8_t b = *p++;
		if (i == 8) {
			z |= (uint64_t)b << 56;
			break;
		}
		z |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	*out = (int64_t)((z >> 1) ^ (0 - (z & 1)));
	*pp = p;
	return 0;
}

/* ---- encoding ------------------------------------------------------------------------------ */

/* One past the last slot the encoding covers: the maximum's (HdrHistogram's
 * countsArrayIndex(maxValue) + 1); 1 for an empty histogram. */
static uint32_t rb_codec_limit(const rb_hist *h)
{
	if (!h->total)
		return 1;
	uint64_t m = h->max < h->highest ? h->max : h->highest;
	return rb_hist_index(m) + 1;
}

size_t rb_hist_v2_bound(const rb_hist *h)
{
	return RB_HIST_V2_HEADER_SIZE + 9 * (size_t)rb_codec_limit(h);
}

size_t rb_hist_encode_v2(const rb_hist *h, uint8_t *out)
{
	uint32_t limit = rb_codec_limit(h);
	double one = 1.0;
	uint64_t ratio;
	memcpy(&ratio, &one, sizeof(ratio));
	rb_put32(out, RB_HIST_V2_COOKIE);
	rb_put32(out + 8, 0);  /* normalizing index offset */
	rb_put32(out + 12, 3); /* significant digits: 2048 sub-buckets */
	rb_put64(out + 16, 1); /* lowest discernible value */
	rb_put64(out + 24, h->highest);
	rb_put64(out + 32, ratio);
	uint8_t *p = out + RB_HIST_V2_HEADER_SIZE;
	uint32_t i = 0;
	while (i < limit) {
		uint64_t c = h->counts[i++];
		if (c) {
			p = rb_zz_put(p, c > INT64_MAX ? INT64_MAX : (int64_t)c);
			continue;
		}
		int64_t zeros = 1;
		while (i < limit && h->counts[i] == 0) {
			zeros++;
			i++;
		}
		p = rb_zz_put(p, zeros > 1 ? -zeros : 0);
	}
	size_t payload = (size_t)(p - out) - RB_HIST_V2_HEADER_SIZE;
	rb_put32(out + 4, (uint32_t)payload);
	return (size_t)(p - out);
}

int rb_hist_compress_v2(const uint8_t *v2, size_t len, int level, uint8_t **out, size_t *outlen)
{
	uLongf cap = compressBound((uLong)len);
	uint8_t *buf = malloc(8 + cap);
	if (!buf)
		return -ENOMEM;
	if (compress2(buf + 8, &cap, v2, (uLong)len, level) != Z_OK) {
		free(buf);
		return -ENOMEM; /* Z_MEM_ERROR; the buffer was large enough */
	}
	rb_put32(buf, RB_HIST_V2_COMPRESSED_COOKIE);
	rb_put32(buf + 4, (uint32_t)cap);
	*out = buf;
	*outlen = 8 + cap;
	return 0;
}

int rb_hist_encode_compressed(const rb_hist *h, uint8_t **out, size_t *outlen)
{
	uint8_t *v2 = malloc(rb_hist_v2_bound(h));
	if (!v2)
		return -ENOMEM;
	size_t n = rb_hist_encode_v2(h, v2);
	int rc = rb_hist_compress_v2(v2, n, Z_BEST_COMPRESSION, out, outlen);
	free(v2);
	return rc;
}

/* ---- base64 ---------------------------------------------------------------------------------- */

static const char rb_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t rb_base64_encode(const uint8_t *in, size_t n, char *out)
{
	char *o = out;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = rb_b64[v >> 18];
		*o++ = rb_b64[(v >> 12) & 63];
		*o++ = rb_b64[(v >> 6) & 63];
		*o++ = rb_b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*o++ = rb_b64[v >> 18];
		*o++ = rb_b64[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = rb_b64[v >> 18];
		*o++ = rb_b64[(v >> 12) & 63];
		*o++ = rb_b64[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return (size_t)(o - out);
}

static int rb_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int rb_base64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	size_t pad = 0;
	while (n && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4))
		return -1;
	uint8_t *o = out;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = rb_b64_value(in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*outlen = (size_t)(o - out);
	return 0;
}

/* ---- decoding ---------------------------------------------------------------------------- */

static int rb_codec_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rb_codec_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A foreign layout: HdrHistogram's sub-bucket half count magnitude and unit
 * magnitude for the header's digits and lowest value. */
typedef struct rb_layout {
	unsigned half_mag, unit_mag;
} rb_layout;

static int rb_layout_of(const rb_hist_settings *s, rb_layout *l, char *err, size_t len)
{
	if (s->digits < 0 || s->digits > 5)
		return rb_codec_err(err, len, "%" PRId32 " significant digits (allowed: 0 to 5)",
				    s->digits);
	if (s->lowest < 1)
		return rb_codec_err(err, len, "lowest discernible value %" PRId64 " (below 1)",
				    s->lowest);
	if (s->highest / 2 < s->lowest) /* highest < 2 * lowest, without overflow */
		return rb_codec_err(err, len,
				    "highest trackable value %" PRId64
				    " below twice the lowest discernible value %" PRId64,
				    s->highest, s->lowest);
	if (s->norm_offset != 0 || s->ratio != 1.0)
		return rb_codec_err(
			err, len,
			"a floating-point histogram's encoding (normalizing offset %" PRId32
			", conversion ratio %g); only integer histograms are read",
			s->norm_offset, s->ratio);
	uint64_t largest = 2;
	for (int32_t d = 0; d < s->digits; d++)
		largest *= 10;
	unsigned mag = 0;
	while ((1ull << mag) < largest)
		mag++;
	l->half_mag = (mag > 1 ? mag : 1) - 1;
	l->unit_mag = 63u - (unsigned)__builtin_clzll((uint64_t)s->lowest);
	return 0;
}

int rb_hist_decode_v2(rb_hist *h, const uint8_t *in, size_t n, rb_hist_settings *set, char *err,
		      size_t errlen)
{
	if (n < RB_HIST_V2_HEADER_SIZE)
		return rb_codec_err(err, errlen,
				    "the histogram is %zu bytes, shorter than its "
				    "40-byte header",
				    n);
	uint32_t cookie = rb_get32(in);
	if ((cookie & ~0xf0u) != (RB_HIST_V2_COOKIE & ~0xf0u))
		return rb_codec_err(err, errlen,
				    "cookie 0x%08" PRIx32 " is not HdrHistogram's V2 encoding "
				    "(0x%08x)",
				    cookie, RB_HIST_V2_COOKIE);
	rb_hist_settings s;
	uint32_t payload = rb_get32(in + 4);
	s.norm_offset = (int32_t)rb_get32(in + 8);
	s.digits = (int32_t)rb_get32(in + 12);
	s.lowest = (int64_t)rb_get64(in + 16);
	s.highest = (int64_t)rb_get64(in + 24);
	uint64_t rbits = rb_get64(in + 32);
	memcpy(&s.ratio, &rbits, sizeof(s.ratio));
	if (set)
		*set = s;
	rb_layout l = {0, 0};
	if (rb_layout_of(&s, &l, err, errlen))
		return -1;
	if (payload > n - RB_HIST_V2_HEADER_SIZE)
		return rb_codec_err(err, errlen,
				    "the header gives a %" PRIu32
				    "-byte payload but %zu bytes follow",
				    payload, n - RB_HIST_V2_HEADER_SIZE);

	rb_hist_reset(h);
	const uint8_t *p = in + RB_HIST_V2_HEADER_SIZE, *end = p + payload;
	uint64_t idx = 0, first_lo = 0, last_hi = 0;
	int any = 0;
	const uint64_t half = 1ull << l.half_mag;
	while (p < end) {
		int64_t v;
		if (rb_zz_get(&p, end, &v))
			return rb_codec_err(err, errlen, "the payload ends inside a number");
		if (v < 0) {
			if (v < -(int64_t)INT32_MAX)
				return rb_codec_err(err, errlen,
						    "a run of %" PRIu64 " empty slots (over 2^31)",
						    (uint64_t)0 - (uint64_t)v);
			idx += (uint64_t)(-v);
		} else if (v == 0) {
			idx++;
		}
		/* No layout has more than 64 buckets of half slots (values
		 * stop at 2^63): a payload that walks past them is forged
		 * (empty slots compress to almost nothing), refused before it
		 * costs a loop over megabytes of zeros. */
		if ((idx >> l.half_mag) > 64)
			return rb_codec_err(
				err, errlen,
				"empty slots run past the layout's last slot (slot %" PRIu64 ")",
				idx);
		if (v <= 0)
			continue;
		/* HdrHistogram's valueFromIndex for the header's layout. */
		int64_t bi = (int64_t)(idx >> l.half_mag) - 1;
		uint64_t sub = (idx & (half - 1)) + half;
		if (bi < 0) {
			sub -= half;
			bi = 0;
		}
		if (bi + l.unit_mag + l.half_mag + 1 > 62)
			return rb_codec_err(err, errlen,
					    "slot %" PRIu64 " lies beyond 2^62 (a corrupt payload)",
					    idx);
		unsigned shift = (unsigned)bi + l.unit_mag;
		uint64_t lo = sub << shift, width = 1ull << shift, hi = lo + width - 1;
		if (hi > h->highest)
			return rb_codec_err(
				err, errlen,
				"values up to %" PRIu64 " (slot %" PRIu64
				") lie beyond the highest trackable value here, %" PRIu64,
				hi, idx, h->highest);
		if (width > rb_hist_slot_width(rb_hist_index(lo)))
			return rb_codec_err(
				err, errlen,
				"its buckets (lowest discernible value %" PRId64 ", %" PRId32
				" significant digits) are coarser than ours (1, 3) at %" PRIu64
				" (%" PRIu64 " values in one slot, ours %" PRIu64
				"): they cannot be merged exactly",
				s.lowest, s.digits, lo, width,
				rb_hist_slot_width(rb_hist_index(lo)));
		if (h->total > (uint64_t)(INT64_MAX - v)) /* HdrHistogram's totalCount is a long */
			return rb_codec_err(err, errlen, "the counts add up past 2^63 - 1");
		rb_hist_record_n(h, (int64_t)(lo + width / 2), (uint64_t)v);
		if (!any)
			first_lo = lo;
		any = 1;
		last_hi = hi;
		idx++;
	}
	if (any) {
		h->min = first_lo ? first_lo : 1; /* a count at 0 was recorded as 1 */
		h->max = last_hi ? last_hi : 1;
	}
	return 0;
}

int rb_hist_decode_compressed(rb_hist *h, const uint8_t *in, size_t n, rb_hist_settings *set,
			      char *err, size_t errlen)
{
	if (n < 8)
		return rb_codec_err(err, errlen,
				    "the compressed histogram is %zu bytes, shorter "
				    "than its 8-byte header",
				    n);
	uint32_t cookie = rb_get32(in), clen = rb_get32(in + 4);
	if ((cookie & ~0xf0u) != (RB_HIST_V2_COMPRESSED_COOKIE & ~0xf0u))
		return rb_codec_err(err, errlen,
				    "cookie 0x%08" PRIx32 " is not HdrHistogram's compressed V2 "
				    "encoding (0x%08x)",
				    cookie, RB_HIST_V2_COMPRESSED_COOKIE);
	if (clen > n - 8)
		return rb_codec_err(err, errlen,
				    "the header gives %" PRIu32 " compressed bytes but %zu follow",
				    clen, n - 8);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return rb_codec_err(err, errlen, "no memory for zlib");
	uint8_t head[RB_HIST_V2_HEADER_SIZE];
	zs.next_in = (Bytef *)(uintptr_t)(in + 8);
	zs.avail_in = clen;
	zs.next_out = head;
	zs.avail_out = sizeof(head);
	int zrc = Z_OK;
	while (zs.avail_out && zrc == Z_OK)
		zrc = inflate(&zs, Z_NO_FLUSH);
	uint8_t *buf = NULL;
	int rc = -1;
	if (zs.avail_out) {
		rb_codec_err(err, errlen, "the compressed data %s before the 40-byte header",
			     zrc == Z_DATA_ERROR ? "is corrupt" : "ends");
		goto out;
	}
	uint32_t payload = rb_get32(head + 4);
	if (payload > RB_HIST_V2_MAX_PAYLOAD) {
		rb_codec_err(err, errlen, "a %" PRIu32 "-byte payload (over %u)", payload,
			     RB_HIST_V2_MAX_PAYLOAD);
		goto out;
	}
	/* At most 9 bytes a slot (a LEB128 count) for every slot the header's
	 * layout can have (64 buckets of half slots): more is a forged
	 * payload, refused before it is inflated. */
	rb_hist_settings hs = {.norm_offset = (int32_t)rb_get32(head + 8),
			       .digits = (int32_t)rb_get32(head + 12),
			       .lowest = (int64_t)rb_get64(head + 16),
			       .highest = (int64_t)rb_get64(head + 24),
			       .ratio = 1.0};
	rb_layout hl = {0, 0};
	if (rb_layout_of(&hs, &hl, NULL, 0) == 0 && payload > 9ull * (65ull << hl.half_mag)) {
		rb_codec_err(err, errlen,
			     "a %" PRIu32
			     "-byte payload, more than a histogram of its layout needs",
			     payload);
		goto out;
	}
	size_t total = RB_HIST_V2_HEADER_SIZE + (size_t)payload;
	buf = malloc(total + 1);
	if (!buf) {
		rb_codec_err(err, errlen, "no memory for a %" PRIu32 "-byte payload", payload);
		goto out;
	}
	memcpy(buf, head, sizeof(head));
	zs.next_out = buf + sizeof(head);
	zs.avail_out = (uInt)(payload + 1); /* one more: data past the payload is an error */
	while (zrc == Z_OK && zs.avail_out)
		zrc = inflate(&zs, Z_NO_FLUSH);
	if (zrc != Z_STREAM_END) {
		rb_codec_err(err, errlen, "the compressed data %s",
			     zrc == Z_DATA_ERROR ? "is corrupt"
			     : zs.avail_out == 0 ? "holds more than the header's payload length"
						 : "ends early (truncated)");
		goto out;
	}
	if (zs.total_out != total) {
		rb_codec_err(err, errlen, "the payload is %lu bytes, the header says %" PRIu32,
			     (unsigned long)(zs.total_out - RB_HIST_V2_HEADER_SIZE), payload);
		goto out;
	}
	rc = rb_hist_decode_v2(h, buf, total, set, err, errlen);
out:
	inflateEnd(&zs);
	free(buf);
	return rc;
}
