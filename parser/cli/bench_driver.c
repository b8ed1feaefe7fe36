/* Options and the whole benchmark run (rbp_bench_opts_parse, rbp_bench_execute),
 * shared by `rbparse bench` and the baselines. */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rbp.h"

const char rbp_bench_options_help[] =
	"  --corpus NAME|FILE[,...]  messages to time (default: every *.http of the corpus\n"
	"                            directory); a NAME is looked up as DIR/NAME.http, an\n"
	"                            entry with a '/' or ending in .http is a file path\n"
	"  --corpus-dir DIR          the corpus directory (default: $RINGBENCH_CORPUS, else\n"
	"                            <exe dir>/../../bench/corpus, else the source tree's)\n"
	"  --json                    print one JSON object instead of the table\n"
	"  --runs N                  samples per variant and message (default 31)\n"
	"  --min-time-ms T           one sample lasts at least T ms; the inner iteration\n"
	"                            count is calibrated to about 1.2 T (default 1)\n"
	"  --cpu N                   pin to CPU N first (default: affinity unchanged)\n"
	"  -h, --help                this text\n"
	"\n"
	"Method: each file is copied once into a 64-byte aligned buffer and checked to\n"
	"parse completely with every variant (else exit 1). Per file, each variant is\n"
	"calibrated and warmed up, then the samples are taken in rounds, one sample per\n"
	"variant per round, so noise hits all alike. A pass parses every message of the\n"
	"file in turn; times are wall-clock (CLOCK_MONOTONIC) ns per message; GB/s is\n"
	"bytes per message / median ns.\n"
	"\n"
	"Exit status: 0 done; 1 failed: a corpus message does not parse, the corpus is\n"
	"unreadable, out of memory, output write error; 2 bad command line (option,\n"
	"value, variant, corpus name or CPU).\n";

enum {
	RBP_OPT_CORPUS = 256,
	RBP_OPT_CORPUS_DIR,
	RBP_OPT_JSON,
	RBP_OPT_RUNS,
	RBP_OPT_MIN_TIME,
	RBP_OPT_CPU,
	RBP_OPT_VARIANT,
};

static const struct option rbp_bench_longopts[] = {
	{"variant", required_argument, NULL, RBP_OPT_VARIANT},
	{"corpus", required_argument, NULL, RBP_OPT_CORPUS},
	{"corpus-dir", required_argument, NULL, RBP_OPT_CORPUS_DIR},
	{"json", no_argument, NULL, RBP_OPT_JSON},
	{"runs", required_argument, NULL, RBP_OPT_RUNS},
	{"min-time-ms", required_argument, NULL, RBP_OPT_MIN_TIME},
	{"cpu", required_argument, NULL, RBP_OPT_CPU},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int rbp_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
			  unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "rbparse: %s wants a whole number from %lu to %lu, not '%s'\n", opt,
			lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int rbp_parse_ms(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0.01 && v <= 10000)) {
		fprintf(stderr,
			"rbparse: --min-time-ms wants milliseconds from 0.01 to 10000, "
			"not '%s'\n",
			s);
		return -1;
	}
	*out = v;
	return 0;
}

int rbp_bench_opts_parse(rbp_bench_opts *o, int argc, char **argv, const char *prog,
			 const char *help)
{
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->runs = RBP_BENCH_DEFAULT_RUNS;
	o->min_time_ms = RBP_BENCH_DEFAULT_MIN_TIME_MS;
	o->cpu = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", rbp_bench_longopts, NULL)) != -1) {
		switch (c) {
		case RBP_OPT_VARIANT:
			o->variant = optarg;
			break;
		case RBP_OPT_CORPUS:
			o->corpus = optarg;
			break;
		case RBP_OPT_CORPUS_DIR:
			o->corpus_dir = optarg;
			break;
		case RBP_OPT_JSON:
			o->json = 1;
			break;
		case RBP_OPT_RUNS:
			if (rbp_parse_uint("--runs", optarg, 1, 100000, &v) < 0)
				return RBP_EXIT_USAGE;
			o->runs = (unsigned)v;
			break;
		case RBP_OPT_MIN_TIME:
			if (rbp_parse_ms(optarg, &o->min_time_ms) < 0)
				return RBP_EXIT_USAGE;
			break;
		case RBP_OPT_CPU:
			if (rbp_parse_uint("--cpu", optarg, 0, RBP_MAX_CPU, &v) < 0)
				return RBP_EXIT_USAGE;
			o->cpu = (int)v;
			break;
		case 'h':
			fputs(help, stdout);
			fputs(rbp_bench_options_help, stdout);
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
		fprintf(stderr, "rbparse: unexpected argument '%s'\n", argv[optind]);
		goto usage;
	}
	return -1;
usage:
	fprintf(stderr, "rbparse: try '%s --help'\n", prog);
	return RBP_EXIT_USAGE;
}

static int rbp_bench_pin(int cpu)
{
	if (cpu < 0)
		return 0;
	if (rbp_pin_cpu(cpu) < 0) {
		fprintf(stderr, "rbparse: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return RBP_EXIT_USAGE;
	}
	return 0;
}

int rbp_bench_execute(const rbp_bench_opts *o, const rbp_subject *subjects, size_t nsubjects,
		      const char *tool, const char *reference)
{
	rbp_corpus corpus;
	rbp_sysinfo si;
	rbp_bench_cfg cfg = {
		.runs = o->runs,
		.min_time_ms = o->min_time_ms,
		.warmup_ms = o->min_time_ms * 3 > 10 ? o->min_time_ms * 3 : 10,
		.progress = isatty(STDERR_FILENO),
	};
	rbp_result *results;
	int rc = rbp_bench_pin(o->cpu);

	if (rc)
		return rc;
	rc = rbp_corpus_load(&corpus, o->corpus_dir, o->corpus);
	if (rc)
		return rc;
	results = calloc(corpus.count * nsubjects, sizeof(*results));
	if (!results) {
		fputs("rbparse: out of memory\n", stderr);
		rbp_corpus_free(&corpus);
		return RBP_EXIT_FAIL;
	}
	rc = rbp_bench_run(subjects, nsubjects, &corpus, &cfg, results);
	if (rc == 0) {
		rbp_report_meta meta = {
			.tool = tool,
			.sys = &si,
			.cfg = &cfg,
			.corpus_dir = corpus.dir,
			.pinned_cpu = o->cpu,
			.reference = reference,
		};
		rbp_sysinfo_read(&si);
		if (o->json)
			rbp_report_json(stdout, results, nsubjects, corpus.count, &meta);
		else
			rbp_report_table(stdout, results, nsubjects, corpus.count, &meta);
	}
	free(results);
	rbp_corpus_free(&corpus);
	return rc;
}
