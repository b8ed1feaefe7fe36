/*
 * The rules that apply once a header block has ended: the cross-field
 * smuggling checks, the body framing (RFC 9112 section 6.3) and whether the
 * connection persists (section 9.3).  Inline because every message ends
 * here; included by the grammar (parse_impl.h), through fields.h.
 */
#ifndef RP_FINISH_H
#define RP_FINISH_H

#include "internal.h"

static inline int rp_at_least_11(const rp_message *m)
{
	return m->version_major > 1 || (m->version_major == 1 && m->version_minor >= 1);
}

/* 1xx, 204 and 304 (RFC 9112 6.3 item 1).  A code below 100 is invalid and
 * read as 5xx (RFC 9110 15), so it may have a body. */
static inline int rp_bodiless_status(unsigned status)
{
	return (status >= 100 && status < 200) || status == 204 || status == 304;
}

/* A response's Connection fields read again from its head [buf, end),
 * folds and all, when one ran over obs-folds (defined with rp_field). */
static void rp_connection_reread(rp_message *m, const char *buf, const char *end);

/* The head is [buf, end).  Always inline: the common request takes the
 * first branch only, and as a call (which the compiler chose once the rest
 * grew) it cost the scalar variant 20 instructions a request. */
__attribute__((always_inline)) static inline rp_error rp_finish(rp_message *m, const char *buf,
								const char *end)
{
	uint32_t seen = m->resume.seen;
	int v11 = (seen & RP_SEEN_V11) != 0;

	/* The common request: 1.1 or later, no framing field, one Host. */
	if (seen == RP_SEEN_V11 && m->host_index >= 0) {
		m->framing = RP_BODY_NONE;
		if (!(m->flags & RP_F_CONN_CLOSE))
			m->flags |= RP_F_KEEP_ALIVE;
		return RP_OK;
	}

	int request = (seen & RP_KIND_MASK) == RP_KIND_REQUEST;
	/* Two of Content-Length, Transfer-Encoding and CONNECT: CL with TE
	 * is refused in any message; and a CONNECT request has no content
	 * (RFC 9110 9.3.6), what follows its head is the tunnel, so a length
	 * or a coding, which would make those bytes a body, is refused.  One
	 * test for both (x & (x - 1): two bits or more), off the GET path. */
	uint32_t framers = seen & (RP_SEEN_CL | RP_SEEN_TE | RP_SEEN_CONNECT);
	if (__builtin_expect((framers & (framers - 1)) != 0, 0))
		return (seen & RP_SEEN_CONNECT) ? RP_E_CONNECT_BODY : RP_E_CL_AND_TE;

	if (request) {
		if (v11 && m->host_index < 0)
			return RP_E_HOST;
		if (seen & RP_SEEN_TE) {
			/* RFC 9112 6.3 item 4: a request whose final coding is not
			 * chunked (or that lists none) has no determinable length. */
			if (!(seen & RP_SEEN_TE_FINAL_CHUNKED))
				return RP_E_TRANSFER_ENCODING;
			m->framing = RP_BODY_CHUNKED;
		} else {
			m->framing = (seen & RP_SEEN_CL) ? RP_BODY_LENGTH : RP_BODY_NONE;
		}
	} else {
		if (__builtin_expect(seen & RP_SEEN_CONN_FOLD, 0))
			rp_connection_reread(m, buf, end);
		if ((seen & RP_SEEN_RESP_HEAD) || rp_bodiless_status(m->status))
			m->framing = RP_BODY_NONE;
		else if (seen & RP_SEEN_TE)
			m->framing = (seen & RP_SEEN_TE_FINAL_CHUNKED) ? RP_BODY_CHUNKED
								       : RP_BODY_CLOSE;
		else
			m->framing = (seen & RP_SEEN_CL) ? RP_BODY_LENGTH : RP_BODY_CLOSE;
	}
	if (m->framing != RP_BODY_LENGTH)
		m->content_length = 0;

	/* 1.1 persists unless closed; 1.0 only when asked; never after a body
	 * that ends with the connection. */
	int persist = v11 ? !(m->flags & RP_F_CONN_CLOSE)
			  : (m->flags & RP_F_CONN_KEEP_ALIVE) && !(m->flags & RP_F_CONN_CLOSE);
	if (persist && m->framing != RP_BODY_CLOSE)
		m->flags |= RP_F_KEEP_ALIVE;
	return RP_OK;
}

#endif
