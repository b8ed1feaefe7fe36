/*
 * The rules that apply once a header block has ended: the cross-field
 * smuggling checks, the body framing (RFC 9112 section 6.3) and whether the
 * connection persists (section 9.3).  Inline because every message ends
 * here; included by the grammar (parse_impl.h) and by semantics.c.
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

static inline rp_error rp_finish(rp_message *m)
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
	if ((seen & RP_SEEN_CL) && (seen & RP_SEEN_TE))
		return RP_E_CL_AND_TE;

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
	} else if ((seen & RP_SEEN_RESP_HEAD) || rp_bodiless_status(m->status)) {
		m->framing = RP_BODY_NONE;
	} else if (seen & RP_SEEN_TE) {
		m->framing = (seen & RP_SEEN_TE_FINAL_CHUNKED) ? RP_BODY_CHUNKED : RP_BODY_CLOSE;
	} else {
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
