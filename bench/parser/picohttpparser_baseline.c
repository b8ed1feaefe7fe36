/*
 * rbparse-baseline-picohttpparser: picohttpparser, the parser issue 2's speed
 * targets are stated against, timed on the parser corpus by the same engine as
 * `rbparse bench`, alternating sample by sample with the ringparse variants.
 *
 * The source is not ours and is not committed: bench/parser/get-picohttpparser.sh
 * takes it from Debian's h2o source package.  CMake compiles it twice, with
 * its public names renamed per copy:
 *   pico-sse42   with -msse4.2, its fast path (pcmpestri scans of the request
 *                target and header values);
 *   pico-scalar  without, as Debian's own libh2o build has it.
 *
 * The timed unit is ringparse's: every request of a file in turn, up to 128
 * headers kept as pointer and length.  picohttpparser does not frame bodies,
 * so the unit also finds Content-Length among the header names (the least a
 * server using it must do) and skips the body; a request with
 * Transfer-Encoding is refused by verify, as picohttpparser's chunked decoder
 * rewrites the buffer and cannot be timed on a shared one.
 */
#include <picohttpparser.h>
#include <string.h>
#include <strings.h>

#include "bench.h"
#include "rbp.h"

#define PCB_MAX_HEADERS RP_DEFAULT_MAX_HEADERS
#define PCB_MAX_VARIANTS 16

typedef int (*pcb_parse_fn)(const char *buf, size_t len, const char **method, size_t *method_len,
			    const char **path, size_t *path_len, int *minor_version,
			    struct phr_header *headers, size_t *num_headers, size_t last_len);

/* The two renamed copies (see CMakeLists.txt in parser/cli). */
int rbpico_sse42_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
			       const char **path, size_t *path_len, int *minor_version,
			       struct phr_header *headers, size_t *num_headers, size_t last_len);
int rbpico_scalar_parse_request(const char *buf, size_t len, const char **method,
				size_t *method_len, const char **path, size_t *path_len,
				int *minor_version, struct phr_header *headers, size_t *num_headers,
				size_t last_len);

/* A subject's ctx: which copy it times. */
typedef struct pcb_build {
	pcb_parse_fn parse;
} pcb_build;

static const pcb_build pcb_sse42 = {rbpico_sse42_parse_request};
static const pcb_build pcb_scalar = {rbpico_scalar_parse_request};

typedef struct pcb_request {
	const char *method, *path;
	size_t method_len, path_len, nheaders;
	int minor;
	int chunked;     /* Transfer-Encoding was present */
	size_t body_len; /* from Content-Length */
	int bad_length;  /* Content-Length was not all digits */
} pcb_request;

/* Parse one request at buf; returns picohttpparser's result (bytes, -1, -2). */
static int pcb_parse_one(pcb_parse_fn parse, const char *buf, size_t len, pcb_request *rq,
			 struct phr_header *headers)
{
	int r;

	rq->nheaders = PCB_MAX_HEADERS;
	r = parse(buf, len, &rq->method, &rq->method_len, &rq->path, &rq->path_len, &rq->minor,
		  headers, &rq->nheaders, 0);
	if (r <= 0)
		return r;
	rq->chunked = 0;
	rq->body_len = 0;
	rq->bad_length = 0;
	for (size_t i = 0; i < rq->nheaders; i++) {
		const struct phr_header *h = &headers[i];
		if (h->name_len == 14 && strncasecmp(h->name, "content-length", 14) == 0) {
			size_t n = 0;
			for (size_t k = 0; k < h->value_len; k++) {
				unsigned d = (unsigned char)h->value[k] - '0';
				/* 18 digits cannot wrap; verify refuses a longer one */
				if (d > 9 || k >= 18) {
					rq->bad_length = 1;
					break;
				}
				n = n * 10 + d;
			}
			rq->body_len = n;
		} else if (h->name_len == 17 &&
			   strncasecmp(h->name, "transfer-encoding", 17) == 0) {
			rq->chunked = 1;
		}
	}
	return r;
}

static long pcb_verify(const void *ctx, const char *buf, size_t len, char *err, size_t errlen)
{
	pcb_parse_fn parse = ((const pcb_build *)ctx)->parse;
	struct phr_header headers[PCB_MAX_HEADERS];
	pcb_request rq;
	size_t off = 0;
	long n = 0;

	while (off < len) {
		int r = pcb_parse_one(parse, buf + off, len - off, &rq, headers);
		if (r == -2) {
			snprintf(err, errlen, "request %ld (byte %zu) is incomplete", n + 1, off);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "request %ld (byte %zu): picohttpparser error", n + 1,
				 off);
			return -1;
		}
		off += (size_t)r;
		if (rq.chunked) {
			snprintf(err, errlen,
				 "request %ld: chunked bodies are not timed for "
				 "picohttpparser",
				 n + 1);
			return -1;
		}
		if (rq.bad_length || rq.body_len > len - off) {
			snprintf(err, errlen, "request %ld: bad Content-Length or short body",
				 n + 1);
			return -1;
		}
		off += rq.body_len;
		n++;
	}
	if (n == 0)
		snprintf(err, errlen, "no request in the file");
	return n ? n : -1;
}

static uint64_t pcb_run(const void *ctx, const char *buf, size_t len)
{
	pcb_parse_fn parse = ((const pcb_build *)ctx)->parse;
	struct phr_header headers[PCB_MAX_HEADERS];
	pcb_request rq;
	size_t off = 0;
	uint64_t acc = 0;

	/* Verified beforehand; a failure still stops the loop rather than spin. */
	while (off < len) {
		int r = pcb_parse_one(parse, buf + off, len - off, &rq, headers);
		if (r <= 0)
			break;
		off += (size_t)r + rq.body_len;
		acc += rq.nheaders + rq.path_len + rq.method_len;
	}
	return acc + off;
}

static const char pcb_help[] =
	"usage: rbparse-baseline-picohttpparser [--variant V|all|none] [--corpus NAME|FILE]\n"
	"          [--corpus-dir DIR] [--json] [--runs N] [--min-time-ms T] [--cpu N]\n"
	"\n"
	"Time picohttpparser (from Debian's h2o source package, fetched by\n"
	"bench/parser/get-picohttpparser.sh) on the parser corpus with the method of\n"
	"'rbparse bench', alternating with ringparse variants in the same run. Two\n"
	"builds of it are timed: \"pico-sse42\" (-msse4.2, its fast path; skipped on a\n"
	"CPU without SSE4.2) and \"pico-scalar\" (as Debian builds it). Speedups are\n"
	"relative to pico-sse42, or pico-scalar when SSE4.2 is missing.\n"
	"\n" RBP_BASELINE_VARIANT_HELP;

int main(int argc, char **argv)
{
	rbp_bench_opts o;
	rbp_subject subjects[PCB_MAX_VARIANTS + 2];
	size_t ns = 0;
	int n, rc = rbp_bench_opts_parse(&o, argc, argv, argv[0], pcb_help);
	int sse42 = __builtin_cpu_supports("sse4.2");

	if (rc >= 0)
		return rc;
	if (sse42)
		subjects[ns++] = (rbp_subject){.name = "pico-sse42",
					       .ctx = &pcb_sse42,
					       .verify = pcb_verify,
					       .run = pcb_run};
	else
		fprintf(stderr, "rbparse-baseline-picohttpparser: this CPU has no SSE4.2; "
				"timing pico-scalar only\n");
	subjects[ns++] = (rbp_subject){
		.name = "pico-scalar", .ctx = &pcb_scalar, .verify = pcb_verify, .run = pcb_run};
	n = rbp_subjects_beside(o.variant, &subjects[ns], PCB_MAX_VARIANTS);
	if (n < 0)
		return RBP_EXIT_USAGE;
	ns += (size_t)n;
	rc = rbp_bench_execute(&o, subjects, ns, "rbparse-baseline-picohttpparser",
			       subjects[0].name);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("rbparse-baseline-picohttpparser: writing the output failed");
		return RBP_EXIT_FAIL;
	}
	return rc;
}
