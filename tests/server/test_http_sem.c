/* RFC 9110 semantics the server reads from header values, as tables: paths,
 * Range, entity-tag lists, precondition order, If-Range, media types. */
#include "http_cond.h"
#include "http_path.h"
#include "http_range.h"
#include "mime.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* ---- paths ---------------------------------------------------------------- */

static const struct {
	const char *in;
	srv_path_err err;
	const char *out; /* when SRV_PATH_OK */
	int dir;
	const char *why;
} path_rows[] = {
	{"/", SRV_PATH_OK, ".", 1, "the root"},
	{"/a.txt", SRV_PATH_OK, "a.txt", 0, "a file"},
	{"/a/b/", SRV_PATH_OK, "a/b", 1, "trailing slash: a directory by form"},
	{"//a///b", SRV_PATH_OK, "a/b", 0, "empty segments collapse"},
	{"/a/./b/.", SRV_PATH_OK, "a/b", 1, "dot segments dropped"},
	{"/a/b/../c", SRV_PATH_OK, "a/c", 0, ".. removes one segment"},
	{"/a/..", SRV_PATH_OK, ".", 1, "back to the root"},
	{"/a/b/../..", SRV_PATH_OK, ".", 1, "back to the root from two down"},
	{"/..", SRV_PATH_ABOVE_ROOT, NULL, 0, "above the root"},
	{"/../etc/passwd", SRV_PATH_ABOVE_ROOT, NULL, 0, "classic traversal"},
	{"/a/../../x", SRV_PATH_ABOVE_ROOT, NULL, 0, "above the root after a descent"},
	{"/%2e%2e/x", SRV_PATH_ABOVE_ROOT, NULL, 0, "encoded dots are dots"},
	{"/%2E%2e", SRV_PATH_ABOVE_ROOT, NULL, 0, "either case"},
	{"/.%2e/x", SRV_PATH_ABOVE_ROOT, NULL, 0, "half encoded"},
	{"/a/%2e%2e/b", SRV_PATH_OK, "b", 0, "encoded .. inside the root"},
	{"/..%2fetc", SRV_PATH_SLASH, NULL, 0, "encoded slash refused"},
	{"/a%2Fb", SRV_PATH_SLASH, NULL, 0, "encoded slash, upper case"},
	{"/a%00.txt", SRV_PATH_NUL, NULL, 0, "NUL"},
	{"/a%5cb", SRV_PATH_BACKSLASH, NULL, 0, "encoded backslash"},
	{"/..%5c..%5cx", SRV_PATH_BACKSLASH, NULL, 0, "windows traversal"},
	{"/a\\b", SRV_PATH_BACKSLASH, NULL, 0, "raw backslash"},
	{"/%252e%252e/x", SRV_PATH_OK, "%2e%2e/x", 0, "decoded once: %25 is a literal %"},
	{"/hello%20world.txt", SRV_PATH_OK, "hello world.txt", 0, "space"},
	{"/%41%42", SRV_PATH_OK, "AB", 0, "letters"},
	{"/...", SRV_PATH_OK, "...", 0, "three dots is a name"},
	{"/.hidden", SRV_PATH_OK, ".hidden", 0, "a dot file is a name"},
	{"/a%", SRV_PATH_BAD_ESCAPE, NULL, 0, "truncated escape"},
	{"/a%4", SRV_PATH_BAD_ESCAPE, NULL, 0, "one hex digit"},
	{"/a%4/", SRV_PATH_BAD_ESCAPE, NULL, 0, "escape cut by a slash"},
	{"/a%zz", SRV_PATH_BAD_ESCAPE, NULL, 0, "not hex"},
	{"a", SRV_PATH_NOT_ABSOLUTE, NULL, 0, "relative"},
	{"", SRV_PATH_NOT_ABSOLUTE, NULL, 0, "empty"},
};

/* The exact 400 body line for each result (srv_path_err_text). */
static const char *const path_err_text[] = {
	[SRV_PATH_OK] = "ok",
	[SRV_PATH_NOT_ABSOLUTE] = "path does not start with /",
	[SRV_PATH_BAD_ESCAPE] = "bad percent-escape in path",
	[SRV_PATH_NUL] = "NUL (%00) in path",
	[SRV_PATH_SLASH] = "encoded slash (%2F) in path",
	[SRV_PATH_BACKSLASH] = "backslash in path",
	[SRV_PATH_ABOVE_ROOT] = "path climbs above the root",
	[SRV_PATH_TOO_LONG] = "path too long",
};

Test(http_sem, path_err_texts)
{
	size_t n = sizeof(path_err_text) / sizeof(path_err_text[0]);
	cr_assert_eq(n, (size_t)SRV_PATH_TOO_LONG + 1, "a text for every srv_path_err");
	for (size_t e = 0; e < n; e++)
		cr_expect_str_eq(srv_path_err_text((srv_path_err)e), path_err_text[e], "error %zu",
				 e);
	/* a value outside the enum still gets a line, never NULL */
	cr_expect_str_eq(srv_path_err_text((srv_path_err)99), "bad path");
}

Test(http_sem, path_table)
{
	for (size_t i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++) {
		char out[64];
		size_t n = 99;
		int dir = -1;
		srv_path_err e = srv_path_normalize(path_rows[i].in, strlen(path_rows[i].in), out,
						    sizeof(out), &n, &dir);
		cr_expect_eq(e, path_rows[i].err, "%s (%s): got %d", path_rows[i].in,
			     path_rows[i].why, e);
		if (e == SRV_PATH_OK && path_rows[i].err == SRV_PATH_OK) {
			cr_expect_str_eq(out, path_rows[i].out, "%s (%s)", path_rows[i].in,
					 path_rows[i].why);
			cr_expect_eq(n, strlen(path_rows[i].out), "%s", path_rows[i].in);
			cr_expect_eq(dir, path_rows[i].dir, "%s (%s): dir", path_rows[i].in,
				     path_rows[i].why);
		}
		cr_expect_str_eq(srv_path_err_text(e), path_err_text[path_rows[i].err],
				 "%s (%s): text", path_rows[i].in, path_rows[i].why);
	}
}

Test(http_sem, path_output_bounded)
{
	char out[8];
	size_t n;
	int dir;
	cr_expect_eq(srv_path_normalize("/abcdefgh", 9, out, sizeof(out), &n, &dir),
		     SRV_PATH_TOO_LONG);
	cr_expect_eq(srv_path_normalize("/abcdef", 7, out, sizeof(out), &n, &dir), SRV_PATH_OK);
	cr_expect_str_eq(out, "abcdef");
	/* a segment removed by ".." still had to fit while being decoded */
	cr_expect_eq(srv_path_normalize("/a/bbbbbbbbbb/..", 16, out, sizeof(out), &n, &dir),
		     SRV_PATH_TOO_LONG);
}

/* ---- Range ---------------------------------------------------------------- */

static const struct {
	const char *v;
	uint64_t size;
	srv_range_result res;
	unsigned n;
	uint64_t r[4][2];
	const char *why;
} range_rows[] = {
	{"bytes=0-499", 10000, SRV_RANGE_OK, 1, {{0, 499}}, "first 500"},
	{"bytes=500-999", 10000, SRV_RANGE_OK, 1, {{500, 999}}, "second 500"},
	{"bytes=-500", 10000, SRV_RANGE_OK, 1, {{9500, 9999}}, "suffix"},
	{"bytes=9500-", 10000, SRV_RANGE_OK, 1, {{9500, 9999}}, "open end"},
	{"bytes=0-0,-1", 10000, SRV_RANGE_OK, 2, {{0, 0}, {9999, 9999}}, "first and last byte"},
	{"BYTES=0-1", 10, SRV_RANGE_OK, 1, {{0, 1}}, "unit without case"},
	{"bytes=0-99999", 10, SRV_RANGE_OK, 1, {{0, 9}}, "last-pos clamped"},
	{"bytes=-20", 10, SRV_RANGE_OK, 1, {{0, 9}}, "suffix longer than the file"},
	{"bytes= 0-1 , 500-506 ", 1000, SRV_RANGE_OK, 2, {{0, 1}, {500, 506}}, "OWS around commas"},
	{"bytes=,0-1,,", 10, SRV_RANGE_OK, 1, {{0, 1}}, "empty list elements"},
	{"bytes=500-600,601-999", 10000, SRV_RANGE_OK, 1, {{500, 999}}, "adjacent coalesced"},
	{"bytes=500-700,601-999", 10000, SRV_RANGE_OK, 1, {{500, 999}}, "overlap coalesced"},
	{"bytes=0-9,50-59", 1000, SRV_RANGE_OK, 1, {{0, 59}}, "a small gap coalesced"},
	{"bytes=0-9,200-209", 1000, SRV_RANGE_OK, 2, {{0, 9}, {200, 209}}, "a large gap kept"},
	{"bytes=800-809,0-9,400-409",
	 1000,
	 SRV_RANGE_OK,
	 3,
	 {{0, 9}, {400, 409}, {800, 809}},
	 "sorted"},
	{"bytes=0-0,0-0,0-0,0-0", 1000, SRV_RANGE_OK, 1, {{0, 0}}, "repeats collapse to one"},
	{"bytes=5-9,20-30", 10, SRV_RANGE_OK, 1, {{5, 9}}, "unsatisfiable spec dropped"},
	{"bytes=99999999999999999999999-", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "saturated"},
	{"bytes=10-", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "starts at the end"},
	{"bytes=-0", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "empty suffix"},
	{"bytes=0-", 0, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "empty file"},
	/* RFC 9110 14.1.1: a non-zero suffix-range is satisfiable on an empty
	 * file, yet no 206 can carry zero bytes: the field is ignored (200) */
	{"bytes=-5", 0, SRV_RANGE_IGNORE, 0, {{0}}, "suffix of an empty file: 200"},
	{"bytes=0-,-1", 0, SRV_RANGE_IGNORE, 0, {{0}}, "one satisfiable spec of an empty file"},
	{"bytes=-0", 0, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "empty suffix of an empty file"},
	{"bytes=5-4", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "last before first: invalid"},
	{"bytes=a-b", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "not numbers"},
	{"bytes=1", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "no dash"},
	{"bytes=", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "no range"},
	{"bytes=0-1;x", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "junk after a range"},
	{"bytes=--1", 10, SRV_RANGE_UNSATISFIABLE, 0, {{0}}, "double dash"},
	{"items=0-1", 10, SRV_RANGE_IGNORE, 0, {{0}}, "unknown unit: ignored"},
	{"bytes 0-1", 10, SRV_RANGE_IGNORE, 0, {{0}}, "no '=': ignored"},
	{"bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,"
	 "28-28,30-30",
	 1000,
	 SRV_RANGE_OK,
	 1,
	 {{0, 30}},
	 "16 specs: the cap; all within the gap"},
	{"bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,"
	 "28-28,30-30,32-32",
	 1000,
	 SRV_RANGE_IGNORE,
	 0,
	 {{0}},
	 "17 specs: ignored as abuse"},
};

Test(http_sem, range_table)
{
	for (size_t i = 0; i < sizeof(range_rows) / sizeof(range_rows[0]); i++) {
		srv_range out[SRV_RANGE_SPECS_MAX];
		unsigned n = 99;
		srv_range_result res = srv_range_parse(range_rows[i].v, strlen(range_rows[i].v),
						       range_rows[i].size, out, &n);
		cr_expect_eq(res, range_rows[i].res, "%s (%s): got %d", range_rows[i].v,
			     range_rows[i].why, res);
		if (res != SRV_RANGE_OK)
			continue;
		cr_expect_eq(n, range_rows[i].n, "%s (%s): %u ranges", range_rows[i].v,
			     range_rows[i].why, n);
		for (unsigned k = 0; k < n && k < range_rows[i].n; k++) {
			cr_expect_eq(out[k].first, range_rows[i].r[k][0], "%s: range %u first",
				     range_rows[i].v, k);
			cr_expect_eq(out[k].last, range_rows[i].r[k][1], "%s: range %u last",
				     range_rows[i].v, k);
		}
	}
}

/* ---- entity-tag lists --------------------------------------------------- */

static const struct {
	const char *list;
	int strong;
	int want;
	const char *why;
} etag_rows[] = {
	{"\"abc\"", 1, 1, "exact"},
	{"\"abc\"", 0, 1, "exact, weak comparison"},
	{"W/\"abc\"", 0, 1, "weak tag, weak comparison"},
	{"W/\"abc\"", 1, 0, "weak tag never matches strongly"},
	{"\"x\", \"abc\"", 1, 1, "second of two"},
	{"\"x\",\"y\"", 0, 0, "none"},
	{"*", 1, 1, "star"},
	{"  *  ", 0, 1, "star with OWS"},
	{"\"ab\"", 1, 0, "prefix is not a match"},
	{"\"abcd\"", 1, 0, "longer is not a match"},
	{"abc", 1, -1, "unquoted"},
	{"\"abc", 0, -1, "unterminated"},
	{"\"x\" \"abc\"", 0, -1, "no comma"},
	{"*, \"abc\"", 0, -1, "star in a list"},
	{"", 0, -1, "empty"},
	{" , ,\"abc\", ", 1, 1, "empty elements"},
	{"\"a b\"", 0, -1, "space is not an etagc"},
};

Test(http_sem, etag_list_table)
{
	for (size_t i = 0; i < sizeof(etag_rows) / sizeof(etag_rows[0]); i++) {
		int got = srv_etag_list_match(etag_rows[i].list, strlen(etag_rows[i].list),
					      "\"abc\"", 5, etag_rows[i].strong);
		cr_expect_eq(got, etag_rows[i].want, "[%s] (%s): got %d", etag_rows[i].list,
			     etag_rows[i].why, got);
	}
}

/* ---- preconditions (RFC 9110 13.2.2), If-Range -------------------------- */

#define LM 784111777         /* Sun, 06 Nov 1994 08:49:37 GMT */
#define WED (LM + 3 * 86400) /* Wed, 09 Nov 1994 08:49:37 GMT */
#define NOW (LM + 3600)
static const srv_validators V = {"\"abc\"", 5, LM};

static const struct {
	const char *method;
	const char *headers;
	int want;
	const char *why;
} cond_rows[] = {
	{"GET", "", 0, "no precondition"},
	{"GET", "If-Match: \"abc\"\r\n", 0, "If-Match holds"},
	{"GET", "If-Match: \"zzz\"\r\n", 412, "If-Match fails"},
	{"GET", "If-Match: *\r\n", 0, "If-Match * on an existing file"},
	{"GET", "If-Match: W/\"abc\"\r\n", 412, "If-Match compares strongly"},
	{"GET", "If-Match: bogus\r\n", 412, "malformed If-Match matches nothing"},
	{"GET", "If-Match: \"x\"\r\nIf-Match: \"abc\"\r\n", 0, "If-Match over two lines"},
	{"GET", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0, "IUS equal"},
	{"GET", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 412, "IUS earlier"},
	{"GET", "If-Unmodified-Since: yesterday\r\n", 0, "IUS invalid: ignored"},
	{"GET", "If-Match: \"abc\"\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 0,
	 "IUS ignored when If-Match is present"},
	{"GET", "If-None-Match: \"abc\"\r\n", 304, "INM matches"},
	{"HEAD", "If-None-Match: W/\"abc\"\r\n", 304, "INM compares weakly"},
	{"GET", "If-None-Match: \"zzz\"\r\n", 0, "INM does not match"},
	{"GET", "If-None-Match: *\r\n", 304, "INM *"},
	{"DELETE", "If-None-Match: \"abc\"\r\n", 412, "INM match on another method"},
	{"GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 304, "IMS equal"},
	{"GET", "If-Modified-Since: Sunday, 06-Nov-94 08:49:38 GMT\r\n", 304, "IMS rfc850"},
	{"GET", "If-Modified-Since: Sun Nov  6 08:49:38 1994\r\n", 304, "IMS asctime"},
	{"GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 0, "IMS earlier"},
	{"GET", "If-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n", 0, "IMS in the future"},
	{"GET", "If-Modified-Since: nonsense\r\n", 0, "IMS invalid"},
	{"GET",
	 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	 0, "IMS on two lines: ignored"},
	{"POST", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0, "IMS only for GET"},
	{"GET", "If-None-Match: \"zzz\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0,
	 "IMS ignored when INM is present"},
	{"GET", "If-Match: \"zzz\"\r\nIf-None-Match: \"abc\"\r\n", 412, "If-Match before INM"},
	{"GET",
	 "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n"
	 "If-None-Match: \"abc\"\r\n",
	 412, "IUS before INM"},
};

static void parse(const char *req, rp_message *m, rp_header *h)
{
	rp_message_init(m, h, 32, NULL);
	int64_t n = rp_parse_request(m, req, strlen(req));
	cr_assert_gt(n, 0, "test request does not parse: %s", req);
}

Test(http_sem, precondition_order_table)
{
	for (size_t i = 0; i < sizeof(cond_rows) / sizeof(cond_rows[0]); i++) {
		char req[512];
		snprintf(req, sizeof(req), "%s / HTTP/1.1\r\nHost: t\r\n%s\r\n",
			 cond_rows[i].method, cond_rows[i].headers);
		rp_message m;
		rp_header h[32];
		parse(req, &m, h);
		int got = srv_cond_evaluate(&m, req, &V, NOW);
		cr_expect_eq(got, cond_rows[i].want, "%s (%s): got %d", cond_rows[i].headers,
			     cond_rows[i].why, got);
	}
}

static const struct {
	const char *headers;
	time_t now;
	int want;
	const char *why;
	time_t lm; /* Last-Modified */
} if_range_rows[] = {
	{"", NOW, 1, "no If-Range", LM},
	{"If-Range: \"abc\"\r\n", NOW, 1, "same strong tag", LM},
	{"If-Range: \"zzz\"\r\n", NOW, 0, "another tag", LM},
	{"If-Range: W/\"abc\"\r\n", NOW, 0, "weak tag", LM},
	{"If-Range: \"abc\", \"x\"\r\n", NOW, 0, "a list is not one tag", LM},
	{"If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", NOW, 1, "Last-Modified exactly", LM},
	{"If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n", NOW, 0, "a later date", LM},
	{"If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", LM, 0, "Last-Modified is weak: now", LM},
	{"If-Range: garbage\r\n", NOW, 0, "neither tag nor date", LM},
	/* a date starting with 'W' is a date, not an entity-tag (13.1.5: W/") */
	{"If-Range: Wed, 09 Nov 1994 08:49:37 GMT\r\n", WED + 3600, 1, "a Wednesday date", WED},
	{"If-Range: Wed, 09 Nov 1994 08:49:38 GMT\r\n", WED + 3600, 0, "another Wednesday", WED},
	{"If-Range: Wednesday, 09-Nov-94 08:49:37 GMT\r\n", WED + 3600, 1, "rfc850 Wednesday", WED},
	{"If-Range: W/\r\n", NOW, 0, "W/ without a tag", LM},
	{"If-Range: \"abc\"\r\nIf-Range: \"abc\"\r\n", NOW, 0, "two lines", LM},
};

Test(http_sem, if_range_table)
{
	for (size_t i = 0; i < sizeof(if_range_rows) / sizeof(if_range_rows[0]); i++) {
		char req[512];
		snprintf(req, sizeof(req),
			 "GET / HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1\r\n%s\r\n",
			 if_range_rows[i].headers);
		rp_message m;
		rp_header h[32];
		parse(req, &m, h);
		srv_validators v = V;
		v.last_modified = if_range_rows[i].lm;
		int got = srv_if_range_holds(&m, req, &v, if_range_rows[i].now);
		cr_expect_eq(got, if_range_rows[i].want, "%s (%s): got %d",
			     if_range_rows[i].headers, if_range_rows[i].why, got);
	}
}

/* ---- media types -------------------------------------------------------- */

Test(http_sem, mime_table)
{
	static const struct {
		const char *name, *type;
	} rows[] = {
		{"index.html", "text/html; charset=utf-8"},
		{"a/b.CSS", "text/css; charset=utf-8"},
		{"app.js", "text/javascript; charset=utf-8"},
		{"d.json", "application/json"},
		{"r.txt", "text/plain; charset=utf-8"},
		{"i.png", "image/png"},
		{"i.jpg", "image/jpeg"},
		{"i.JPEG", "image/jpeg"},
		{"i.gif", "image/gif"},
		{"i.svg", "image/svg+xml"},
		{"favicon.ico", "image/vnd.microsoft.icon"},
		{"m.wasm", "application/wasm"},
		{"d.pdf", "application/pdf"},
		{"f.xml", "application/xml"},
		{"f.woff2", "font/woff2"},
		{"archive.tar.gz", "application/octet-stream"},
		{"README", "application/octet-stream"},
		{"dir.html/file", "application/octet-stream"},
		{"trailing.", "application/octet-stream"},
		{"x.htmlx", "application/octet-stream"},
		{"x.htm", "text/html; charset=utf-8"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_str_eq(srv_mime_type(rows[i].name, strlen(rows[i].name)), rows[i].type,
				 "%s", rows[i].name);
}
