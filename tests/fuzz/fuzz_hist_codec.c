/*
 * libFuzzer target for rb_hist_codec's decoders, what rbload merge runs on
 * any file it is given: the input is taken as uncompressed V2 bytes, as
 * compressed bytes, and as base64 of compressed bytes.  Each decode either
 * fails with a message or gives a histogram; a histogram decoded must encode
 * and decode again to the same counts (and its encoding must fit
 * rb_hist_v2_bound).  Any difference aborts; the sanitizers catch the rest.
 */
#include "rb_hist_codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rb_hist a, b;
static int ready;

static void round_trip(void)
{
	size_t bound = rb_hist_v2_bound(&a);
	uint8_t *v2 = malloc(bound);
	if (!v2)
		abort();
	size_t n = rb_hist_encode_v2(&a, v2);
	if (n > bound) {
		fprintf(stderr, "fuzz_hist_codec: encoded %zu bytes, bound %zu\n", n, bound);
		abort();
	}
	char err[512];
	if (rb_hist_decode_v2(&b, v2, n, NULL, err, sizeof(err))) {
		fprintf(stderr, "fuzz_hist_codec: our own encoding refused: %s\n", err);
		abort();
	}
	if (memcmp(a.counts, b.counts, a.counts_len * sizeof(*a.counts)) ||
	    rb_hist_count(&a) != rb_hist_count(&b)) {
		fprintf(stderr, "fuzz_hist_codec: counts differ after a round trip\n");
		abort();
	}
	free(v2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		if (rb_hist_init(&a, RB_HIST_HOUR_NS) || rb_hist_init(&b, RB_HIST_HOUR_NS))
			abort();
		ready = 1;
	}
	char err[512];
	if (!rb_hist_decode_v2(&a, data, size, NULL, err, sizeof(err)))
		round_trip();
	if (!rb_hist_decode_compressed(&a, data, size, NULL, err, sizeof(err)))
		round_trip();
	uint8_t *raw = malloc(size / 4 * 3 + 3);
	size_t n;
	if (!raw)
		abort();
	if (!rb_base64_decode((const char *)data, size, raw, &n) &&
	    !rb_hist_decode_compressed(&a, raw, n, NULL, err, sizeof(err)))
		round_trip();
	free(raw);
	return 0;
}
