/*
 * libFuzzer target for libringparse.  The first byte picks what the rest is:
 *   byte % 3 == 0  a request
 *   byte % 3 == 1  a response (RP_RESPONSE_TO_HEAD when (byte / 3) is odd)
 *   byte % 3 == 2  a chunked body
 * (first byte / 6) % 8 == 1 or 2 picks small limits (4 header slots, a
 * 256-byte block, a 24-byte target; or a NULL header array, 1 KiB, 64).
 * Every supported variant parses it (against a guard page) and must agree
 * with scalar on every field; the result must be sane (consumed <= len,
 * spans inside the consumed bytes); and an incremental parse (split points
 * taken from the input, the buffer moving between calls) must end where the
 * one-shot parse does.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_run.h"
#include "harness.h"

#define CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const rp_variant *vs[RT_MAX_VARIANTS];
static size_t nv;
static struct guard ga, gb;
static struct rt_result ref, got;

static void die(const char *what, const char *in, size_t len, const char *why)
{
	char esc[1024];

	rt_escape(esc, sizeof(esc), in, len, 400);
	fprintf(stderr, "fuzz_parser: %s: %s\ninput (%zu bytes): \"%s\"\n", what, why, len, esc);
	abort();
}

static uint64_t mix(const char *in, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)in[i]) * 0x100000001b3ull;
	return h;
}

static int same_end(const struct rt_result *a, const struct rt_result *b, char *why, size_t n)
{
	if (a->ret == RP_ERROR && b->ret == RP_ERROR) {
		if (a->m.error == b->m.error && a->m.error_offset == b->m.error_offset)
			return 0;
		snprintf(why, n, "error %s@%u vs %s@%u", rp_error_name(a->m.error),
			 a->m.error_offset, rp_error_name(b->m.error), b->m.error_offset);
		return 1;
	}
	return rt_result_diff(a, b, why, n);
}

static void message(enum rt_kind k, unsigned rflags, const char *in, size_t len)
{
	uint64_t h = mix(in, len);
	size_t cuts[4], ncuts = 0;
	char why[RT_WHY];

	rt_parse_once(rt_scalar(), k, rflags, in, len, &ga, 0, &ref);
	if (rt_result_sane(&ref, len, why, sizeof(why)))
		die("scalar result not sane", in, len, why);
	for (size_t v = 0; v < nv; v++) {
		for (int at_head = 0; at_head < 2; at_head++) {
			rt_parse_once(vs[v], k, rflags, in, len, &ga, at_head, &got);
			if (rt_result_diff(&ref, &got, why, sizeof(why)))
				die(vs[v]->name, in, len, why);
		}
	}

	/* Incremental: up to four cuts from the hash, then one byte at a time. */
	for (size_t at = 0; ncuts < 4 && len > 1; h >>= 12) {
		at += 1 + (size_t)(h % (len / 2 + 1));
		if (at >= len)
			break;
		cuts[ncuts++] = at;
	}
	for (size_t v = 0; v < nv; v++) {
		rt_parse_split(vs[v], k, rflags, in, len, cuts, ncuts, &ga, &gb, &got);
		if (same_end(&ref, &got, why, sizeof(why)))
			die("split vs one-shot", in, len, why);
		if (len <= 4096) {
			rt_parse_bytewise(vs[v], k, rflags, in, len, &ga, &gb, &got);
			if (same_end(&ref, &got, why, sizeof(why)))
				die("byte by byte vs one-shot", in, len, why);
		}
	}

	/* A complete message is incomplete one byte short. */
	if (ref.ret > 0) {
		rt_parse_once(rt_scalar(), k, rflags, in, (size_t)ref.ret - 1, &ga, 0, &got);
		if (got.ret != RP_INCOMPLETE)
			die("one byte short of complete is not RP_INCOMPLETE", in, len, "");
	}
}

static void chunked(const char *in, size_t len)
{
	uint64_t h = mix(in, len);
	size_t first = (size_t)(h % (len + 1)), step = 1 + (size_t)((h >> 32) % 17);
	struct rt_chunk_run one, split, other;
	char why[RT_WHY];

	rt_chunk_run(rt_scalar(), in, len, SIZE_MAX, SIZE_MAX, &ga, &one);
	if (one.broken)
		die("scalar chunked", in, len, one.why);
	rt_chunk_run(rt_scalar(), in, len, first, step, &ga, &split);
	if (rt_chunk_diff(&one, &split, 0, why, sizeof(why)))
		die("chunked split vs one-shot", in, len, why);
	for (size_t v = 0; v < nv; v++) {
		rt_chunk_run(vs[v], in, len, SIZE_MAX, SIZE_MAX, &ga, &other);
		if (rt_chunk_diff(&one, &other, 1, why, sizeof(why)))
			die(vs[v]->name, in, len, why);
		rt_chunk_run_free(&other);
		rt_chunk_run(vs[v], in, len, first, step, &ga, &other);
		if (rt_chunk_diff(&split, &other, 1, why, sizeof(why)))
			die(vs[v]->name, in, len, why);
		rt_chunk_run_free(&other);
	}
	if (one.status == RT_CH_DONE && one.consumed > len)
		die("chunked consumed more than given", in, len, "");
	rt_chunk_run_free(&one);
	rt_chunk_run_free(&split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len;

	if (size == 0 || size - 1 > CAP)
		return 0;
	if (!nv) {
		nv = rt_variants(vs);
		guard_init(&ga, CAP);
		guard_init(&gb, CAP);
	}
	len = size - 1;
	switch ((data[0] / 6) % 8) {
	case 1: {
		rp_limits tight = {.max_header_bytes = 256, .max_target = 24};

		rt_set_limits(4, &tight, 0);
		break;
	}
	case 2: {
		rp_limits mid = {.max_header_bytes = 1024, .max_target = 64};

		rt_set_limits(RP_DEFAULT_MAX_HEADERS, &mid, 1);
		break;
	}
	default:
		rt_set_limits(RP_DEFAULT_MAX_HEADERS, NULL, 0);
	}
	switch (data[0] % 3) {
	case 0:
		message(RT_REQUEST, 0, in, len);
		break;
	case 1:
		message(RT_RESPONSE, (data[0] / 3) & 1 ? RP_RESPONSE_TO_HEAD : 0, in, len);
		break;
	default:
		chunked(in, len);
	}
	return 0;
}
