/* `rbparse check`: parse one message from stdin, print it as JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_out.h"
#include "rbp.h"

static const char rbp_check_help[] =
	"usage: rbparse check [--variant V] [--response [--head]] < MESSAGE\n"
	"\n"
	"Parse ONE HTTP/1.1 message from standard input (read to end of file, at most\n"
	"16 MiB; only the first message is parsed) and print one JSON object on one line.\n"
	"\n"
	"  --variant V   the variant: 'default' or a name from 'rbparse variants'\n"
	"  --response    parse a response instead of a request\n"
	"  --head        with --response: the request was HEAD (so no body)\n"
	"  -h, --help    this text\n"
	"\n"
	"Keys (those that do not apply are left out):\n"
	"  result          \"complete\", \"incomplete\" or \"error\"\n"
	"  variant         the variant that parsed it\n"
	"  input_bytes     bytes read\n"
	"  consumed        bytes of the message head (0 unless complete)\n"
	"  error           the rule broken (\"bare_lf\", \"cl_and_te\", ...), with\n"
	"                  error_message, error_offset (byte of the input) and\n"
	"                  http_status (the answer a server gives: 400, 414 or 431)\n"
	"  method, method_id (GET, ..., OTHER), target         requests\n"
	"  status, reason                                      responses\n"
	"  version         \"1.1\"\n"
	"  headers         [[name, value], ...] in order, values without outer whitespace\n"
	"                  (a response's value folded over lines, flag obs_fold, is\n"
	"                  shown as its bytes, CR LF included: rp_unfold() reads it)\n"
	"  host            the Host value\n"
	"  flags           keep_alive (the connection persists), connection_close,\n"
	"                  connection_keep_alive, connection_upgrade, expect_continue,\n"
	"                  expect_other, has_host, obs_fold\n"
	"  body_framing    \"none\", \"length\", \"chunked\" or \"close\"\n"
	"  content_length  with length framing\n"
	"  body            length framing: \"complete\" or \"incomplete\" in the input\n"
	"  body_bytes      body bytes in the input (chunked: decoded data bytes)\n"
	"  chunked         chunked framing, when bytes follow the head: the body decoded\n"
	"                  with rp_chunked_feed is \"complete\", \"incomplete\" or \"error\"\n"
	"                  (then chunked_error, chunked_error_message and, for a bad\n"
	"                  trailer, chunked_error_detail); with chunked_consumed and\n"
	"                  trailers (how many trailer fields)\n"
	"  trailing_bytes  input after the message and its body (a pipelined request)\n"
	"\n"
	"Strings are bytes: every byte outside printable ASCII (control characters, DEL,\n"
	"obs-text >= 0x80) is written as \\u00XX, one escape per byte, so the output is\n"
	"plain ASCII JSON and each code point U+0000..U+00FF stands for one byte (decode\n"
	"as Latin-1 to get the bytes back).\n"
	"\n"
	"Exit status: 0 complete, 1 incomplete, 2 error: a parse error (a body that\n"
	"does not decode leaves it 0), or no JSON at all: a bad command line, standard\n"
	"input unreadable or larger than 16 MiB, out of memory, output write error.\n";

typedef struct rbp_check_opts {
	const rp_variant *variant;
	int response;
	int head;
} rbp_check_opts;

static const char *rbp_framing_name(unsigned framing)
{
	switch (framing) {
	case RP_BODY_NONE:
		return "none";
	case RP_BODY_LENGTH:
		return "length";
	case RP_BODY_CHUNKED:
		return "chunked";
	case RP_BODY_CLOSE:
		return "close";
	default:
		return "unknown";
	}
}

static void rbp_emit_flags(rbp_json *j, uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{RP_F_KEEP_ALIVE, "keep_alive"},
		{RP_F_CONN_CLOSE, "connection_close"},
		{RP_F_CONN_KEEP_ALIVE, "connection_keep_alive"},
		{RP_F_CONN_UPGRADE, "connection_upgrade"},
		{RP_F_EXPECT_CONTINUE, "expect_continue"},
		{RP_F_EXPECT_OTHER, "expect_other"},
		{RP_F_HAS_HOST, "has_host"},
		{RP_F_OBS_FOLD, "obs_fold"},
	};
	uint32_t known = 0;

	rbp_json_key(j, "flags");
	rbp_json_array_begin(j);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= names[i].bit;
		if (flags & names[i].bit)
			rbp_json_str(j, names[i].name);
	}
	for (unsigned b = 0; b < 32; b++) {
		if ((flags & ~known) & (1u << b)) {
			char name[16];
			snprintf(name, sizeof(name), "bit%u", b);
			rbp_json_str(j, name);
		}
	}
	rbp_json_array_end(j);
}

static void rbp_emit_span(rbp_json *j, const char *key, const char *buf, rp_span s)
{
	rbp_json_kv_strn(j, key, rp_ptr(buf, s), s.len);
}

static void rbp_emit_head(rbp_json *j, const rp_message *m, const char *buf, int response)
{
	char version[8];

	if (response) {
		rbp_json_kv_uint(j, "status", m->status);
		rbp_emit_span(j, "reason", buf, m->reason);
	} else {
		const char *id = rp_method_name((rp_method)m->method_id);
		rbp_emit_span(j, "method", buf, m->method);
		rbp_json_kv_str(j, "method_id", id ? id : "OTHER");
		rbp_emit_span(j, "target", buf, m->target);
	}
	snprintf(version, sizeof(version), "%u.%u", m->version_major, m->version_minor);
	rbp_json_kv_str(j, "version", version);
	rbp_json_key(j, "headers");
	rbp_json_array_begin(j);
	for (uint32_t i = 0; i < m->nheaders; i++) {
		rbp_json_array_begin(j);
		rbp_json_strn(j, rp_ptr(buf, m->headers[i].name), m->headers[i].name.len);
		rbp_json_strn(j, rp_ptr(buf, m->headers[i].value), m->headers[i].value.len);
		rbp_json_array_end(j);
	}
	rbp_json_array_end(j);
	if (m->host_index >= 0 && (uint32_t)m->host_index < m->nheaders)
		rbp_emit_span(j, "host", buf, m->headers[m->host_index].value);
	rbp_emit_flags(j, m->flags);
	rbp_json_kv_str(j, "body_framing", rbp_framing_name(m->framing));
	if (m->framing == RP_BODY_LENGTH)
		rbp_json_kv_uint(j, "content_length", m->content_length);
}

/* Decode a chunked body that starts at buf (rest bytes of input follow). */
static void rbp_emit_chunked(rbp_json *j, const rp_variant *v, const char *buf, size_t rest)
{
	rp_chunked c;
	size_t off = 0;
	uint64_t data_bytes = 0;
	const char *state = "complete";

	rp_chunked_init(&c);
	while (!rp_chunked_done(&c)) {
		const char *data = NULL;
		size_t data_len = 0;
		int64_t r = v->chunked_feed(&c, buf + off, rest - off, &data, &data_len);
		if (r < 0) {
			state = "error";
			break;
		}
		if (r == 0) {
			state = "incomplete";
			break;
		}
		off += (size_t)r;
		data_bytes += data_len;
	}
	rbp_json_kv_str(j, "chunked", state);
	rbp_json_kv_uint(j, "body_bytes", data_bytes);
	rbp_json_kv_uint(j, "chunked_consumed", off);
	rbp_json_kv_uint(j, "trailers", c.trailer_count);
	if (*state == 'e') {
		rbp_json_kv_str(j, "chunked_error", rp_error_name((rp_error)c.error));
		rbp_json_kv_str(j, "chunked_error_message", rp_error_message((rp_error)c.error));
		if (c.error == RP_E_TRAILER)
			rbp_json_kv_str(j, "chunked_error_detail",
					rp_error_name((rp_error)c.error_detail));
	}
	if (*state == 'c')
		rbp_json_kv_uint(j, "trailing_bytes", rest - off);
}

/* What follows a complete head: the body the input holds, and what is left. */
static void rbp_emit_body(rbp_json *j, const rp_message *m, const rp_variant *v, const char *buf,
			  size_t rest)
{
	switch (m->framing) {
	case RP_BODY_LENGTH: {
		uint64_t have = rest < m->content_length ? rest : m->content_length;
		rbp_json_kv_str(j, "body", have == m->content_length ? "complete" : "incomplete");
		rbp_json_kv_uint(j, "body_bytes", have);
		if (have == m->content_length)
			rbp_json_kv_uint(j, "trailing_bytes", rest - have);
		break;
	}
	case RP_BODY_CHUNKED:
		if (rest > 0)
			rbp_emit_chunked(j, v, buf, rest);
		break;
	case RP_BODY_CLOSE:
		rbp_json_kv_uint(j, "body_bytes", rest); /* up to the end of the input */
		break;
	default:
		rbp_json_kv_uint(j, "trailing_bytes", rest);
		break;
	}
}

static const char *rbp_result_name(int64_t r)
{
	if (r > 0)
		return "complete";
	return r == RP_INCOMPLETE ? "incomplete" : "error";
}

static int rbp_check_run(const rbp_check_opts *o, const char *buf, size_t len)
{
	rp_header headers[RP_DEFAULT_MAX_HEADERS];
	rp_message m;
	rbp_json j;
	int64_t r;

	rp_message_init(&m, headers, RP_DEFAULT_MAX_HEADERS, NULL);
	if (o->response)
		r = o->variant->parse_response(&m, buf, len, o->head ? RP_RESPONSE_TO_HEAD : 0);
	else
		r = o->variant->parse_request(&m, buf, len);

	rbp_json_init(&j, stdout);
	rbp_json_object_begin(&j);
	rbp_json_kv_str(&j, "result", rbp_result_name(r));
	rbp_json_kv_str(&j, "variant", o->variant->name);
	rbp_json_kv_uint(&j, "input_bytes", len);
	rbp_json_kv_uint(&j, "consumed", r > 0 ? (uint64_t)r : 0);
	if (r > 0) {
		rbp_emit_head(&j, &m, buf, o->response);
		rbp_emit_body(&j, &m, o->variant, buf + r, len - (size_t)r);
	} else if (r != RP_INCOMPLETE) {
		rp_error e = (rp_error)m.error;
		rbp_json_kv_str(&j, "error", rp_error_name(e));
		rbp_json_kv_str(&j, "error_message", rp_error_message(e));
		rbp_json_kv_uint(&j, "error_offset", m.error_offset);
		rbp_json_kv_int(&j, "http_status", rp_error_status(e));
	}
	rbp_json_object_end(&j);
	rbp_json_finish(&j);
	if (r > 0)
		return RBP_EXIT_OK;
	return r == RP_INCOMPLETE ? RBP_EXIT_INCOMPLETE : RBP_EXIT_ERROR;
}

static int rbp_check_parse_opts(rbp_check_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"variant", required_argument, NULL, 'v'},
		{"response", no_argument, NULL, 'r'},
		{"head", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o->variant = rbp_variant_lookup(optarg);
			if (!o->variant)
				return RBP_EXIT_USAGE;
			break;
		case 'r':
			o->response = 1;
			break;
		case 'H':
			o->head = 1;
			break;
		case 'h':
			fputs(rbp_check_help, stdout);
			return RBP_EXIT_OK;
		case ':':
			fprintf(stderr, "rbparse: %s needs a value\n", argv[optind - 1]);
			goto usage;
		default:
			fprintf(stderr, "rbparse: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"rbparse: check reads standard input and takes no argument, "
			"not '%s'\n",
			argv[optind]);
		goto usage;
	}
	if (o->head && !o->response) {
		fputs("rbparse: --head only applies with --response\n", stderr);
		goto usage;
	}
	if (!o->variant)
		o->variant = rp_variant_current();
	return -1;
usage:
	fputs("rbparse: try 'rbparse check --help'\n", stderr);
	return RBP_EXIT_USAGE;
}

int rbp_cmd_check(int argc, char **argv)
{
	rbp_check_opts o;
	char *buf;
	size_t len;
	int rc = rbp_check_parse_opts(&o, argc, argv);

	if (rc >= 0)
		return rc;
	if (isatty(STDIN_FILENO))
		fputs("rbparse: reading a message from standard input (end it with Ctrl-D)\n",
		      stderr);
	if (rbp_read_all(STDIN_FILENO, RBP_INPUT_CAP, &buf, &len) < 0) {
		int err = errno;
		if (err == EFBIG)
			fprintf(stderr, "rbparse: standard input is larger than %u MiB\n",
				RBP_INPUT_CAP >> 20);
		else
			fprintf(stderr, "rbparse: reading standard input: %s\n", strerror(err));
		return RBP_EXIT_ERROR;
	}
	rc = rbp_check_run(&o, buf, len);
	free(buf);
	return rc;
}
