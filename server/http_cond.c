#include "http_cond.h"

#include "rb_httpdate.h"

#include <string.h>

#define SRV_HDR(m, buf, lit, from) rp_find_header(m, buf, lit, sizeof(lit) - 1, from)

static int srv_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* etagc = %x21 / %x23-7E / obs-text */
static int srv_etagc(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch != 0x7f);
}

/* One entity-tag at list[*i]: sets *tag, *tag_len (the quoted opaque-tag)
 * and *weak; -1 if there is none. */
static int srv_etag_one(const char *s, size_t len, size_t *i, const char **tag, size_t *tag_len,
			int *weak)
{
	*weak = 0;
	if (*i + 1 < len && s[*i] == 'W' && s[*i + 1] == '/') {
		*weak = 1;
		*i += 2;
	}
	if (*i >= len || s[*i] != '"')
		return -1;
	size_t start = (*i)++;
	while (*i < len && srv_etagc((unsigned char)s[*i]))
		(*i)++;
	if (*i >= len || s[*i] != '"')
		return -1;
	(*i)++;
	*tag = s + start;
	*tag_len = *i - start;
	return 0;
}

int srv_etag_list_match(const char *list, size_t len, const char *etag, size_t etag_len, int strong)
{
	size_t i = 0;
	while (i < len && srv_ows(list[i]))
		i++;
	if (i < len && list[i] == '*') {
		size_t j = i + 1;
		while (j < len && srv_ows(list[j]))
			j++;
		return j == len ? 1 : -1;
	}
	int match = 0, any = 0;
	for (;;) {
		while (i < len && (srv_ows(list[i]) || list[i] == ','))
			i++;
		if (i == len)
			break;
		const char *tag;
		size_t tl;
		int weak;
		if (srv_etag_one(list, len, &i, &tag, &tl, &weak))
			return -1;
		any = 1;
		/* ours is strong: the weak comparison ignores W/, the strong one
		 * needs both strong */
		if ((!strong || !weak) && tl == etag_len && memcmp(tag, etag, tl) == 0)
			match = 1;
		while (i < len && srv_ows(list[i]))
			i++;
		if (i < len && list[i] != ',')
			return -1;
	}
	return any ? match : -1;
}

/* Over every line of an entity-tag list field: -1 absent, 1 some line
 * matches, 0 none does (malformed lines match nothing). */
static int srv_list_field(const rp_message *m, const char *buf, const char *name, size_t nlen,
			  const srv_validators *v, int strong)
{
	int result = -1;
	for (int i = rp_find_header(m, buf, name, nlen, 0); i >= 0;
	     i = rp_find_header(m, buf, name, nlen, (uint32_t)i + 1)) {
		rp_span s = m->headers[i].value;
		if (result < 0)
			result = 0;
		if (srv_etag_list_match(rp_ptr(buf, s), s.len, v->etag, v->etag_len, strong) == 1)
			result = 1;
	}
	return result;
}

/* A date field that must be one valid HTTP-date on one line: 0 and *t, or
 * -1 (absent or to be ignored). */
static int srv_date_field(const rp_message *m, const char *buf, const char *name, size_t nlen,
			  time_t now, time_t *t)
{
	int i = rp_find_header(m, buf, name, nlen, 0);
	if (i < 0 || rp_find_header(m, buf, name, nlen, (uint32_t)i + 1) >= 0)
		return -1;
	rp_span s = m->headers[i].value;
	return rb_httpdate_parse(rp_ptr(buf, s), s.len, now, t);
}

int srv_cond_evaluate(const rp_message *m, const char *buf, const srv_validators *v, time_t now)
{
	int get_or_head = m->method_id == RP_M_GET || m->method_id == RP_M_HEAD;
	time_t t;

	/* 1, 2: If-Match, else If-Unmodified-Since */
	int im = srv_list_field(m, buf, "If-Match", 8, v, 1);
	if (im == 0)
		return 412;
	if (im < 0 && srv_date_field(m, buf, "If-Unmodified-Since", 19, now, &t) == 0 &&
	    v->last_modified > t)
		return 412;

	/* 3, 4: If-None-Match, else If-Modified-Since (GET and HEAD only) */
	int inm = srv_list_field(m, buf, "If-None-Match", 13, v, 0);
	if (inm == 1)
		return get_or_head ? 304 : 412;
	if (inm < 0 && get_or_head &&
	    srv_date_field(m, buf, "If-Modified-Since", 17, now, &t) == 0 && t <= now &&
	    v->last_modified <= t)
		return 304;
	return 0;
}

int srv_if_range_holds(const rp_message *m, const char *buf, const srv_validators *v, time_t now)
{
	int i = SRV_HDR(m, buf, "If-Range", 0);
	if (i < 0)
		return 1;
	if (SRV_HDR(m, buf, "If-Range", (uint32_t)i + 1) >= 0)
		return 0; /* two validators: neither can be trusted */
	rp_span s = m->headers[i].value;
	const char *p = rp_ptr(buf, s);
	/* RFC 9110 13.1.5: an entity-tag starts with DQUOTE or "W/"; a bare
	 * 'W' starts a date ("Wed, 09 Nov 1994 ..."). */
	if ((s.len && p[0] == '"') || (s.len >= 2 && p[0] == 'W' && p[1] == '/')) {
		size_t k = 0;
		const char *tag;
		size_t tl;
		int weak;
		if (srv_etag_one(p, s.len, &k, &tag, &tl, &weak) || k != s.len || weak)
			return 0;
		return tl == v->etag_len && memcmp(tag, v->etag, tl) == 0;
	}
	time_t t;
	if (rb_httpdate_parse(p, s.len, now, &t))
		return 0;
	return t == v->last_modified && v->last_modified < now;
}
