/* rbp_subject_ringparse: time a ringparse variant on a buffer of requests. */
#include "bench.h"

#include <inttypes.h>
#include <string.h>

#include "rbp.h"

/* Chunked body at buf: bytes consumed, or a negative result (RP_ERROR, or
 * RP_INCOMPLETE if the buffer ends first).  *c tells which rule broke. */
static int64_t rbp_chunked_skip(const rp_variant *v, rp_chunked *c, const char *buf, size_t len,
				uint64_t *acc)
{
	size_t off = 0;

	rp_chunked_init(c);
	while (!rp_chunked_done(c)) {
		const char *data = NULL;
		size_t data_len = 0;
		int64_t r = v->chunked_feed(c, buf + off, len - off, &data, &data_len);
		if (r < 0)
			return r;
		if (r == 0)
			return RP_INCOMPLETE;
		off += (size_t)r;
		*acc += data_len;
	}
	return (int64_t)off;
}

static long rbp_ringparse_verify(const void *ctx, const char *buf, size_t len, char *err,
				 size_t errlen)
{
	const rp_variant *v = ctx;
	rp_header headers[RP_DEFAULT_MAX_HEADERS];
	rp_message m;
	rp_chunked c;
	size_t off = 0;
	long n = 0;
	uint64_t acc = 0;

	while (off < len) {
		rp_message_init(&m, headers, RP_DEFAULT_MAX_HEADERS, NULL);
		int64_t r = v->parse_request(&m, buf + off, len - off);
		if (r == RP_INCOMPLETE) {
			snprintf(err, errlen, "request %ld (byte %zu) is incomplete", n + 1, off);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "request %ld (byte %zu): %s at byte %zu: %s", n + 1,
				 off, rp_error_name((rp_error)m.error), off + m.error_offset,
				 rp_error_message((rp_error)m.error));
			return -1;
		}
		off += (size_t)r;
		if (m.framing == RP_BODY_LENGTH) {
			if (m.content_length > len - off) {
				snprintf(err, errlen,
					 "request %ld: body of %" PRIu64 " bytes, only %zu follow",
					 n + 1, m.content_length, len - off);
				return -1;
			}
			off += (size_t)m.content_length;
		} else if (m.framing == RP_BODY_CHUNKED) {
			int64_t b = rbp_chunked_skip(v, &c, buf + off, len - off, &acc);
			if (b < 0) {
				snprintf(err, errlen, "request %ld: chunked body: %s", n + 1,
					 b == RP_INCOMPLETE ? "incomplete"
							    : rp_error_name((rp_error)c.error));
				return -1;
			}
			off += (size_t)b;
		} else if (m.framing != RP_BODY_NONE) {
			snprintf(err, errlen, "request %ld: unexpected body framing %u", n + 1,
				 (unsigned)m.framing);
			return -1;
		}
		n++;
	}
	if (n == 0)
		snprintf(err, errlen, "no request in the file");
	return n ? n : -1;
}

static uint64_t rbp_ringparse_run(const void *ctx, const char *buf, size_t len)
{
	const rp_variant *v = ctx;
	rp_header headers[RP_DEFAULT_MAX_HEADERS];
	rp_message m;
	rp_chunked c;
	size_t off = 0;
	uint64_t acc = 0;

	/* Verified beforehand: every request completes, so a failure here is
	 * impossible; it still stops the loop rather than spin. */
	while (off < len) {
		rp_message_init(&m, headers, RP_DEFAULT_MAX_HEADERS, NULL);
		int64_t r = v->parse_request(&m, buf + off, len - off);
		if (r <= 0)
			break;
		off += (size_t)r;
		acc += m.nheaders + m.target.len + m.method_id;
		if (m.framing == RP_BODY_LENGTH) {
			off += (size_t)m.content_length;
		} else if (m.framing == RP_BODY_CHUNKED) {
			int64_t b = rbp_chunked_skip(v, &c, buf + off, len - off, &acc);
			if (b <= 0)
				break;
			off += (size_t)b;
		}
	}
	return acc + off;
}

void rbp_subject_ringparse(rbp_subject *s, const rp_variant *v)
{
	s->name = v->name;
	s->ctx = v;
	s->verify = rbp_ringparse_verify;
	s->run = rbp_ringparse_run;
}

int rbp_subjects_beside(const char *variant, rbp_subject *out, size_t cap)
{
	const rp_variant *v[16]; /* more than there are variants */
	if (variant && strcmp(variant, "none") == 0)
		return 0;
	int n = rbp_variants_pick(variant, v, cap < 16 ? cap : 16);
	for (int i = 0; i < n; i++)
		rbp_subject_ringparse(&out[i], v[i]);
	return n;
}
