#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rt_variants(const rp_variant **out)
{
	const rp_variant *const *all = rp_variants_all();
	size_t n = 0;
	int have_scalar = 0;

	for (size_t i = 0; all && all[i]; i++) {
		if (!all[i]->supported())
			continue;
		if (strcmp(all[i]->name, "scalar") == 0)
			have_scalar = 1;
		if (n < RT_MAX_VARIANTS)
			out[n++] = all[i];
	}
	if (!have_scalar) {
		fprintf(stderr, "rt_variants: no supported \"scalar\" variant\n");
		abort();
	}
	return n;
}

const rp_variant *rt_scalar(void)
{
	const rp_variant *v = rp_variant_by_name("scalar");

	if (!v) {
		fprintf(stderr, "rt_scalar: rp_variant_by_name(\"scalar\") is NULL\n");
		abort();
	}
	return v;
}

static int64_t call(const rp_variant *v, enum rt_kind k, unsigned rflags, rp_message *m,
		    const char *buf, size_t len)
{
	if (k == RT_REQUEST)
		return v->parse_request(m, buf, len);
	return v->parse_response(m, buf, len, rflags);
}

static uint32_t max_headers = RP_DEFAULT_MAX_HEADERS;
static rp_limits limits;
static const rp_limits *limits_p;
static int headers_null;

void rt_set_limits(uint32_t max, const rp_limits *lim, int null_array)
{
	max_headers = max < RP_DEFAULT_MAX_HEADERS ? max : RP_DEFAULT_MAX_HEADERS;
	if (lim)
		limits = *lim;
	limits_p = lim ? &limits : NULL;
	headers_null = null_array;
}

static void start(struct rt_result *r)
{
	memset(r, 0, sizeof(*r));
	rp_message_init(&r->m, headers_null ? NULL : r->h, max_headers, limits_p);
}

const char *rt_parse_once(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
			  size_t len, struct guard *g, int at_head, struct rt_result *r)
{
	const char *buf = at_head ? guard_head(g, in, len) : guard_tail(g, in, len);

	start(r);
	r->ret = call(v, k, rflags, &r->m, buf, len);
	return buf;
}

void rt_parse_split(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
		    size_t len, const size_t *cuts, size_t ncuts, struct guard *a, struct guard *b,
		    struct rt_result *r)
{
	start(r);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t n = i < ncuts ? cuts[i] : len;
		struct guard *g = (i & 1) ? b : a;
		const char *buf = guard_tail(g, in, n);

		r->ret = call(v, k, rflags, &r->m, buf, n);
		if (r->ret != RP_INCOMPLETE)
			return;
	}
}

void rt_parse_bytewise(const rp_variant *v, enum rt_kind k, unsigned rflags, const char *in,
		       size_t len, struct guard *a, struct guard *b, struct rt_result *r)
{
	start(r);
	r->ret = RP_INCOMPLETE;
	for (size_t n = 1; n <= len; n++) {
		struct guard *g = (n & 1) ? b : a;
		const char *buf = guard_tail(g, in, n);

		r->ret = call(v, k, rflags, &r->m, buf, n);
		if (r->ret != RP_INCOMPLETE)
			return;
	}
}

#define DIFF(field)                                                                                \
	do {                                                                                       \
		if (a->m.field != b->m.field) {                                                    \
			snprintf(why, n, #field ": %lld vs %lld", (long long)a->m.field,           \
				 (long long)b->m.field);                                           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define DIFF_SPAN(expr, label)                                                                     \
	do {                                                                                       \
		if (a->expr.off != b->expr.off || a->expr.len != b->expr.len) {                    \
			snprintf(why, n, "%s: (%u,%u) vs (%u,%u)", label, a->expr.off,             \
				 a->expr.len, b->expr.off, b->expr.len);                           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int rt_result_diff(const struct rt_result *a, const struct rt_result *b, char *why, size_t n)
{
	char label[64];

	if (a->ret != b->ret) {
		snprintf(why, n, "return value: %lld vs %lld", (long long)a->ret,
			 (long long)b->ret);
		return 1;
	}
	DIFF(max_headers);
	DIFF(limits.max_header_bytes);
	DIFF(limits.max_target);
	DIFF_SPAN(m.method, "method");
	DIFF_SPAN(m.target, "target");
	DIFF_SPAN(m.reason, "reason");
	DIFF(method_id);
	DIFF(version_major);
	DIFF(version_minor);
	DIFF(framing);
	DIFF(status);
	DIFF(error);
	DIFF(error_offset);
	DIFF(nheaders);
	DIFF(flags);
	DIFF(host_index);
	DIFF(content_length);
	for (uint32_t i = 0; a->m.headers && i < a->m.nheaders && i < RP_DEFAULT_MAX_HEADERS; i++) {
		snprintf(label, sizeof(label), "header[%u].name", i);
		DIFF_SPAN(h[i].name, label);
		snprintf(label, sizeof(label), "header[%u].value", i);
		DIFF_SPAN(h[i].value, label);
	}
	return 0;
}

static int span_in(rp_span s, uint64_t limit)
{
	return (uint64_t)s.off + s.len <= limit;
}

int rt_result_sane(const struct rt_result *r, size_t len, char *why, size_t n)
{
	const rp_message *m = &r->m;

	if (r->ret == RP_ERROR) {
		if (m->error == RP_OK || m->error >= RP_E__COUNT) {
			snprintf(why, n, "RP_ERROR with error=%u", m->error);
			return 1;
		}
		if (m->error_offset > len) {
			snprintf(why, n, "error_offset %u beyond the %zu bytes given",
				 m->error_offset, len);
			return 1;
		}
		return 0;
	}
	if (r->ret == RP_INCOMPLETE)
		return 0;
	if (r->ret <= 0 || (uint64_t)r->ret > len) {
		snprintf(why, n, "return value %lld for %zu bytes", (long long)r->ret, len);
		return 1;
	}
	if (m->error != RP_OK) {
		snprintf(why, n, "complete but error=%u", m->error);
		return 1;
	}
	if (!span_in(m->method, (uint64_t)r->ret) || !span_in(m->target, (uint64_t)r->ret) ||
	    !span_in(m->reason, (uint64_t)r->ret)) {
		snprintf(why, n, "start-line span outside the %lld consumed bytes",
			 (long long)r->ret);
		return 1;
	}
	if (m->nheaders > m->max_headers) {
		snprintf(why, n, "nheaders %u > max_headers %u", m->nheaders, m->max_headers);
		return 1;
	}
	for (uint32_t i = 0; m->headers && i < m->nheaders; i++) {
		if (!span_in(r->h[i].name, (uint64_t)r->ret) ||
		    !span_in(r->h[i].value, (uint64_t)r->ret) || r->h[i].name.len == 0) {
			snprintf(why, n, "header[%u] span bad: name (%u,%u) value (%u,%u)", i,
				 r->h[i].name.off, r->h[i].name.len, r->h[i].value.off,
				 r->h[i].value.len);
			return 1;
		}
	}
	if (m->host_index < -1 || m->host_index >= (int32_t)m->nheaders) {
		snprintf(why, n, "host_index %d with %u headers", m->host_index, m->nheaders);
		return 1;
	}
	if (((m->flags & RP_F_HAS_HOST) != 0) != (m->host_index >= 0)) {
		snprintf(why, n, "RP_F_HAS_HOST=%d but host_index=%d", !!(m->flags & RP_F_HAS_HOST),
			 m->host_index);
		return 1;
	}
	if (m->framing > RP_BODY_CLOSE) {
		snprintf(why, n, "framing %u", m->framing);
		return 1;
	}
	return 0;
}

char *rt_escape(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
{
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];

		if (c == '\r')
			strcpy(tmp, "\\r");
		else if (c == '\n')
			strcpy(tmp, "\\n");
		else if (c == '\t')
			strcpy(tmp, "\\t");
		else if (c == '\\')
			strcpy(tmp, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			tmp[0] = (char)c, tmp[1] = 0;
		else
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		if (o + strlen(tmp) + 4 >= dstlen)
			break;
		strcpy(dst + o, tmp);
		o += strlen(tmp);
	}
	if (len > max && o + 4 < dstlen) {
		strcpy(dst + o, "...");
		o += 3;
	}
	dst[o] = 0;
	return dst;
}

char *rt_describe(char *dst, size_t dstlen, const struct rt_result *r)
{
	if (r->ret == RP_ERROR)
		snprintf(dst, dstlen, "error=%s@%u", rp_error_name((rp_error)r->m.error),
			 r->m.error_offset);
	else if (r->ret == RP_INCOMPLETE)
		snprintf(dst, dstlen, "incomplete");
	else
		snprintf(dst, dstlen, "ret=%lld", (long long)r->ret);
	return dst;
}
