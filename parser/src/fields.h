/*
 * The header fields that decide framing and the connection's fate (RFC 9112
 * sections 3.2, 6, 9.3; RFC 9110 sections 7.2, 10.1.1).  Included by the
 * grammar (parse_impl.h) only: nearly every request has a Host and a
 * Connection field, so their common forms are inline in the field loop,
 * while list walking and Transfer-Encoding stay out of line (noinline).
 * The cross-field rules applied once the block ends are rp_finish()'s.
 */
#ifndef RP_FIELDS_H
#define RP_FIELDS_H

#include <string.h>

#include "charset.h"
#include "finish.h"
#include "internal.h"
#include "kernels_scalar.h"

static inline uint64_t rp_load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t rp_load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* p equals lower (lowercase letters, digits, '-') ignoring ASCII case.
 * OR-ing 0x20 folds case; no byte that may stand in a token or a field
 * value folds onto a letter, digit or '-' other than its own capital (the
 * bytes that would, 0x0d and 0x10-0x19, are control characters the grammar
 * has already refused).  lower is a literal, so with len known its words
 * fold to immediates.  The tail is a word that overlaps the one before it,
 * never a partial copy: assembling a short tail on the stack and reloading
 * it as a word stalled store forwarding, and that was a quarter of the
 * parse time of a request with Host, Connection and Content-Length. */
static inline int rp_lower_eq(const char *p, const char *lower, size_t len)
{
	if (len >= 8) {
		uint64_t diff = 0;
		for (size_t i = 0; i + 8 < len; i += 8)
			diff |= (rp_load64(p + i) | 0x2020202020202020ull) ^ rp_load64(lower + i);
		diff |= (rp_load64(p + len - 8) | 0x2020202020202020ull) ^
			rp_load64(lower + len - 8);
		return diff == 0;
	}
	if (len >= 4) {
		uint32_t diff =
			((rp_load32(p) | 0x20202020u) ^ rp_load32(lower)) |
			((rp_load32(p + len - 4) | 0x20202020u) ^ rp_load32(lower + len - 4));
		return diff == 0;
	}
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)p[i] | 0x20) != (unsigned char)lower[i])
			return 0;
	return 1;
}

#define LIT_EQ(p, n, lit) ((n) == sizeof(lit) - 1 && rp_lower_eq(p, lit, sizeof(lit) - 1))

__attribute__((noinline)) static uint8_t rp_method_id(const char *p, uint32_t len)
{
	/* Method names are case-sensitive (RFC 9110 9.1). */
#define M(lit, id)                                                                                 \
	if (len == sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0)                        \
		return id;
	M("GET", RP_M_GET)
	M("HEAD", RP_M_HEAD)
	M("POST", RP_M_POST)
	M("PUT", RP_M_PUT)
	M("DELETE", RP_M_DELETE)
	M("CONNECT", RP_M_CONNECT)
	M("OPTIONS", RP_M_OPTIONS)
	M("TRACE", RP_M_TRACE)
	M("PATCH", RP_M_PATCH)
#undef M
	return RP_M_OTHER;
}

/* Iterate the elements of a comma-separated list (RFC 9110 5.6.1), OWS
 * trimmed.  Empty elements are returned too; callers decide. */
typedef struct list_iter {
	const char *p, *end;
	int done;
} list_iter;

static inline int list_next(list_iter *it, const char **elem, uint32_t *elen)
{
	if (it->done)
		return 0;
	const char *s = it->p, *e = s;
	while (e < it->end && *e != ',')
		e++;
	if (e == it->end)
		it->done = 1;
	else
		it->p = e + 1;
	/* OWS: SP and HTAB, and the CR LF of an obs-fold in a response's
	 * Connection (read as SP, RFC 9112 5.2): no other byte at or below SP
	 * gets through the value scan. */
	while (s < e && (unsigned char)*s <= ' ')
		s++;
	const char *t = e;
	while (t > s && (unsigned char)t[-1] <= ' ')
		t--;
	*elem = s;
	*elen = (uint32_t)(t - s);
	return 1;
}

static inline int is_token(const char *p, uint32_t n)
{
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (!rp_is((unsigned char)p[i], RP_C_TCHAR))
			return 0;
	return 1;
}

/* Content-Length = 1*DIGIT; a list of identical values is one value
 * (RFC 9112 6.3 item 5); anything else, or more than 2^63-1, is an error. */
__attribute__((noinline)) static rp_error content_length_list(rp_message *m, const char *v,
							      uint32_t n)
{
	list_iter it = {v, v + n, 0};
	const char *el;
	uint32_t elen;
	while (list_next(&it, &el, &elen)) {
		if (elen == 0)
			return RP_E_CONTENT_LENGTH;
		uint64_t x = 0;
		for (uint32_t i = 0; i < elen; i++) {
			if (!RP_DIGIT(el[i]))
				return RP_E_CONTENT_LENGTH;
			unsigned d = (unsigned)(el[i] - '0');
			if (x > ((uint64_t)INT64_MAX - d) / 10)
				return RP_E_CONTENT_LENGTH;
			x = x * 10 + d;
		}
		if ((m->resume.seen & RP_SEEN_CL) && x != m->content_length)
			return RP_E_CONTENT_LENGTH;
		m->content_length = x;
		m->resume.seen |= RP_SEEN_CL;
	}
	return RP_OK;
}

/* The usual Content-Length: one plain number.  Up to 18 digits cannot
 * exceed 2^63-1, so no overflow check; anything else takes the list path,
 * which applies every rule (this is only its shortcut). */
static inline rp_error content_length(rp_message *m, const char *v, uint32_t n)
{
	if (n - 1 < 18 && !(m->resume.seen & RP_SEEN_CL)) {
		uint64_t x = 0;
		uint32_t i = 0;
		while (i < n && RP_DIGIT(v[i]))
			x = x * 10 + (uint64_t)(v[i++] - '0');
		if (i == n) {
			m->content_length = x;
			m->resume.seen |= RP_SEEN_CL;
			return RP_OK;
		}
	}
	return content_length_list(m, v, n);
}

/* Transfer-Encoding = #transfer-coding (RFC 9112 6.1), possibly split over
 * several fields.  chunked may appear once and must end the list; a request
 * whose list does not end in chunked is refused in rp_finish(). */
__attribute__((noinline)) static rp_error transfer_encoding(rp_message *m, const char *v,
							    uint32_t n)
{
	unsigned kind = m->resume.seen & RP_KIND_MASK;
	if (!(m->resume.seen & RP_SEEN_V11))
		return RP_E_TE_HTTP10;
	m->resume.seen |= RP_SEEN_TE;
	list_iter it = {v, v + n, 0};
	const char *el;
	uint32_t elen;
	while (list_next(&it, &el, &elen)) {
		if (elen == 0)
			continue; /* empty list elements are ignored (RFC 9110 5.6.1.2) */
		/* Codings take no parameters we could honour; refuse them rather
		 * than guess where the coding name ends. */
		if (!is_token(el, elen))
			return RP_E_TRANSFER_ENCODING;
		if (LIT_EQ(el, elen, "chunked")) {
			if (m->resume.seen & RP_SEEN_TE_CHUNKED)
				return RP_E_TRANSFER_ENCODING; /* applied twice */
			m->resume.seen |= RP_SEEN_TE_CHUNKED | RP_SEEN_TE_FINAL_CHUNKED;
		} else {
			/* A coding after chunked: a request cannot be framed at all;
			 * a response is then read until close. */
			if ((m->resume.seen & RP_SEEN_TE_CHUNKED) && kind == RP_KIND_REQUEST)
				return RP_E_TRANSFER_ENCODING;
			m->resume.seen &= ~(uint32_t)RP_SEEN_TE_FINAL_CHUNKED;
		}
	}
	return RP_OK;
}

__attribute__((noinline)) static void connection_list(rp_message *m, const char *v, uint32_t n)
{
	list_iter it = {v, v + n, 0};
	const char *el;
	uint32_t elen;
	while (list_next(&it, &el, &elen)) {
		if (LIT_EQ(el, elen, "close"))
			m->flags |= RP_F_CONN_CLOSE;
		else if (LIT_EQ(el, elen, "keep-alive"))
			m->flags |= RP_F_CONN_KEEP_ALIVE;
		else if (LIT_EQ(el, elen, "upgrade"))
			m->flags |= RP_F_CONN_UPGRADE;
	}
}

/* A response whose Connection ran over obs-folds (RFC 9112 5.2): its first
 * line was read as it came, but a fold may change what it says ("close"
 * then a fold then "x" is the one option "close   x", which is none), so
 * the options are forgotten and every Connection field of the block is
 * read again whole, a fold's CR LF counting as OWS (list_next).  Once per
 * such response, one walk over its header lines. */
__attribute__((cold, noinline)) static void rp_connection_reread(rp_message *m, const char *buf,
								 const char *end)
{
	/* [buf, end) is the whole head, its lines checked: each ends in CR LF. */
	const char *p = (const char *)memchr(buf, '\n', (size_t)(end - buf)) + 1;
	m->flags &= ~(uint32_t)(RP_F_CONN_CLOSE | RP_F_CONN_KEEP_ALIVE | RP_F_CONN_UPGRADE);
	while (*p != '\r') { /* up to the empty line */
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *e = colon;
		do /* to the CR LF not followed by a fold */
			e = (const char *)memchr(e, '\n', (size_t)(end - e)) + 1;
		while (*e == ' ' || *e == '\t');
		if (LIT_EQ(p, (uint32_t)(colon - p), "connection"))
			connection_list(m, colon + 1, (uint32_t)(e - 2 - (colon + 1)));
		p = e;
	}
}

/* Connection: the two values nearly every client sends, without the walk. */
static inline void connection(rp_message *m, const char *v, uint32_t n)
{
	if (LIT_EQ(v, n, "keep-alive"))
		m->flags |= RP_F_CONN_KEEP_ALIVE;
	else if (LIT_EQ(v, n, "close"))
		m->flags |= RP_F_CONN_CLOSE;
	else
		connection_list(m, v, n);
}

/* Host: the common value is one run of reg-name bytes, found by the
 * variant's kernel (host_run is where it ends); anything else, such as a
 * port or an IP-literal, gets the full check. */
static inline int host_ok(const char *v, uint32_t n, const char *host_run)
{
	const char *end = v + n;
	if (host_run >= end)
		return 1;
	if (*host_run == ':' && host_run > v) { /* reg-name ":" port */
		const char *p = host_run + 1;
		while (p < end && RP_DIGIT(*p))
			p++;
		if (p == end)
			return 1;
	}
	return rp__valid_host(v, n, host_run);
}

/* Host: the one special field in nearly every request, so the field loop
 * tests for it inline and calls rp_field only for the others.  host_run is
 * where the value's leading reg-name run ends. */
static inline int rp_field_is_host(const rp_message *m, const char *name, uint32_t name_len)
{
	return name_len == 4 && (m->resume.seen & RP_KIND_MASK) == RP_KIND_REQUEST &&
	       rp_lower_eq(name, "host", 4);
}

static inline rp_error rp_field_host(rp_message *m, const char *value, uint32_t value_len,
				     int32_t index, const char *host_run)
{
	/* RFC 9112 3.2: more than one Host, or an invalid one, is a 400. */
	if (m->host_index >= 0 || !host_ok(value, value_len, host_run))
		return RP_E_HOST;
	m->host_index = index;
	m->flags |= RP_F_HAS_HOST;
	return RP_OK;
}

/* Content-Length or Transfer-Encoding: the fields that frame the body. */
static inline int rp_field_is_framing(const char *name, uint32_t name_len)
{
	return LIT_EQ(name, name_len, "content-length") ||
	       LIT_EQ(name, name_len, "transfer-encoding");
}

/* A field other than Host whose name may shape framing or the connection.
 * Returns RP_OK or the rule broken. */
static inline rp_error rp_field(rp_message *m, const char *name, uint32_t name_len,
				const char *value, uint32_t value_len)
{
	int request = (m->resume.seen & RP_KIND_MASK) == RP_KIND_REQUEST;

	switch (name_len) {
	case 14:
		if (rp_lower_eq(name, "content-length", 14))
			return content_length(m, value, value_len);
		break;
	case 17:
		if (rp_lower_eq(name, "transfer-encoding", 17))
			return transfer_encoding(m, value, value_len);
		break;
	case 10:
		if (rp_lower_eq(name, "connection", 10))
			connection(m, value, value_len);
		break;
	case 6:
		/* RFC 9110 10.1.1: a 1.0 request's 100-continue is ignored. */
		if (request && rp_lower_eq(name, "expect", 6) && (m->resume.seen & RP_SEEN_V11) &&
		    value_len) {
			if (LIT_EQ(value, value_len, "100-continue"))
				m->flags |= RP_F_EXPECT_CONTINUE;
			else
				m->flags |= RP_F_EXPECT_OTHER;
		}
		break;
	}
	return RP_OK;
}

#endif
