/* rb_hist_codec: HdrHistogram's V2 encoding (known bytes worked out from the
 * format, ZigZag LEB128 up to its 9-byte form), the compressed form and base64
 * round trips, foreign settings merged exactly or refused, corrupt input
 * refused with a reason.  Java's HistogramLogProcessor reading rbload's logs is
 * tests/loadgen/test_hlog.sh. */
#include "hist_ref.h"

#include "rb_hist_codec.h"

#include <zlib.h>

static rb_hist new_hist(void)
{
	rb_hist h;
	cr_assert_eq(rb_hist_init(&h, RB_HIST_HOUR_NS), 0);
	return h;
}

static size_t encode(const rb_hist *h, uint8_t **out)
{
	*out = malloc(rb_hist_v2_bound(h));
	cr_assert(*out);
	return rb_hist_encode_v2(h, *out);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A V2 header for other settings, then payload bytes. */
static size_t foreign_v2(uint8_t *out, int digits, uint64_t lowest, uint64_t highest,
			 const uint8_t *payload, size_t n)
{
	put32(out, RB_HIST_V2_COOKIE);
	put32(out + 4, (uint32_t)n);
	put32(out + 8, 0);
	put32(out + 12, (uint32_t)digits);
	put64(out + 16, lowest);
	put64(out + 24, highest);
	put64(out + 32, 0x3ff0000000000000ull); /* 1.0 */
	memcpy(out + 40, payload, n);
	return 40 + n;
}

static void assert_same_counts(const rb_hist *a, const rb_hist *b)
{
	cr_assert_eq(a->counts_len, b->counts_len);
	for (uint32_t i = 0; i < a->counts_len; i++)
		cr_assert_eq(a->counts[i], b->counts[i], "slot %u: %llu != %llu", i,
			     (unsigned long long)a->counts[i], (unsigned long long)b->counts[i]);
	cr_assert_eq(rb_hist_count(a), rb_hist_count(b));
}

Test(hist_codec, known_bytes_of_one_value)
{
	rb_hist h = new_hist();
	rb_hist_record(&h, 1);
	uint8_t *v2;
	size_t n = encode(&h, &v2);
	static const uint8_t want[] = {
		0x1c, 0x84, 0x93, 0x13, 0,    0,    0,    2,    /* cookie, payload length */
		0,    0,    0,    0,    0,    0,    0,    3,    /* normalizing offset, digits */
		0,    0,    0,    0,    0,    0,    0,    1,    /* lowest discernible value */
		0,    0,    0x03, 0xff, 0xff, 0xff, 0xff, 0xff, /* highest: 2^42 - 1 */
		0x3f, 0xf0, 0,    0,    0,    0,    0,    0,    /* ratio 1.0 */
		0x00, /* slot 0 empty: a lone zero is 0, not a run */
		0x02, /* slot 1: count 1, ZigZag 2 */
	};
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(v2, want, sizeof(want));
	free(v2);
	rb_hist_free(&h);
}

Test(hist_codec, known_bytes_zero_runs_and_varints)
{
	rb_hist h = new_hist();
	rb_hist_record_n(&h, 1000, 3);   /* slot 1000 */
	rb_hist_record_n(&h, 5000, 200); /* bucket 2: slot 2048 + 1250 = 3298 */
	uint8_t *v2;
	size_t n = encode(&h, &v2);
	static const uint8_t payload[] = {
		0xcf, 0x0f, /* -1000: ZigZag 1999 = 0x7cf, LEB128 */
		0x06,       /* 3 */
		0xf1, 0x23, /* -2297 (slots 1001..3297): ZigZag 4593 = 0x11f1 */
		0x90, 0x03, /* 200: ZigZag 400 = 0x190 */
	};
	cr_assert_eq(n, 40 + sizeof(payload));
	cr_assert_arr_eq(v2 + 40, payload, sizeof(payload));
	cr_assert_eq(v2[7], sizeof(payload));
	free(v2);
	rb_hist_free(&h);
}

Test(hist_codec, nine_byte_varint)
{
	rb_hist h = new_hist(), back = new_hist();
	rb_hist_record_n(&h, 7, 1ull << 62); /* ZigZag 2^63: the 9th byte holds 8 bits */
	rb_hist_record_n(&h, 8, (1ull << 62) - 1);
	uint8_t *v2;
	size_t n = encode(&h, &v2);
	cr_assert_eq(n, 40 + 1 + 9 + 9); /* -7 (slots 0..6), then two 9-byte counts */
	cr_assert_eq(v2[41], 0x80);
	cr_assert_eq(v2[49], 0x80); /* 2^63 >> 56 */
	char err[256];
	cr_assert_eq(rb_hist_decode_v2(&back, v2, n, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.counts[7], 1ull << 62);
	cr_assert_eq(back.counts[8], (1ull << 62) - 1);
	free(v2);
	rb_hist_free(&h);
	rb_hist_free(&back);
}

Test(hist_codec, empty_histogram)
{
	rb_hist h = new_hist(), back = new_hist();
	uint8_t *z;
	size_t zn;
	cr_assert_eq(rb_hist_encode_compressed(&h, &z, &zn), 0);
	char err[256];
	rb_hist_record(&back, 5);
	cr_assert_eq(rb_hist_decode_compressed(&back, z, zn, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rb_hist_count(&back), 0);
	free(z);
	rb_hist_free(&h);
	rb_hist_free(&back);
}

Test(hist_codec, round_trip_compressed_base64)
{
	rb_hist h = new_hist(), back = new_hist();
	uint64_t s = 77;
	for (int i = 0; i < 300000; i++) {
		uint64_t r = ref_rand(&s);
		rb_hist_record(&h, (int64_t)((r >> 8) & ((1ull << (1 + r % 41)) - 1)) + 1);
	}
	rb_hist_record(&h, (int64_t)h.highest); /* the top slot */
	uint8_t *z;
	size_t zn;
	cr_assert_eq(rb_hist_encode_compressed(&h, &z, &zn), 0);
	char *b64 = malloc(zn / 3 * 4 + 8);
	size_t bn = rb_base64_encode(z, zn, b64);
	cr_assert_eq(bn % 4, 0);
	cr_assert_eq(strncmp(b64, "HISTFAAA", 8), 0, "%.8s", b64); /* 0x1c849314 0000... */
	uint8_t *raw = malloc(bn / 4 * 3 + 3);
	size_t rn;
	cr_assert_eq(rb_base64_decode(b64, bn, raw, &rn), 0);
	cr_assert_eq(rn, zn);
	cr_assert_arr_eq(raw, z, zn);
	rb_hist_settings set;
	char err[256];
	cr_assert_eq(rb_hist_decode_compressed(&back, raw, rn, &set, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(set.digits, 3);
	cr_assert_eq(set.lowest, 1);
	cr_assert_eq((uint64_t)set.highest, h.highest);
	assert_same_counts(&h, &back);
	/* min and max as HdrHistogram reports them: their slots' ends */
	cr_assert_eq(rb_hist_min(&back), rb_hist_lowest_equivalent(rb_hist_min(&h)));
	cr_assert_eq(rb_hist_max(&back), rb_hist_highest_equivalent(rb_hist_max(&h)));
	static const double pct[] = {1, 50, 90, 99, 99.9, 99.99};
	for (unsigned i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		cr_assert_eq(rb_hist_value_at_percentile(&back, pct[i]),
			     rb_hist_value_at_percentile(&h, pct[i]));
	free(b64);
	free(raw);
	free(z);
	rb_hist_free(&h);
	rb_hist_free(&back);
}

Test(hist_codec, base64_vectors)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
		 {"f", "Zg=="},
		 {"fo", "Zm8="},
		 {"foo", "Zm9v"},
		 {"foob", "Zm9vYg=="},
		 {"fooba", "Zm9vYmE="},
		 {"foobar", "Zm9vYmFy"}};
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[16];
		uint8_t back[16];
		size_t n;
		rb_base64_encode((const uint8_t *)v[i].in, strlen(v[i].in), out);
		cr_assert_str_eq(out, v[i].out);
		cr_assert_eq(rb_base64_decode(out, strlen(out), back, &n), 0);
		cr_assert_eq(n, strlen(v[i].in));
		cr_assert_eq(memcmp(back, v[i].in, n), 0);
	}
	uint8_t b[16];
	size_t n;
	cr_assert_eq(rb_base64_decode("Zm9v!", 5, b, &n), -1);
	cr_assert_eq(rb_base64_decode("Zm9vY", 5, b, &n), -1);
	cr_assert_eq(rb_base64_decode("Zg=", 3, b, &n), -1);
}

/* 4 significant digits (32768 sub-buckets), lowest 1: finer than ours, so each
 * of its slots lies in one of ours. */
Test(hist_codec, finer_buckets_merge_exactly)
{
	rb_hist h = new_hist();
	/* slot 100 (value 100) x5; then slot 3 * 16384 + 5: bucket 2, sub-bucket
	 * 16384 + 5, value 16389 << 2 = 65556 (4 values; ours: 64), x1 */
	uint8_t payload[16], v2[64];
	uint8_t *p = payload;
	*p++ = 0xc7; /* -100: ZigZag 199 */
	*p++ = 0x01;
	*p++ = 0x0a; /* 5 */
	uint64_t gap = 16384 + 2 * 16384 + 5 - 101;
	uint64_t z = 2 * gap - 1;
	*p++ = (uint8_t)((z & 0x7f) | 0x80);
	*p++ = (uint8_t)(((z >> 7) & 0x7f) | 0x80);
	*p++ = (uint8_t)(z >> 14);
	*p++ = 0x02; /* 1 */
	size_t n = foreign_v2(v2, 4, 1, 3600000000000ull, payload, (size_t)(p - payload));
	char err[256];
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rb_hist_count(&h), 6);
	cr_assert_eq(h.counts[rb_hist_index(100)], 5);
	cr_assert_eq(h.counts[rb_hist_index(65556)], 1);
	rb_hist_free(&h);
}

Test(hist_codec, coarser_buckets_refused)
{
	rb_hist h = new_hist();
	uint8_t v2[64];
	char err[256];
	/* lowest 1024: slot 5 (-5, then 1) is [5120, 6144), 1024 values where ours
	 * holds 4 */
	size_t n = foreign_v2(v2, 3, 1024, 3600000000000ull, (const uint8_t[]){0x09, 0x02}, 2);
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "coarser than ours"), "%s", err);
	/* 2 significant digits: 256 sub-buckets, slot 200 is value 200 exactly,
	 * slot 300 is bucket 1: [344, 346) = 2 values where ours holds 1 */
	n = foreign_v2(v2, 2, 1, 3600000000000ull, (const uint8_t[]){0x8f, 0x03, 0x02}, 3);
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.counts[200], 1);
	n = foreign_v2(v2, 2, 1, 3600000000000ull, (const uint8_t[]){0xd7, 0x04, 0x02}, 3);
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "2 significant digits"), "%s", err);
	rb_hist_free(&h);
}

Test(hist_codec, values_beyond_our_range_refused)
{
	rb_hist h = new_hist();
	/* lowest 1, 3 digits, highest 2^50: a count in bucket 40 (values ~2^51) */
	uint8_t v2[64];
	uint64_t idx = (41ull << 10) + 5, z = 2 * idx - 1;
	uint8_t payload[] = {(uint8_t)((z & 0x7f) | 0x80), (uint8_t)(((z >> 7) & 0x7f) | 0x80),
			     (uint8_t)(z >> 14), 0x02};
	size_t n = foreign_v2(v2, 3, 1, 1ull << 52, payload, sizeof(payload));
	char err[256];
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "beyond the highest trackable"), "%s", err);
	rb_hist_free(&h);
}

Test(hist_codec, corrupt_input_refused)
{
	rb_hist h = new_hist();
	rb_hist_record_n(&h, 12345, 7);
	uint8_t *v2, *z;
	size_t n = encode(&h, &v2), zn;
	char err[256];
	/* a bad cookie, a short header, a payload cut short, a varint cut short */
	v2[3] ^= 0x01;
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cookie"), "%s", err);
	v2[3] ^= 0x01;
	cr_assert_eq(rb_hist_decode_v2(&h, v2, 39, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "header"), "%s", err);
	cr_assert_eq(rb_hist_decode_v2(&h, v2, n - 1, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "payload"), "%s", err);
	uint8_t cut[64];
	memcpy(cut, v2, 40);
	cut[40] = 0x80; /* a continuation byte, then nothing */
	put32(cut + 4, 1);
	cr_assert_eq(rb_hist_decode_v2(&h, cut, 41, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "ends inside a number"), "%s", err);
	/* compressed: truncated, corrupt, the wrong cookie */
	cr_assert_eq(rb_hist_compress_v2(v2, n, 6, &z, &zn), 0);
	cr_assert_eq(rb_hist_decode_compressed(&h, z, zn, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rb_hist_count(&h), 7);
	cr_assert_eq(rb_hist_decode_compressed(&h, z, zn - 3, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "compressed bytes"), "%s", err);
	put32(z + 4, (uint32_t)(zn - 8 - 4)); /* the zlib stream cut short */
	cr_assert_eq(rb_hist_decode_compressed(&h, z, zn - 4, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "compressed data"), "%s", err);
	put32(z + 4, (uint32_t)(zn - 8));
	z[zn - 6] ^= 0xff; /* the zlib stream's last bytes, or its checksum */
	cr_assert_eq(rb_hist_decode_compressed(&h, z, zn, NULL, err, sizeof(err)), -1);
	cr_assert_eq(rb_hist_decode_compressed(&h, v2, n, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cookie"), "%s", err);
	free(z);
	free(v2);
	rb_hist_free(&h);
}
