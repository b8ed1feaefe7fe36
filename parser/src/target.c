/*
 * The request-target's four forms (RFC 9112 3.2).  Nearly every request is
 * origin-form ("/..."), which the grammar recognises by its first byte; the
 * other forms, and the rule that CONNECT takes only authority-form, are
 * checked here, off the common path.  rp_target_split() divides a checked
 * target into authority, path and query for the server.
 */
#include <string.h>

#include "charset.h"
#include "internal.h"

static int is_scheme_char(char c)
{
	return RP_ALPHA(c) || RP_DIGIT(c) || c == '+' || c == '-' || c == '.';
}

/* scheme "://": the length through the "//", or 0. */
static uint32_t scheme_prefix(const char *t, uint32_t n)
{
	uint32_t i = 0;
	if (n == 0 || !RP_ALPHA(t[0]))
		return 0;
	while (i < n && is_scheme_char(t[i]))
		i++;
	if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return 0;
	return i + 3;
}

/* The authority of an absolute-form target: from after "//" to the first
 * '/' or '?'. */
static rp_span authority_of(const char *buf, const char *t, uint32_t n, uint32_t start)
{
	uint32_t i = start;
	while (i < n && t[i] != '/' && t[i] != '?')
		i++;
	return (rp_span){(uint32_t)(t + start - buf), i - start};
}

/* An authority ends in ":" port, the port not empty: the last colon, which
 * must come after an IP-literal's closing bracket (the colons inside it are
 * not a port's), is neither first nor last. */
static int has_port(const char *t, uint32_t n)
{
	for (uint32_t i = n; i > 0 && t[i - 1] != ']'; i--)
		if (t[i - 1] == ':')
			return i > 1 && i < n;
	return 0;
}

/* '[' or ']' in [p, end): the grammar lets them through a target that is
 * not origin-form, for an IP-literal authority (RFC 3986 3.2.2); anywhere
 * else (path, query) they are refused. */
static int has_bracket(const char *p, uint32_t n)
{
	return memchr(p, '[', n) || memchr(p, ']', n);
}

rp_error rp__target_form(rp_message *m, const char *t, uint32_t n)
{
	if (m->method_id == RP_M_CONNECT) {
		/* authority-form = uri-host ":" port, and nothing else (9112
		 * 3.2.3); uri-host may be an IP-literal ("[2001:db8::1]:443"). */
		if (t[0] == '/' || !has_port(t, n) || !rp__valid_host(t, n, NULL))
			return RP_E_TARGET;
		m->target_form = RP_TARGET_AUTHORITY;
		m->resume.seen |= RP_SEEN_CONNECT; /* no content (rp_finish) */
		return RP_OK;
	}
	if (t[0] == '/')
		return RP_OK; /* origin-form (the grammar let no bracket through) */
	if (n == 1 && t[0] == '*') {
		/* asterisk-form is for a server-wide OPTIONS (9112 3.2.4): refused
		 * with the other methods we know; an extension method's rules are
		 * its own, and the server answers it 501 anyway. */
		if (m->method_id != RP_M_OPTIONS && m->method_id != RP_M_OTHER)
			return RP_E_TARGET;
		m->target_form = RP_TARGET_ASTERISK;
		return RP_OK;
	}
	/* absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ];
	 * the authority must be a valid, non-empty uri-host [":" port] (an
	 * IP-literal included), which also refuses userinfo (RFC 9110 4.2.4).
	 * Brackets stand only around an IP-literal in the authority. */
	uint32_t s = scheme_prefix(t, n);
	if (!s)
		return RP_E_TARGET;
	rp_span a = authority_of(t, t, n, s);
	uint32_t rest = a.off + a.len;
	if (a.len == 0 || !rp__valid_host(t + a.off, a.len, NULL) ||
	    has_bracket(t + rest, n - rest))
		return RP_E_TARGET;
	m->target_form = RP_TARGET_ABSOLUTE;
	return RP_OK;
}

void rp_target_split(const rp_message *m, const char *buf, rp_target_parts *out)
{
	const char *t = buf + m->target.off;
	uint32_t n = m->target.len, from = 0;

	*out = (rp_target_parts){{m->target.off, 0}, {m->target.off, 0}, {m->target.off + n, 0}};
	switch (m->target_form) {
	case RP_TARGET_AUTHORITY:
		out->authority = m->target;
		return;
	case RP_TARGET_ASTERISK:
		out->path = m->target;
		return;
	case RP_TARGET_ABSOLUTE:
		out->authority = authority_of(buf, t, n, scheme_prefix(t, n));
		from = out->authority.off + out->authority.len - m->target.off;
		break;
	default:
		break;
	}
	const char *q = memchr(t + from, '?', n - from);
	uint32_t path_end = q ? (uint32_t)(q - t) : n;
	out->path = (rp_span){m->target.off + from, path_end - from};
	if (q)
		out->query = (rp_span){m->target.off + path_end + 1, n - path_end - 1};
}
