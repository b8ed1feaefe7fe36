#include "gen.h"

#include <stdio.h>
#include <string.h>

uint64_t rt_rand(struct rt_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

size_t rt_below(struct rt_rng *r, size_t n)
{
	return n ? (size_t)(rt_rand(r) % n) : 0;
}

int rt_chance(struct rt_rng *r, unsigned pct)
{
	return rt_below(r, 100) < pct;
}

#define PICK(r, arr) ((arr)[rt_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* An output buffer that silently stops at its capacity. */
struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putc_(struct out *o, char c)
{
	put(o, &c, 1);
}

static const char TCHAR[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char TARGET_OK[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				"-._~!$&'()*+,;=:@/?";
static const char TARGET_BAD[] = "#\"<>\\^`{|} \t\x01\x7f\x80\xff[]";
static const char HEX[] = "0123456789abcdefABCDEF";
static const char NOT_TCHAR[] = "()<>@,;:\\\"/[]?={} \t\x01\x7f\x80";
static const char VALUE_BAD[] = "\x01\x08\x0b\x0c\x1b\x1f\x7f";

/* Line end: mostly CRLF, sometimes a bare LF or CR. */
static void eol(struct rt_rng *r, struct out *o)
{
	unsigned x = (unsigned)rt_below(r, 1000);

	puts_(o, x < 985 ? "\r\n" : x < 993 ? "\n" : "\r");
}

static void token(struct rt_rng *r, struct out *o, size_t min, size_t max)
{
	size_t n = min + rt_below(r, max - min + 1);

	for (size_t i = 0; i < n; i++)
		putc_(o, TCHAR[rt_below(r, sizeof(TCHAR) - 1)]);
	if (rt_chance(r, 2))
		putc_(o, NOT_TCHAR[rt_below(r, sizeof(NOT_TCHAR) - 1)]);
}

static void ows(struct rt_rng *r, struct out *o)
{
	static const char *const w[] = {"", "", "", " ", " ", "\t", "  ", " \t "};

	puts_(o, PICK(r, w));
}

/* A field value: VCHAR, SP, HTAB and obs-text; now and then a forbidden byte. */
static void value(struct rt_rng *r, struct out *o, size_t max)
{
	size_t n = rt_below(r, max + 1);

	ows(r, o);
	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)rt_below(r, 100);
		char c;

		if (x < 85)
			c = (char)(0x21 + rt_below(r, 0x7e - 0x21 + 1));
		else if (x < 93)
			c = ' ';
		else if (x < 96)
			c = '\t';
		else
			c = (char)(0x80 + rt_below(r, 0x80));
		if (i > 0 && i + 1 < n) /* keep the ends non-white sometimes */
			putc_(o, c);
		else
			putc_(o, c == ' ' || c == '\t' ? 'x' : c);
	}
	if (rt_chance(r, 2))
		putc_(o, rt_chance(r, 30) ? '\0' : VALUE_BAD[rt_below(r, sizeof(VALUE_BAD) - 1)]);
	ows(r, o);
}

static void field(struct rt_rng *r, struct out *o, const char *name, const char *val)
{
	puts_(o, name);
	if (rt_chance(r, 1))
		putc_(o, ' ');
	putc_(o, ':');
	ows(r, o);
	puts_(o, val);
	ows(r, o);
	eol(r, o);
}

static void random_field(struct rt_rng *r, struct out *o)
{
	token(r, o, 1, 24);
	if (rt_chance(r, 1))
		putc_(o, rt_chance(r, 50) ? ' ' : '\t');
	putc_(o, ':');
	value(r, o, rt_chance(r, 5) ? 600 : 40);
	eol(r, o);
}

static const char *const CL_BAD[] = {"+5",
				     "-1",
				     "0x5",
				     "5 5",
				     "",
				     "5, 6",
				     "5,",
				     "abc",
				     "5a",
				     "9223372036854775808",
				     "18446744073709551616",
				     "99999999999999999999",
				     "\"5\"",
				     "5.0",
				     " ",
				     "1e3"};
static const char *const TE_VALUES[] = {"chunked",
					"chunked",
					"chunked",
					"Chunked",
					"CHUNKED",
					"gzip, chunked",
					"gzip,chunked",
					"deflate , gzip, chunked",
					"chunked, gzip",
					"chunked, chunked",
					"gzip",
					"identity",
					"",
					"chunked;q=1",
					"xchunked",
					"chunked ",
					",chunked",
					"chunked,",
					"\"chunked\"",
					" chunked"};
static const char *const CONN_VALUES[] = {
	"close",          "keep-alive",        "Keep-Alive", "upgrade", "Upgrade",
	"close, upgrade", "keep-alive, close", "foo",        "closed",  "",
	", ,close",       "te, close"};
static const char *const EXPECT_VALUES[] = {"100-continue", "100-Continue", "fly", "",
					    "100-continue, fly"};

/* A field folded over lines (obs-fold, RFC 9112 5.2: read in a response,
 * refused in a request): a field the parser does not read, Connection
 * (read once whole), or now and then a framing field (refused folded);
 * one or more folds, some of OWS only. */
static void fold(struct rt_rng *r, struct out *o)
{
	static const char *const names[] = {"X-Fold", "X-Fold",         "Connection",
					    "Hxyz",   "Content-Length", "Transfer-Encoding"};
	static const char *const parts[] = {"a", "b",       "close", "keep-alive", ",",
					    "5", "chunked", "",      " ",          "\t"};
	size_t n = 1 + rt_below(r, 3);
	const char *name = rt_chance(r, 85) ? names[rt_below(r, 3)] : PICK(r, names);

	field(r, o, name, PICK(r, parts));
	for (size_t i = 0; i < n; i++) {
		puts_(o, rt_chance(r, 50) ? " " : "\t");
		puts_(o, PICK(r, parts));
		eol(r, o);
	}
}

/* Framing, Connection, Expect and filler fields; body_kind tells the caller
 * what body to append: 0 none, 1 length (in *cl), 2 chunked. */
static void fields(struct rt_rng *r, struct out *o, int want_host, int *body_kind, uint64_t *cl)
{
	size_t n = rt_chance(r, 2) ? 120 + rt_below(r, 20) : rt_below(r, 10);
	size_t host_at = rt_below(r, n + 1), framing_at = rt_below(r, n + 1);
	int framing = (int)rt_below(r, 100);

	*body_kind = 0;
	if (rt_chance(r, 1))
		putc_(o, rt_chance(r, 50) ? ' ' : '\t'); /* whitespace before the first field */
	for (size_t i = 0; i <= n; i++) {
		if (i == host_at && want_host) {
			unsigned x = (unsigned)rt_below(r, 100);
			static const char *const hosts[] = {
				"h", "example.com",   "h:8080",   "[::1]:80", "127.0.0.1",
				"",  "[2001:db8::1]", "[v1.x]:8", "[::1]:",   "[::ffff:1.2.3.4]"};
			static const char *const bad_hosts[] = {"a b",       "u@h",    "h/x",
								"h?x",       "h#x",    "h\\x",
								"h:8x",      "[::1",   "[]",
								"[1.2.3.4]", "[::1]]", "h[::1]"};

			if (x < 90)
				field(r, o, rt_chance(r, 90) ? "Host" : "host", PICK(r, hosts));
			else if (x < 95)
				field(r, o, "Host", PICK(r, bad_hosts));
			else if (x < 98) {
				field(r, o, "Host", "h");
				field(r, o, "Host", "h");
			}
		}
		if (i == framing_at) {
			int want_cl = framing < 25 || (framing >= 90 && framing < 95);
			int want_te = (framing >= 25 && framing < 50) ||
				      (framing >= 90 && framing < 95);

			if (want_cl) {
				uint64_t v = rt_below(r, 200);

				if (rt_chance(r, 10)) {
					field(r, o, "Content-Length", PICK(r, CL_BAD));
				} else {
					char tmp[64];

					if (rt_chance(r, 5))
						snprintf(tmp, sizeof(tmp), "%llu, %llu",
							 (unsigned long long)v,
							 (unsigned long long)v);
					else
						snprintf(tmp, sizeof(tmp), "%llu",
							 (unsigned long long)v);
					field(r, o,
					      rt_chance(r, 90) ? "Content-Length"
							       : "content-length",
					      tmp);
					if (rt_chance(r, 5)) {
						snprintf(tmp, sizeof(tmp), "%llu",
							 (unsigned long long)(v + rt_below(r, 2)));
						field(r, o, "Content-Length", tmp);
					}
					*body_kind = 1;
					*cl = v;
				}
			}
			if (want_te) {
				if (framing >= 45 && framing < 50) {
					field(r, o, "Transfer-Encoding", "gzip");
					field(r, o, "transfer-encoding", PICK(r, TE_VALUES));
				} else {
					field(r, o, "Transfer-Encoding", PICK(r, TE_VALUES));
				}
				*body_kind = want_cl ? 0 : 2;
			}
		}
		if (i == n)
			break;
		switch (rt_below(r, 10)) {
		case 0:
			field(r, o, "Connection", PICK(r, CONN_VALUES));
			break;
		case 1:
			if (rt_chance(r, 30))
				field(r, o, "Expect", PICK(r, EXPECT_VALUES));
			break;
		case 2:
			if (rt_chance(r, 10)) /* obs-fold */
				fold(r, o);
			break;
		default:
			random_field(r, o);
		}
	}
}

static void body(struct rt_rng *r, struct out *o, int kind, uint64_t cl)
{
	if (kind == 1) {
		for (uint64_t i = 0; i < cl; i++)
			putc_(o, (char)rt_rand(r));
	} else if (kind == 2 && rt_chance(r, 80)) {
		o->len += rt_gen_chunked(r, o->p + o->len, o->cap - o->len);
	}
}

size_t rt_gen_request(struct rt_rng *r, char *buf, size_t cap)
{
	static const char *const methods[] = {"GET",   "GET",      "GET",     "POST",
					      "PUT",   "HEAD",     "DELETE",  "OPTIONS",
					      "PATCH", "TRACE",    "CONNECT", "get",
					      "GETS",  "M-SEARCH", "PROPFIND"};
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1",
					       "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1",
					       "HTTP/1.0", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0",
					       "HTTP/0.9"};
	static const char *const bad_versions[] = {"HTTP/1.10", "HTTP/11", "http/1.1",
						   "HTTP/1.",   "HTTP/",   "HTTPS/1.1",
						   "HTTP/1.1 ", "",        "HTTP/a.b"};
	static const char *const seps[] = {"  ", "\t", ""};
	struct out o = {buf, 0, cap};
	int body_kind;
	uint64_t cl = 0;
	int http11;
	const char *version;

	if (rt_chance(r, 5))
		puts_(&o, rt_chance(r, 80) ? "\r\n" : "\r\n\r\n");
	if (rt_chance(r, 85))
		puts_(&o, PICK(r, methods));
	else
		token(r, &o, 1, 12);
	puts_(&o, rt_chance(r, 98) ? " " : PICK(r, seps));

	/* request-target */
	if (rt_chance(r, 4)) {
		putc_(&o, '*');
	} else if (rt_chance(r, 6)) {
		/* authority-form (CONNECT's), IP-literals among them (RFC 3986 3.2.2) */
		static const char *const authorities[] = {
			"h:443",       "[::1]:443",          "[2001:db8::1]:8080",
			"[v1.x]:1",    "[::ffff:1.2.3.4]:1", "[::1]",
			"[::1]:",      "[::1:443",           "[]:443",
			"[1.2.3.4]:1", "h[::1]:1",           "[[::1]]:1"};

		puts_(&o, PICK(r, authorities));
	} else {
		static const char *const absolute[] = {"http://h:80",          "http://[::1]:80",
						       "http://[2001:db8::1]", "http://[v1.x]",
						       "http://[::1",          "http://[]",
						       "http://u@[::1]"};
		size_t n = rt_chance(r, 3) ? 200 + rt_below(r, 9000) : rt_below(r, 60);

		if (rt_chance(r, 5))
			puts_(&o, rt_chance(r, 50) ? "http://h:80" : PICK(r, absolute));
		putc_(&o, '/');
		for (size_t i = 0; i < n; i++) {
			unsigned x = (unsigned)rt_below(r, 1000);

			if (x < 930) {
				putc_(&o, TARGET_OK[rt_below(r, sizeof(TARGET_OK) - 1)]);
			} else if (x < 990) {
				putc_(&o, '%');
				putc_(&o, HEX[rt_below(r, sizeof(HEX) - 1)]);
				putc_(&o, HEX[rt_below(r, sizeof(HEX) - 1)]);
			} else if (x < 995) {
				putc_(&o, '%');
				putc_(&o,
				      rt_chance(r, 50) ? 'g' : HEX[rt_below(r, sizeof(HEX) - 1)]);
			} else {
				putc_(&o, TARGET_BAD[rt_below(r, sizeof(TARGET_BAD) - 1)]);
			}
		}
	}
	puts_(&o, rt_chance(r, 98) ? " " : PICK(r, seps));
	version = rt_chance(r, 97) ? PICK(r, versions) : PICK(r, bad_versions);
	puts_(&o, version);
	http11 = strcmp(version, "HTTP/1.0") != 0;
	eol(r, &o);
	fields(r, &o, http11 || rt_chance(r, 50), &body_kind, &cl);
	eol(r, &o);
	body(r, &o, body_kind, cl);
	return o.len;
}

size_t rt_gen_response(struct rt_rng *r, char *buf, size_t cap)
{
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1",
					       "HTTP/1.0", "HTTP/1.2", "http/1.1", "HTTP/1.10"};
	static const char *const statuses[] = {"200", "200",  "200", "204", "304", "100",
					       "101", "103",  "404", "500", "301", "999",
					       "20",  "2000", "2x0", ""};
	static const char *const seps[] = {"  ", "\t", ""};
	struct out o = {buf, 0, cap};
	int body_kind;
	uint64_t cl = 0;

	puts_(&o, PICK(r, versions));
	puts_(&o, rt_chance(r, 98) ? " " : PICK(r, seps));
	puts_(&o, PICK(r, statuses));
	if (rt_chance(r, 97)) {
		size_t n = rt_below(r, 30);

		putc_(&o, ' ');
		for (size_t i = 0; i < n; i++) {
			unsigned x = (unsigned)rt_below(r, 100);

			if (x < 80)
				putc_(&o, (char)(0x21 + rt_below(r, 0x5e)));
			else if (x < 90)
				putc_(&o, ' ');
			else if (x < 93)
				putc_(&o, '\t');
			else if (x < 98)
				putc_(&o, (char)(0x80 + rt_below(r, 0x80)));
			else
				putc_(&o, VALUE_BAD[rt_below(r, sizeof(VALUE_BAD) - 1)]);
		}
	}
	eol(r, &o);
	fields(r, &o, rt_chance(r, 10), &body_kind, &cl);
	eol(r, &o);
	body(r, &o, body_kind, cl);
	return o.len;
}

static void chunk_ext(struct rt_rng *r, struct out *o)
{
	static const char *const bad[] = {";",           ";=x",    ";a=",  ";a=\"x",
					  ";a b",        ";a=b c", ";a@b", ";a=\x80",
					  ";a=\"\x01\"", " ",      "\t"};
	size_t n = rt_below(r, 3);

	if (rt_chance(r, 3)) {
		puts_(o, PICK(r, bad));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (rt_chance(r, 20))
			ows(r, o);
		putc_(o, ';');
		if (rt_chance(r, 20))
			ows(r, o);
		token(r, o, 1, 8);
		if (rt_chance(r, 60)) {
			if (rt_chance(r, 20))
				ows(r, o);
			putc_(o, '=');
			if (rt_chance(r, 20))
				ows(r, o);
			if (rt_chance(r, 50)) {
				token(r, o, 1, 8);
			} else {
				size_t m = rt_below(r, 10);

				putc_(o, '"');
				for (size_t k = 0; k < m; k++) {
					unsigned x = (unsigned)rt_below(r, 100);

					if (x < 10) {
						putc_(o, '\\');
						putc_(o, (char)(0x21 + rt_below(r, 0x5e)));
					} else if (x < 15) {
						putc_(o, (char)(0x80 + rt_below(r, 0x80)));
					} else {
						char c = (char)(0x20 + rt_below(r, 0x5f));

						putc_(o, c == '"' || c == '\\' ? 'q' : c);
					}
				}
				putc_(o, '"');
			}
		}
	}
}

size_t rt_gen_chunked(struct rt_rng *r, char *buf, size_t cap)
{
	static const char *const bad_sizes[] = {"",
						"x",
						"-1",
						" 5",
						"+5",
						"0x5",
						"8000000000000000",
						"10000000000000000",
						"ffffffffffffffffff"};
	struct out o = {buf, 0, cap};
	size_t nchunks = rt_below(r, 6);

	for (size_t i = 0; i < nchunks; i++) {
		size_t size = rt_chance(r, 10) ? rt_below(r, 3000) : 1 + rt_below(r, 100);
		char tmp[40];

		if (rt_chance(r, 2)) {
			puts_(&o, PICK(r, bad_sizes));
		} else {
			const char *zeros = rt_chance(r, 5) ? "000" : "";

			if (rt_chance(r, 50))
				snprintf(tmp, sizeof(tmp), "%s%zx", zeros, size);
			else
				snprintf(tmp, sizeof(tmp), "%s%zX", zeros, size);
			puts_(&o, tmp);
		}
		if (rt_chance(r, 20))
			chunk_ext(r, &o);
		eol(r, &o);
		size += rt_chance(r, 2) ? rt_below(r, 3) : 0; /* now and then too much data */
		for (size_t k = 0; k < size && o.len < o.cap; k++)
			putc_(&o, (char)rt_rand(r));
		eol(r, &o);
	}
	puts_(&o, rt_chance(r, 90) ? "0" : "000");
	if (rt_chance(r, 10))
		chunk_ext(r, &o);
	eol(r, &o);
	for (size_t n = rt_chance(r, 20) ? rt_below(r, 4) : 0; n > 0; n--)
		random_field(r, &o);
	eol(r, &o);
	if (rt_chance(r, 10))
		puts_(&o, "GET / HTTP/1.1\r\n");
	return o.len;
}

size_t rt_mutate(struct rt_rng *r, char *buf, size_t len, size_t cap)
{
	static const char inserts[] = {'\r', '\n', '\0', ' ', (char)0x80, ':'};
	size_t n = 1 + rt_below(r, 3);

	for (size_t i = 0; i < n; i++) {
		size_t at = rt_below(r, len + 1);

		switch (rt_below(r, 4)) {
		case 0: /* flip a bit */
			if (len)
				buf[at % len] ^= (char)(1u << rt_below(r, 8));
			break;
		case 1: /* insert a delimiter-ish byte */
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = inserts[rt_below(r, sizeof(inserts))];
				len++;
			}
			break;
		case 2: /* delete a byte */
			if (len && at < len) {
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		default: { /* duplicate a run right after itself */
			size_t run = 1 + rt_below(r, 16);

			if (at + run <= len && len + run <= cap) {
				memmove(buf + at + 2 * run, buf + at + run, len - at - run);
				memcpy(buf + at + run, buf + at, run);
				len += run;
			}
		}
		}
	}
	return len;
}
