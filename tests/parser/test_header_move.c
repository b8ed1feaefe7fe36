/* Between incomplete parses: moving the header array (see rp_message_init),
 * which is what a server does when a request spans receives, and calls with
 * fewer bytes than before.  Every variant. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
static const size_t split = 34; /* after "A: 1\r\n" plus 2 bytes of "B: 2" */

Test(header_move, copied_array_gives_the_one_shot_result)
{
	for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++) {
		const rp_variant *v = *vp;
		if (!v->supported())
			continue;
		rp_header shared[128], own[8], whole[128];
		rp_message m, ref;

		rp_message_init(&m, shared, 128, NULL);
		cr_assert_eq(v->parse_request(&m, req, split), RP_INCOMPLETE, "[%s]", v->name);
		cr_assert_eq(m.nheaders, 2u, "[%s] Host and A before the split", v->name);
		memcpy(own, shared, m.nheaders * sizeof(rp_header));
		memset(shared, 0xab, sizeof shared); /* the shared array is reused */
		m.headers = own;
		m.max_headers = 8;
		int64_t n = v->parse_request(&m, req, sizeof req - 1);

		rp_message_init(&ref, whole, 128, NULL);
		cr_assert_eq(n, v->parse_request(&ref, req, sizeof req - 1), "[%s]", v->name);
		cr_assert_eq(m.nheaders, ref.nheaders, "[%s]", v->name);
		cr_assert_eq(memcmp(own, whole, ref.nheaders * sizeof(rp_header)), 0,
			     "[%s] header spans differ from a one-shot parse", v->name);
	}
}

Test(header_move, array_shrunk_below_the_count_is_refused)
{
	for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++) {
		const rp_variant *v = *vp;
		if (!v->supported())
			continue;
		rp_header shared[128], small[1];
		rp_message m;

		rp_message_init(&m, shared, 128, NULL);
		cr_assert_eq(v->parse_request(&m, req, split), RP_INCOMPLETE, "[%s]", v->name);
		memcpy(small, shared, sizeof small);
		m.headers = small;
		m.max_headers = 1; /* below the 2 already counted: no wrap-around */
		cr_assert_eq(v->parse_request(&m, req, sizeof req - 1), RP_ERROR, "[%s]", v->name);
		cr_assert_eq(m.error, RP_E_TOO_MANY_HEADERS, "[%s] %s", v->name,
			     rp_error_name((rp_error)m.error));
	}
}

/* A call with fewer bytes than the last one: nothing to do, nothing read
 * past the end, and the parse still completes when the bytes come. */
Test(header_move, shorter_buffer_than_last_call_is_incomplete)
{
	for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++) {
		const rp_variant *v = *vp;
		if (!v->supported())
			continue;
		rp_header h[16], ref_h[16];
		rp_message m, ref;

		rp_message_init(&m, h, 16, NULL);
		cr_assert_eq(v->parse_request(&m, req, split), RP_INCOMPLETE, "[%s]", v->name);
		cr_assert_eq(v->parse_request(&m, req, 10), RP_INCOMPLETE, "[%s]", v->name);
		cr_assert_eq(v->parse_request(&m, req, 0), RP_INCOMPLETE, "[%s]", v->name);
		rp_message_init(&ref, ref_h, 16, NULL);
		cr_assert_eq(v->parse_request(&m, req, sizeof req - 1),
			     v->parse_request(&ref, req, sizeof req - 1), "[%s]", v->name);
		cr_assert_eq(m.nheaders, ref.nheaders, "[%s]", v->name);
	}
}

/* A response's obs-fold extends the header before it, which may be in an
 * array the caller moved since: split at every byte, the shared array
 * copied out and poisoned, the result is the one-shot one. */
Test(header_move, obs_fold_extends_the_moved_array)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nA: 1\r\nX: a\r\n b\r\n\tc\r\n"
				   "Connection: close,\r\n keep-alive\r\nB:\r\n 2\r\n\r\n";
	for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++) {
		const rp_variant *v = *vp;
		if (!v->supported())
			continue;
		rp_header whole[16];
		rp_message ref;
		rp_message_init(&ref, whole, 16, NULL);
		int64_t want = v->parse_response(&ref, resp, sizeof resp - 1, 0);
		cr_assert_eq(want, (int64_t)sizeof resp - 1, "[%s] %s", v->name,
			     rp_error_name((rp_error)ref.error));
		cr_assert_eq(ref.nheaders, 4u, "[%s]", v->name);
		for (size_t cut = 1; cut < sizeof resp - 1; cut++) {
			rp_header shared[16], own[16];
			rp_message m;

			rp_message_init(&m, shared, 16, NULL);
			cr_assert_eq(v->parse_response(&m, resp, cut, 0), RP_INCOMPLETE,
				     "[%s] cut %zu", v->name, cut);
			memcpy(own, shared, m.nheaders * sizeof(rp_header));
			memset(shared, 0xab, sizeof shared);
			m.headers = own;
			cr_assert_eq(v->parse_response(&m, resp, sizeof resp - 1, 0), want,
				     "[%s] cut %zu", v->name, cut);
			cr_assert_eq(m.nheaders, ref.nheaders, "[%s] cut %zu", v->name, cut);
			cr_assert_eq(m.flags, ref.flags, "[%s] cut %zu", v->name, cut);
			cr_assert_eq(memcmp(own, whole, ref.nheaders * sizeof(rp_header)), 0,
				     "[%s] cut %zu: header spans differ from a one-shot parse",
				     v->name, cut);
		}
	}
}
