/* Checking one parse result against one table row. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cases.h"

static const char *const method_names[] = {
	[RP_M_GET] = "GET",         [RP_M_HEAD] = "HEAD",     [RP_M_POST] = "POST",
	[RP_M_PUT] = "PUT",         [RP_M_DELETE] = "DELETE", [RP_M_CONNECT] = "CONNECT",
	[RP_M_OPTIONS] = "OPTIONS", [RP_M_TRACE] = "TRACE",   [RP_M_PATCH] = "PATCH",
};

static unsigned expected_method_id(const char *method)
{
	for (unsigned i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(method_names[i], method) == 0)
			return i;
	return RP_M_OTHER;
}

int64_t rt_case_expected_ret(const struct rt_case *c)
{
	return c->ret == 0 ? (int64_t)(c->len - c->tail) : c->ret;
}

static int span_is(const char *buf, rp_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;
}

static int span_fail(char *why, size_t n, const char *field, const char *buf, rp_span s,
		     const char *want)
{
	char got[160];

	rt_escape(got, sizeof(got), buf + s.off, s.len, 60);
	snprintf(why, n, "%s is \"%s\", want \"%s\"", field, got, want);
	return 1;
}

static int check_error(const struct rt_case *c, const struct rt_result *r, char *why, size_t n)
{
	char got[64];

	if (r->ret != RP_ERROR) {
		snprintf(why, n, "%s, want error %s", rt_describe(got, sizeof(got), r),
			 rp_error_name((rp_error)c->err[0]));
		return 1;
	}
	if (c->err[0] == 0)
		return 0;
	for (int i = 0; i < RT_MAX_ERRS && c->err[i]; i++)
		if (r->m.error == c->err[i])
			return 0;
	snprintf(why, n, "error %s, want %s%s%s", rp_error_name((rp_error)r->m.error),
		 rp_error_name((rp_error)c->err[0]), c->err[1] ? " or " : "",
		 c->err[1] ? rp_error_name((rp_error)c->err[1]) : "");
	return 1;
}

static int check_headers(const struct rt_case *c, const struct rt_result *r, const char *buf,
			 char *why, size_t n)
{
	const rp_message *m = &r->m;
	uint32_t want = 0;
	char label[48];

	while (want < RT_MAX_HDRS && c->h[want].name)
		want++;
	if (want == 0 && c->nh)
		want = c->nh;
	if ((want || c->nh) && m->nheaders != want) {
		snprintf(why, n, "nheaders %u, want %u", m->nheaders, want);
		return 1;
	}
	for (uint32_t i = 0; i < RT_MAX_HDRS && c->h[i].name; i++) {
		snprintf(label, sizeof(label), "header[%u].name", i);
		if (!span_is(buf, r->h[i].name, c->h[i].name))
			return span_fail(why, n, label, buf, r->h[i].name, c->h[i].name);
		snprintf(label, sizeof(label), "header[%u].value", i);
		if (!span_is(buf, r->h[i].value, c->h[i].value))
			return span_fail(why, n, label, buf, r->h[i].value, c->h[i].value);
	}
	if (m->flags & RP_F_HAS_HOST) {
		if (m->host_index < 0 || (uint32_t)m->host_index >= m->nheaders ||
		    !(r->h[m->host_index].name.len == 4 &&
		      strncasecmp(buf + r->h[m->host_index].name.off, "host", 4) == 0)) {
			snprintf(why, n, "RP_F_HAS_HOST but host_index %d is not a Host header",
				 m->host_index);
			return 1;
		}
	} else if (m->host_index != -1) {
		snprintf(why, n, "no RP_F_HAS_HOST but host_index %d", m->host_index);
		return 1;
	}
	return 0;
}

int rt_case_check(const struct rt_case *c, const struct rt_result *r, const char *buf, char *why,
		  size_t n)
{
	const rp_message *m = &r->m;
	int64_t want = rt_case_expected_ret(c);
	char got[64];

	if (c->ret == RP_ERROR)
		return check_error(c, r, why, n);
	if (r->ret != want) {
		snprintf(why, n, "%s, want %s%lld", rt_describe(got, sizeof(got), r),
			 want == RP_INCOMPLETE ? "incomplete " : "ret=", (long long)want);
		return 1;
	}
	if (want <= 0)
		return 0;
	if (c->kind == RT_REQUEST && c->method) {
		if (!span_is(buf, m->method, c->method))
			return span_fail(why, n, "method", buf, m->method, c->method);
		if (m->method_id != expected_method_id(c->method)) {
			snprintf(why, n, "method_id %u, want %u", m->method_id,
				 expected_method_id(c->method));
			return 1;
		}
	}
	if (c->kind == RT_REQUEST && c->target && !span_is(buf, m->target, c->target))
		return span_fail(why, n, "target", buf, m->target, c->target);
	if (c->version && (m->version_major != (unsigned)(c->version[0] - '0') ||
			   m->version_minor != (unsigned)(c->version[2] - '0'))) {
		snprintf(why, n, "version %u.%u, want %s", m->version_major, m->version_minor,
			 c->version);
		return 1;
	}
	if (c->kind == RT_RESPONSE && m->status != c->status) {
		snprintf(why, n, "status %u, want %u", m->status, c->status);
		return 1;
	}
	if (c->kind == RT_RESPONSE && c->reason && !span_is(buf, m->reason, c->reason))
		return span_fail(why, n, "reason", buf, m->reason, c->reason);
	if (m->framing != c->framing) {
		snprintf(why, n, "framing %u, want %u", m->framing, c->framing);
		return 1;
	}
	if (c->framing == RP_BODY_LENGTH && m->content_length != c->cl) {
		snprintf(why, n, "content_length %llu, want %llu",
			 (unsigned long long)m->content_length, (unsigned long long)c->cl);
		return 1;
	}
	if ((m->flags & ~c->flags_ignore) != (c->flags & ~c->flags_ignore)) {
		snprintf(why, n, "flags 0x%x, want 0x%x (ignoring 0x%x)", m->flags, c->flags,
			 c->flags_ignore);
		return 1;
	}
	return check_headers(c, r, buf, why, n);
}
