/* Request-target forms (RFC 9112 3.2) and rp_target_split, on every variant. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

struct target_case {
	const char *line; /* the request line, CRLF and a Host field added */
	int form;         /* rp_target_form, or -1 for RP_E_TARGET */
	const char *authority, *path, *query;
};

static const struct target_case cases[] = {
	{"GET /a/b?x=1&y HTTP/1.1", RP_TARGET_ORIGIN, "", "/a/b", "x=1&y"},
	{"GET /?only HTTP/1.1", RP_TARGET_ORIGIN, "", "/", "only"},
	{"GET /a? HTTP/1.1", RP_TARGET_ORIGIN, "", "/a", ""},
	{"GET http://ex.com:8080/p?q HTTP/1.1", RP_TARGET_ABSOLUTE, "ex.com:8080", "/p", "q"},
	{"GET HTTPS://ex.com HTTP/1.1", RP_TARGET_ABSOLUTE, "ex.com", "", ""},
	{"GET http://ex.com?q HTTP/1.1", RP_TARGET_ABSOLUTE, "ex.com", "", "q"},
	{"OPTIONS * HTTP/1.1", RP_TARGET_ASTERISK, "", "*", ""},
	{"M-SEARCH * HTTP/1.1", RP_TARGET_ASTERISK, "", "*", ""}, /* extension method */
	{"CONNECT ex.com:443 HTTP/1.1", RP_TARGET_AUTHORITY, "ex.com:443", "", ""},
	/* IP-literals (RFC 3986 3.2.2) in both forms that hold an authority */
	{"CONNECT [2001:db8::1]:443 HTTP/1.1", RP_TARGET_AUTHORITY, "[2001:db8::1]:443", "", ""},
	{"CONNECT [v1.x]:443 HTTP/1.1", RP_TARGET_AUTHORITY, "[v1.x]:443", "", ""},
	{"GET http://[2001:db8::1]:8080/x?q HTTP/1.1", RP_TARGET_ABSOLUTE, "[2001:db8::1]:8080",
	 "/x", "q"},
	{"GET http://[::1] HTTP/1.1", RP_TARGET_ABSOLUTE, "[::1]", "", ""},
	{"GET http://[::1]?q HTTP/1.1", RP_TARGET_ABSOLUTE, "[::1]", "", "q"},
	{"GET http://[v1.a:b]/p HTTP/1.1", RP_TARGET_ABSOLUTE, "[v1.a:b]", "/p", ""},
	/* refused */
	{"GET * HTTP/1.1", -1, 0, 0, 0},                /* asterisk-form is for OPTIONS only */
	{"OPTIONS *x HTTP/1.1", -1, 0, 0, 0},           /* "*" alone */
	{"CONNECT /x HTTP/1.1", -1, 0, 0, 0},           /* CONNECT takes authority-form only */
	{"CONNECT ex.com HTTP/1.1", -1, 0, 0, 0},       /* ... with a port */
	{"CONNECT ex.com: HTTP/1.1", -1, 0, 0, 0},      /* ... that is not empty */
	{"GET ex.com:80 HTTP/1.1", -1, 0, 0, 0},        /* authority-form without CONNECT */
	{"GET http:/x HTTP/1.1", -1, 0, 0, 0},          /* absolute-form needs "//" */
	{"GET http:///x HTTP/1.1", -1, 0, 0, 0},        /* ... and a host */
	{"GET http://u@ex.com/ HTTP/1.1", -1, 0, 0, 0}, /* userinfo (RFC 9110 4.2.4) */
	{"GET 1http://ex.com/ HTTP/1.1", -1, 0, 0, 0},  /* a scheme starts with a letter */
	{"CONNECT [::1] HTTP/1.1", -1, 0, 0, 0},        /* the colons inside are no port */
	{"CONNECT [::1]: HTTP/1.1", -1, 0, 0, 0},       /* an empty port */
	{"CONNECT [::1 HTTP/1.1", -1, 0, 0, 0},         /* unbalanced */
	{"CONNECT []:1 HTTP/1.1", -1, 0, 0, 0},         /* empty */
	{"CONNECT [1.2.3.4]:1 HTTP/1.1", -1, 0, 0, 0},  /* IPv4 is not an IP-literal */
	{"GET http://[::1/x HTTP/1.1", -1, 0, 0, 0},    /* unbalanced */
	{"GET http://h/[x] HTTP/1.1", -1, 0, 0, 0},     /* brackets only in the authority */
	{"GET /[x] HTTP/1.1", -1, 0, 0, 0},             /* ... not in origin-form */
};

static void expect_span(const char *buf, rp_span s, const char *want, const char *what,
			const char *variant, const char *line)
{
	cr_expect(s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0,
		  "[%s] %s of \"%s\" is \"%.*s\", want \"%s\"", variant, what, line, (int)s.len,
		  buf + s.off, want);
}

Test(target, forms_and_split)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct target_case *c = &cases[i];
		char buf[256];
		int n = snprintf(buf, sizeof buf, "%s\r\nHost: ex.com\r\n\r\n", c->line);
		for (const rp_variant *const *vp = rp_variants_all(); *vp; vp++) {
			const rp_variant *v = *vp;
			if (!v->supported())
				continue;
			rp_header h[8];
			rp_message m;
			rp_message_init(&m, h, 8, NULL);
			int64_t r = v->parse_request(&m, buf, (size_t)n);
			if (c->form < 0) {
				cr_expect(r == RP_ERROR && m.error == RP_E_TARGET,
					  "[%s] \"%s\" should be refused as target, got %lld %s",
					  v->name, c->line, (long long)r,
					  rp_error_name((rp_error)m.error));
				continue;
			}
			cr_assert_eq(r, n, "[%s] \"%s\": %s", v->name, c->line,
				     rp_error_name((rp_error)m.error));
			cr_expect_eq(m.target_form, c->form, "[%s] \"%s\"", v->name, c->line);
			rp_target_parts t;
			rp_target_split(&m, buf, &t);
			expect_span(buf, t.authority, c->authority, "authority", v->name, c->line);
			expect_span(buf, t.path, c->path, "path", v->name, c->line);
			expect_span(buf, t.query, c->query, "query", v->name, c->line);
		}
	}
}
