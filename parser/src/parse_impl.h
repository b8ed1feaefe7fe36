/*
 * The HTTP/1.1 message grammar (RFC 9112 sections 2-5), written once.
 *
 * Each variant_*.c includes its kernels (k_scan_tchar, k_scan_target,
 * k_scan_fvalue) and then this file, so every variant runs this exact code
 * with its own scanning loops.  The policy it enforces is docs/parser-policy.md.
 *
 * The parse is resumable: when the bytes run out, the stage and the offsets
 * reached are saved in m->resume and the next call jumps straight back to
 * that stage, so nothing already validated is scanned again.
 */
#include <string.h>

#include "fields.h"
#include "finish.h"
#include "internal.h"

/* The error and suspend paths are out of line: kept off the hot loop, they
 * leave its registers to the pointers it walks. */
__attribute__((cold, noinline)) static int64_t pi_fail(rp_message *m, const char *buf,
						       const char *at, rp_error e, uint32_t nh)
{
	m->nheaders = nh;
	m->error = (uint16_t)e;
	m->error_offset = (uint32_t)(at - buf);
	m->resume.stage = RP_ST_ERROR;
	return RP_ERROR;
}

/* Out of bytes: remember where we are, unless the block is already as large
 * as it may get. */
__attribute__((cold, noinline)) static int64_t pi_suspend(rp_message *m, const char *buf,
							  const char *end, unsigned stage,
							  const char *line, const char *mark,
							  const char *scan, uint32_t nh)
{
	if ((size_t)(end - buf) >= m->limits.max_header_bytes)
		return pi_fail(m, buf, end, RP_E_HEADERS_TOO_LARGE, nh);
	m->nheaders = nh;
	m->resume.stage = stage;
	m->resume.line = (uint32_t)(line - buf);
	m->resume.mark = (uint32_t)(mark - buf);
	m->resume.scan = (uint32_t)(scan - buf);
	return RP_INCOMPLETE;
}

/* A span as one 64-bit store. */
static inline void pi_span(rp_span *s, const char *buf, const char *from, const char *to)
{
	uint64_t v = (uint64_t)(uint32_t)(from - buf) | (uint64_t)(uint32_t)(to - from) << 32;
	memcpy(s, &v, sizeof v);
}

/* CR LF at q (two bytes are there). */
static inline int pi_is_crlf(const char *q)
{
	uint16_t w;
	memcpy(&w, q, 2);
	return w == ('\r' | '\n' << 8);
}

static inline int pi_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The rule broken by a byte that ended a scan where it may not: a lone LF
 * or a CR without its LF, else the rule of the part being scanned. */
static inline rp_error pi_stray(const char *q, const char *end, rp_error otherwise)
{
	if (*q == '\n')
		return RP_E_BARE_LF;
	if (*q == '\r' && q + 1 < end && q[1] != '\n')
		return RP_E_BARE_CR;
	return otherwise;
}

/* Names that may shape framing or the connection (rp_field): host (4, to
 * pi_host), expect (6), connection (10), content-length (14) and
 * transfer-encoding (17), to rp_field.  The first letter a length may start
 * with keeps the call off the common path; the index wraps at 32, which only
 * lets a few more names through, and the callees match whole names. */
static inline int pi_maybe_special(const char *name, uint32_t len)
{
	static const char first[32] = {[4] = 'h', [6] = 'e', [10] = 'c', [14] = 'c', [17] = 't'};
	return ((unsigned char)name[0] | 0x20) == (unsigned char)first[len & 31];
}

/* "HTTP/" DIGIT "." DIGIT, checked as far as the bytes go.  Returns the
 * number of bytes matched (8 when whole) or -1 with *bad at the offender. */
static inline int pi_version(const char *p, const char *end, const char **bad)
{
	static const char lit[] = "HTTP/";
	int n = (int)(end - p < 8 ? end - p : 8);
	for (int i = 0; i < n; i++) {
		char c = p[i];
		int ok = i < 5 ? c == lit[i] : i == 6 ? c == '.' : RP_DIGIT(c);
		if (!ok) {
			*bad = p + i;
			return -1;
		}
	}
	return n;
}

/* CR LF at p, as far as the bytes go: 2 when whole, 0 or 1 when short,
 * -1 with the rule broken in *e. */
static inline int pi_crlf(const char *p, const char *end, rp_error *e)
{
	if (p == end)
		return 0;
	if (*p != '\r') {
		*e = *p == '\n' ? RP_E_BARE_LF : RP_E_VERSION;
		return -1;
	}
	if (p + 1 == end)
		return 1;
	if (p[1] != '\n') {
		*e = RP_E_BARE_CR;
		return -1;
	}
	return 2;
}

/* An obs-fold line of a response (RFC 9112 5.2), [from, to) without its
 * CR LF, continues the value of h, the header before it: the value now ends
 * at the line's last byte that is not OWS (and starts at its first, if it
 * was empty so far), so the span covers the fold.  A line of OWS alone
 * changes nothing.  Linear: each line is trimmed once. */
__attribute__((cold, noinline)) static void pi_fold_extend(rp_header *h, const char *buf,
							   const char *from, const char *to)
{
	while (from < to && pi_ows(*from))
		from++;
	while (to > from && pi_ows(to[-1]))
		to--;
	if (from == to)
		return;
	if (h->value.len == 0)
		h->value.off = (uint32_t)(from - buf);
	h->value.len = (uint32_t)(to - buf) - h->value.off;
}

/* An obs-fold in a response starts at line: may the field it continues be
 * folded?  Content-Length and Transfer-Encoding may not: they frame the
 * body, and a framing field spread over lines is a smuggling vector that
 * a lenient reader would guess at (RP_E_OBS_FOLD).  Connection, already
 * read from its first line, is read again whole at the end of the block
 * (RP_SEEN_CONN_FOLD, rp_connection_reread).  The field is judged at its
 * first fold: a fold after a fold is fine.  The line before is found by
 * walking back to its start, at most once per line. */
__attribute__((cold, noinline)) static int pi_fold_ok(rp_message *m, const char *line)
{
	const char *s = line - 2; /* the CR LF that ends the line before */
	m->flags |= RP_F_OBS_FOLD;
	while (s[-1] != '\n')
		s--;
	if (pi_ows(*s))
		return 1; /* a fold: the field was judged at its first */
	const char *colon = memchr(s, ':', (size_t)(line - s));
	uint32_t nlen = (uint32_t)(colon - s);
	if (rp_field_is_framing(s, nlen))
		return 0;
	if (LIT_EQ(s, nlen, "connection"))
		m->resume.seen |= RP_SEEN_CONN_FOLD;
	return 1;
}

/*
 * The field section: field-name ":" OWS field-value OWS CRLF, until an
 * empty line.  A function of its own (inlining it into the start-line code
 * measured 15% more instructions: the per-line loop lost registers to the
 * start-line's paths).  Entered at stage RP_ST_LINE with p at a line start,
 * or resuming RP_ST_NAME / RP_ST_VALUE / RP_ST_FOLD.
 *
 * obs-fold (a line that starts with SP or HTAB) is refused in requests and
 * trailers.  In a response it continues the value before it (RFC 9112 5.2:
 * a user agent reads it as SP), found where every field line's end of
 * block test already is, when no name starts a line: so a response pays
 * only where a fold is, and a request nothing.  pi_fold_ok judges the field
 * folded, and each fold line extends its span (pi_fold_extend).
 */
/* Inlined where it does not cost spills (variants without vector state in
 * the field loop set RP_INLINE_FIELDS). */
#ifdef RP_INLINE_FIELDS
#define RP_FIELDS_ATTR __attribute__((always_inline)) inline
#define RP_HOST_ATTR __attribute__((always_inline)) inline
#else
#define RP_FIELDS_ATTR __attribute__((noinline))
#define RP_HOST_ATTR __attribute__((noinline))
#endif

/* Host, in nearly every request: checked in the field loop where it has
 * registers to spare, else by a call that keeps the loop's registers. */
RP_HOST_ATTR static rp_error pi_host(rp_message *m, const char *vs, const char *ve, int32_t index,
				     const char *host_run)
{
	return rp_field_host(m, vs, (uint32_t)(ve - vs), index, host_run);
}

RP_FIELDS_ATTR static int64_t pi_fields(rp_message *m, const char *buf, const char *end,
					unsigned stage, const char *line, const char *mark,
					const char *p, const k_win *start_win)
{
	const char *q, *vq;
	rp_error e;
	rp_resume *r = &m->resume;
	/* Kept in locals: header stores could alias them in memory.  Without a
	 * caller's array, every header is written to one scratch slot. */
	rp_header scratch;
	rp_header *hp = m->headers ? m->headers + m->nheaders : &scratch;
	const size_t hstride = m->headers ? sizeof(rp_header) : 0;
	const uint32_t max_headers = m->max_headers;
	const unsigned kind = r->seen & RP_KIND_MASK;
	/* Header slots left.  A caller that moved the header array between
	 * calls (see rp_message_init) must not have shrunk it below the count. */
	if (m->nheaders > max_headers)
		return pi_fail(m, buf, line, RP_E_TOO_MANY_HEADERS, m->nheaders);
	uint32_t left = max_headers - m->nheaders;
	k_ctx kc;
	k_ctx_init(&kc);
	k_win win = *start_win; /* possibly preloaded by the start-line code */

/* Every exit writes the header count back (pi_fail, pi_suspend, done). */
#define FAIL(at, err) pi_fail(m, buf, (at), (err), max_headers - left)
#define SUSPEND(stage, ln, mk, sc)                                                                 \
	pi_suspend(m, buf, end, (stage), (ln), (mk), (sc), max_headers - left)

	if (stage != RP_ST_LINE) {
		if (stage == RP_ST_NAME)
			goto field_name;
		if (stage == RP_ST_VALUE)
			goto field_value;
		goto fold_value; /* RP_ST_FOLD */
	}
	p = line;
field_line:
	line = p;
	k_scan_field(&win, &kc, line, buf, end, &q, &vq);
	if (__builtin_expect(vq != NULL && q != line, 1)) {
		/* The kernel saw the colon: a non-empty name, and its value end. */
		mark = q;
		q = vq;
		goto value_scanned;
	}
	/* No name here: the end of the block, or a line that breaks a rule. */
	if (p == end)
		return SUSPEND(RP_ST_LINE, line, line, line);
	if (*p == '\r') {
		if (p + 1 == end)
			return SUSPEND(RP_ST_LINE, line, line, line);
		if (p[1] != '\n')
			return FAIL(p, RP_E_BARE_CR);
		p += 2;
		goto done;
	}
	if (pi_ows(*p)) {
		if (kind == RP_KIND_RESPONSE && left != max_headers) {
			if (!pi_fold_ok(m, line))
				return FAIL(p, RP_E_OBS_FOLD);
			goto fold_value;
		}
		return FAIL(p, left != max_headers ? RP_E_OBS_FOLD : RP_E_LEADING_WS);
	}
	goto name_scanned;
field_name:
	q = k_scan_tchar(&kc, p, end);
name_scanned:
	if (q == end)
		return SUSPEND(RP_ST_NAME, line, line, q);
	if (*q != ':' || q == line) {
		if (q != line && pi_ows(*q))
			return FAIL(q, RP_E_WS_BEFORE_COLON);
		return FAIL(q, *q == '\n' ? RP_E_BARE_LF : RP_E_HEADER_NAME);
	}
	mark = q;
	p = q + 1;
field_value:
	q = k_scan_fvalue(&kc, p, end);
value_scanned:
	if (__builtin_expect(end - q < 2 || !pi_is_crlf(q), 0)) {
		if (q == end || (*q == '\r' && q + 1 == end))
			return SUSPEND(RP_ST_VALUE, line, mark, q);
		if (*q != '\r')
			return FAIL(q, pi_stray(q, end, RP_E_HEADER_VALUE));
		return FAIL(q, RP_E_BARE_CR);
	}
	{
		/* Usually one SP before the value and none after.  The value scan
		 * let through no control byte but HTAB, so between the colon and q
		 * a byte at or below SP is OWS; ve[-1] is at worst the colon. */
		const char *vs = mark + 1, *ve = q;
		vs += *vs == ' ';
		if (__builtin_expect((unsigned char)*vs <= ' ', 0))
			while (vs < ve && pi_ows(*vs))
				vs++;
		if (__builtin_expect((unsigned char)ve[-1] <= ' ', 0))
			while (ve > vs && pi_ows(ve[-1]))
				ve--;
		if (left == 0)
			return FAIL(line, RP_E_TOO_MANY_HEADERS);
		left--;
		uint32_t nlen = (uint32_t)(mark - line);
		pi_span(&hp->name, buf, line, mark);
		pi_span(&hp->value, buf, vs, ve);
		hp = (rp_header *)((char *)hp + hstride);
		if (pi_maybe_special(line, nlen) && kind != RP_KIND_TRAILER) {
			if (rp_field_is_host(m, line, nlen))
				e = pi_host(m, vs, ve, (int32_t)(max_headers - left - 1),
					    k_scan_regname(&kc, vs, end));
			else
				e = rp_field(m, line, nlen, vs, (uint32_t)(ve - vs));
			if (e != RP_OK)
				return FAIL(vs, e);
		}
	}
	p = q + 2;
	goto field_line;

	/* A response's obs-fold line, not yet its CR LF, from line (SP or
	 * HTAB) or, resuming, from p. */
fold_value:
	q = k_scan_fvalue(&kc, p, end);
	if (__builtin_expect(end - q < 2 || !pi_is_crlf(q), 0)) {
		if (q == end || (*q == '\r' && q + 1 == end))
			return SUSPEND(RP_ST_FOLD, line, line, q);
		if (*q != '\r')
			return FAIL(q, pi_stray(q, end, RP_E_HEADER_VALUE));
		return FAIL(q, RP_E_BARE_CR);
	}
	if (m->headers)
		pi_fold_extend((rp_header *)((char *)hp - hstride), buf, line, q);
	p = q + 2;
	goto field_line;

done:
	m->nheaders = max_headers - left;
	if (kind != RP_KIND_TRAILER) {
		e = rp_finish(m, buf, p);
		if (e != RP_OK)
			return FAIL(p, e);
	}
	r->stage = RP_ST_DONE;
	r->scan = (uint32_t)(p - buf);
	return p - buf;
#undef FAIL
#undef SUSPEND
}

static int64_t pi_parse(rp_message *m, const char *buf, size_t len)
{
	const size_t cap = len < m->limits.max_header_bytes ? len : m->limits.max_header_bytes;
	const char *const end = buf + cap;
	rp_resume *r = &m->resume;
	/* A caller must pass at least the bytes of its last call; fewer cannot
	 * move the parse on, and must not send a scan behind end. */
	if (__builtin_expect((size_t)r->scan > cap, 0) && r->stage < RP_ST_DONE)
		return RP_INCOMPLETE;
	const char *line = buf + r->line;
	const char *mark = buf + r->mark;
	const char *p = buf + r->scan;
	const char *q;
	rp_error e;
	const unsigned kind = r->seen & RP_KIND_MASK;
	k_ctx kc;
	k_win win;
	k_win_init(&win);

/* No header is counted yet while the start-line is parsed. */
#define FAIL(at, err) pi_fail(m, buf, (at), (err), 0)
#define SUSPEND(stage, ln, mk, sc) pi_suspend(m, buf, end, (stage), (ln), (mk), (sc), 0)

	switch (r->stage) {
	case RP_ST_START:
		break;
	case RP_ST_METHOD:
		k_ctx_init(&kc);
		goto method;
	case RP_ST_TARGET:
		k_ctx_init(&kc);
		goto target;
	case RP_ST_VERSION:
		goto version;
	case RP_ST_REASON:
		k_ctx_init(&kc);
		goto reason;
	case RP_ST_LINE:
	case RP_ST_NAME:
	case RP_ST_VALUE:
	case RP_ST_FOLD:
		return pi_fields(m, buf, end, r->stage, line, mark, p, &win);
	case RP_ST_DONE:
		return r->scan;
	default:
		return RP_ERROR;
	}
	k_ctx_init(&kc);

	/* ---- start-line ---------------------------------------------------- */
	if (kind == RP_KIND_RESPONSE)
		goto status_line;

	/* RFC 9112 2.2: one empty line before a request is ignored. */
	if (p == buf && p < end && *p == '\r') {
		if (p + 1 == end)
			return SUSPEND(RP_ST_START, buf, buf, p);
		if (p[1] != '\n')
			return FAIL(p, RP_E_BARE_CR);
		p += 2;
	}
	if (p == end)
		return SUSPEND(RP_ST_START, buf, buf, p);
	if (*p == '\r' || *p == '\n')
		return FAIL(p, *p == '\n' ? RP_E_BARE_LF : RP_E_EMPTY_LINES);
	line = p;

	/* Most request lines are 16 to 64 bytes long: the window for the first
	 * field lines can be classified now, without waiting for the line. */
	k_win_preload(&win, &kc, buf + 16, buf, end);
	/* The two methods nearly every request uses, without the token scan and
	 * the method table. */
	if (end - p >= 4 && memcmp(p, "GET ", 4) == 0) {
		m->method = (rp_span){(uint32_t)(p - buf), 3};
		m->method_id = RP_M_GET;
		p += 4;
		goto target_start;
	}
	if (end - p >= 5 && memcmp(p, "POST ", 5) == 0) {
		m->method = (rp_span){(uint32_t)(p - buf), 4};
		m->method_id = RP_M_POST;
		p += 5;
		goto target_start;
	}
method:
	q = k_scan_tchar(&kc, p, end);
	if (q == end)
		return SUSPEND(RP_ST_METHOD, line, line, q);
	if (q == line || *q != ' ') {
		if (*q == '\r' && q + 1 == end) /* bare CR or not: the next byte says */
			return SUSPEND(RP_ST_METHOD, line, line, q);
		return FAIL(q, pi_stray(q, end, RP_E_METHOD));
	}
	m->method = (rp_span){(uint32_t)(line - buf), (uint32_t)(q - line)};
	m->method_id = rp_method_id(line, (uint32_t)(q - line));
	p = q + 1;

target_start:
	mark = p;
target:
	for (;;) {
		q = k_scan_target(&kc, p, end);
		if ((uint64_t)(q - mark) > m->limits.max_target)
			return FAIL(mark + m->limits.max_target, RP_E_TARGET_TOO_LONG);
		if (q == end)
			return SUSPEND(RP_ST_TARGET, line, mark, q);
		if (*q != '%')
			break;
		/* pct-encoded = "%" HEXDIG HEXDIG */
		for (int i = 1; i <= 2; i++) {
			if (q + i == end)
				return SUSPEND(RP_ST_TARGET, line, mark, q);
			if (!RP_IS_HEX((unsigned char)q[i]))
				return FAIL(q, RP_E_PERCENT);
		}
		p = q + 3;
	}
	if (*q != ' ' || q == mark) {
		if (*q == ' ')
			return FAIL(q, RP_E_SPACE); /* two SP before the target */
		/* A line ending right after the target is HTTP/0.9: no version. */
		if (*q == '\r' && q + 1 == end)
			return SUSPEND(RP_ST_TARGET, line, mark, q);
		if (*q == '\r' || *q == '\n')
			return FAIL(q, pi_stray(q, end, RP_E_VERSION));
		/* '[' and ']' enclose an IP-literal host (RFC 3986 3.2.2), which
		 * only an authority holds: let them through a target that is not
		 * origin-form, and rp__target_form judges where they stand. */
		if ((*q == '[' || *q == ']') && *mark != '/') {
			p = q + 1;
			goto target;
		}
		return FAIL(q, RP_E_TARGET);
	}
	m->target = (rp_span){(uint32_t)(mark - buf), (uint32_t)(q - mark)};
	if (__builtin_expect(*mark != '/' || m->method_id == RP_M_CONNECT, 0)) {
		e = rp__target_form(m, mark, (uint32_t)(q - mark));
		if (e != RP_OK)
			return FAIL(mark, e);
	}
	mark = q + 1;

version : {
	if (end - mark >= 10 && memcmp(mark, "HTTP/1.1\r\n", 10) == 0) {
		m->version_major = 1;
		m->version_minor = 1;
		r->seen |= RP_SEEN_V11;
		return pi_fields(m, buf, end, RP_ST_LINE, mark + 10, NULL, NULL, &win);
	}
	const char *bad = NULL;
	int n = pi_version(mark, end, &bad);
	if (n < 0)
		return FAIL(bad, bad == mark && *bad == ' ' ? RP_E_SPACE : RP_E_VERSION);
	if (n == 8) {
		int c = pi_crlf(mark + 8, end, &e);
		if (c < 0)
			return FAIL(mark + 8, mark[8] == ' ' ? RP_E_SPACE : e);
		n += c;
	}
	if (n < 10)
		return SUSPEND(RP_ST_VERSION, line, mark, mark);
	m->version_major = (uint8_t)(mark[5] - '0');
	m->version_minor = (uint8_t)(mark[7] - '0');
	if (rp_at_least_11(m))
		r->seen |= RP_SEEN_V11;
	return pi_fields(m, buf, end, RP_ST_LINE, mark + 10, NULL, NULL, &win);
}

	/* RFC 9112 4: HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF */
status_line : {
	const char *bad = NULL;
	int n = pi_version(buf, end, &bad);
	if (n < 0)
		return FAIL(bad, RP_E_VERSION);
	for (int i = 8; i < 13 && buf + i < end; i++) {
		char c = buf[i];
		if (i == 8 || i == 12 ? c != ' ' : !RP_DIGIT(c))
			return FAIL(buf + i, i == 8 || i == 12 ? RP_E_SPACE : RP_E_STATUS);
	}
	if (end - buf < 13)
		return SUSPEND(RP_ST_START, buf, buf, buf);
	unsigned status = (unsigned)(buf[9] - '0') * 100 + (unsigned)(buf[10] - '0') * 10 +
			  (unsigned)(buf[11] - '0');
	/* RFC 9110 15: a code outside 100-599 is invalid but the message is
	 * not malformed; the recipient treats it as 5xx, so it parses. */
	m->version_major = (uint8_t)(buf[5] - '0');
	m->version_minor = (uint8_t)(buf[7] - '0');
	if (rp_at_least_11(m))
		r->seen |= RP_SEEN_V11;
	m->status = (uint16_t)status;
	line = buf;
	mark = p = buf + 13;
}
reason:
	q = k_scan_fvalue(&kc, p, end);
	if (q == end)
		return SUSPEND(RP_ST_REASON, line, mark, q);
	if (*q != '\r')
		return FAIL(q, pi_stray(q, end, RP_E_REASON));
	if (q + 1 == end)
		return SUSPEND(RP_ST_REASON, line, mark, q);
	if (q[1] != '\n')
		return FAIL(q, RP_E_BARE_CR);
	m->reason = (rp_span){(uint32_t)(mark - buf), (uint32_t)(q - mark)};
	return pi_fields(m, buf, end, RP_ST_LINE, q + 2, NULL, NULL, &win);
#undef FAIL
#undef SUSPEND
}

static int64_t pi_parse_request(rp_message *m, const char *buf, size_t len)
{
	return pi_parse(m, buf, len);
}

static int64_t pi_parse_response(rp_message *m, const char *buf, size_t len, unsigned flags)
{
	if (m->resume.stage == RP_ST_START && m->resume.scan == 0)
		m->resume.seen |= RP_KIND_RESPONSE |
				  ((flags & RP_RESPONSE_TO_HEAD) ? RP_SEEN_RESP_HEAD : 0);
	return pi_parse(m, buf, len);
}

static int64_t pi_parse_trailer(rp_message *m, const char *buf, size_t len)
{
	return pi_parse(m, buf, len);
}

static int64_t pi_chunked_feed(rp_chunked *c, const char *buf, size_t len, const char **data,
			       size_t *data_len)
{
	return rp__chunked_feed(c, buf, len, data, data_len, pi_parse_trailer);
}

/* The variant's exported entry points (declared by RP_DECLARE_VARIANT). */
#define RP_DEFINE_VARIANT(v)                                                                       \
	int64_t rp__##v##_parse_request(rp_message *m, const char *buf, size_t len)                \
	{                                                                                          \
		return pi_parse_request(m, buf, len);                                              \
	}                                                                                          \
	int64_t rp__##v##_parse_response(rp_message *m, const char *buf, size_t len,               \
					 unsigned flags)                                           \
	{                                                                                          \
		return pi_parse_response(m, buf, len, flags);                                      \
	}                                                                                          \
	int64_t rp__##v##_chunked_feed(rp_chunked *c, const char *buf, size_t len,                 \
				       const char **data, size_t *data_len)                        \
	{                                                                                          \
		return pi_chunked_feed(c, buf, len, data, data_len);                               \
	}                                                                                          \
	const char *rp__##v##_scan(int cls, const char *p, const char *end)                        \
	{                                                                                          \
		k_ctx kc;                                                                          \
		k_ctx_init(&kc);                                                                   \
		return cls == RP_SCAN_TCHAR    ? k_scan_tchar(&kc, p, end)                         \
		       : cls == RP_SCAN_TARGET ? k_scan_target(&kc, p, end)                        \
					       : k_scan_fvalue(&kc, p, end);                       \
	}
