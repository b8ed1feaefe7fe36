/*
 * rbparse-baseline-http-parser: nodejs http-parser (Debian's libhttp-parser,
 * 2.9) timed on the parser corpus by the same engine as `rbparse bench`, in
 * the same run as the ringparse variants, alternating sample by sample.
 *
 * The timed unit is the same as ringparse's: every request of a file in
 * turn, keeping what a server would use (target, header names and values as
 * pointer and length, up to 128 headers) and skipping bodies.  http-parser
 * is a push parser: one http_parser_execute() over the whole file parses
 * every pipelined request, calling back per element.
 */
#include <http_parser.h>
#include <string.h>

#include "bench.h"
#include "rbp.h"

#define HPB_MAX_HEADERS RP_DEFAULT_MAX_HEADERS
#define HPB_MAX_VARIANTS 16

typedef struct hpb_span {
	const char *at;
	size_t len;
} hpb_span;

/* What the callbacks keep, per run. */
typedef struct hpb_state {
	hpb_span url;
	hpb_span names[HPB_MAX_HEADERS];
	hpb_span values[HPB_MAX_HEADERS];
	unsigned nheaders;
	int in_value;   /* the last callback was a header value */
	int overflow;   /* more headers than HPB_MAX_HEADERS */
	int in_message; /* a message began and has not completed */
	uint64_t messages;
	uint64_t acc; /* depends on every result, returned to the engine */
} hpb_state;

static int hpb_on_message_begin(http_parser *p)
{
	hpb_state *st = p->data;

	st->url.len = 0;
	st->nheaders = 0;
	st->in_value = 0;
	st->in_message = 1;
	return 0;
}

/* A callback may carry part of an element (when the input is split); the
 * parts are adjacent in the buffer, so lengths add up. */
static int hpb_on_url(http_parser *p, const char *at, size_t len)
{
	hpb_state *st = p->data;

	if (st->url.len == 0)
		st->url.at = at;
	st->url.len += len;
	return 0;
}

static int hpb_on_header_field(http_parser *p, const char *at, size_t len)
{
	hpb_state *st = p->data;

	if (st->in_value || st->nheaders == 0) {
		if (st->nheaders == HPB_MAX_HEADERS) {
			st->overflow = 1;
			return 1; /* stops the parser: HPE_CB_header_field */
		}
		st->names[st->nheaders] = (hpb_span){at, 0};
		st->values[st->nheaders] = (hpb_span){NULL, 0};
		st->nheaders++;
		st->in_value = 0;
	}
	st->names[st->nheaders - 1].len += len;
	return 0;
}

static int hpb_on_header_value(http_parser *p, const char *at, size_t len)
{
	hpb_state *st = p->data;
	hpb_span *v = &st->values[st->nheaders - 1];

	if (!st->in_value)
		v->at = at;
	v->len += len;
	st->in_value = 1;
	return 0;
}

static int hpb_on_headers_complete(http_parser *p)
{
	hpb_state *st = p->data;

	st->acc += st->nheaders + st->url.len + p->method;
	return 0;
}

static int hpb_on_message_complete(http_parser *p)
{
	hpb_state *st = p->data;

	st->messages++;
	st->in_message = 0;
	return 0;
}

static const http_parser_settings hpb_settings = {
	.on_message_begin = hpb_on_message_begin,
	.on_url = hpb_on_url,
	.on_header_field = hpb_on_header_field,
	.on_header_value = hpb_on_header_value,
	.on_headers_complete = hpb_on_headers_complete,
	.on_message_complete = hpb_on_message_complete,
};

static size_t hpb_parse(hpb_state *st, http_parser *p, const char *buf, size_t len)
{
	st->messages = 0;
	st->acc = 0;
	st->overflow = 0;
	st->in_message = 0;
	http_parser_init(p, HTTP_REQUEST);
	p->data = st;
	return http_parser_execute(p, &hpb_settings, buf, len);
}

static long hpb_verify(const void *ctx, const char *buf, size_t len, char *err, size_t errlen)
{
	hpb_state st;
	http_parser p;
	size_t n = hpb_parse(&st, &p, buf, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&p);

	(void)ctx;
	if (st.overflow) {
		snprintf(err, errlen, "more than %u headers", HPB_MAX_HEADERS);
		return -1;
	}
	if (e != HPE_OK) {
		snprintf(err, errlen, "%s at byte %zu: %s", http_errno_name(e), n,
			 http_errno_description(e));
		return -1;
	}
	if (n != len || st.messages == 0 || st.in_message) {
		snprintf(err, errlen, "parsed %zu of %zu bytes, %lu complete requests", n, len,
			 (unsigned long)st.messages);
		return -1;
	}
	return (long)st.messages;
}

static uint64_t hpb_run(const void *ctx, const char *buf, size_t len)
{
	hpb_state st;
	http_parser p;
	size_t n = hpb_parse(&st, &p, buf, len);

	(void)ctx;
	return n + st.acc + st.messages;
}

static const char hpb_help[] =
	"usage: rbparse-baseline-http-parser [--variant V|all|none] [--corpus NAME|FILE]\n"
	"          [--corpus-dir DIR] [--json] [--runs N] [--min-time-ms T] [--cpu N]\n"
	"\n"
	"Time nodejs http-parser (libhttp-parser 2.9, Debian) on the parser corpus with\n"
	"the method of 'rbparse bench', alternating with ringparse variants in the same\n"
	"run; speedups are relative to http-parser. Results name it as variant\n"
	"\"http-parser\".\n"
	"\n" RBP_BASELINE_VARIANT_HELP;

int main(int argc, char **argv)
{
	rbp_bench_opts o;
	rbp_subject subjects[HPB_MAX_VARIANTS + 1] = {
		{.name = "http-parser", .ctx = NULL, .verify = hpb_verify, .run = hpb_run},
	};
	int n, rc = rbp_bench_opts_parse(&o, argc, argv, argv[0], hpb_help);

	if (rc >= 0)
		return rc;
	n = rbp_subjects_beside(o.variant, &subjects[1], HPB_MAX_VARIANTS);
	if (n < 0)
		return RBP_EXIT_USAGE;
	rc = rbp_bench_execute(&o, subjects, 1 + (size_t)n, "rbparse-baseline-http-parser",
			       "http-parser");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("rbparse-baseline-http-parser: writing the output failed");
		return RBP_EXIT_FAIL;
	}
	return rc;
}
