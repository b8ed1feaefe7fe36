/*
 * The parser benchmark: subjects (a ringparse variant, or a baseline parser)
 * timed on corpus files with one method, and the reports made from that.
 *
 *   rbp_bench_run          verify, calibrate, warm up, sample (alternating), statistics
 *   rbp_report_table, rbp_report_json   the human table and the JSON object
 *   rbp_bench_opts_parse, rbp_bench_execute   options and the whole run, shared by
 *                          `rbparse bench` and the baselines
 *   rbp_subject_ringparse  the subject that times a ringparse variant
 */
#ifndef RBP_BENCH_H
#define RBP_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "corpus.h"
#include "ringparse.h"
#include "sysinfo.h"

/* Something to time. */
typedef struct rbp_subject {
	const char *name; /* "avx2", "http-parser": the "variant" of a result */
	const void *ctx;
	/* Parse every message in buf once, checking that each one is complete.
	 * Returns the number of messages, or -1 with the reason in err. */
	long (*verify)(const void *ctx, const char *buf, size_t len, char *err, size_t errlen);
	/* The timed unit: parse every message in buf in turn.  Returns a value
	 * that depends on the results, so the work cannot be optimised away. */
	uint64_t (*run)(const void *ctx, const char *buf, size_t len);
} rbp_subject;

typedef struct rbp_bench_cfg {
	unsigned runs;      /* samples per subject and file */
	double min_time_ms; /* a sample lasts at least this; calibrated to about 1.2x */
	double warmup_ms;   /* per subject and file, after calibration */
	int progress;       /* a progress line on stderr */
} rbp_bench_cfg;

typedef struct rbp_result {
	const rbp_subject *subject;
	const rbp_corpus_file *file;
	uint32_t messages;                /* in the file */
	uint64_t iterations;              /* passes over the file per sample */
	double median_ns, min_ns, max_ns; /* per message, over the samples */
	double bytes_per_msg;
	double gb_per_s; /* bytes_per_msg / median_ns */
} rbp_result;

/* Verify every subject on every file (all must agree on the message count),
 * then time them: per file, each subject is calibrated and warmed up, then
 * the samples are taken in rounds, one sample of each subject per round, so
 * that machine noise hits every subject alike.  results holds nfiles *
 * nsubjects entries, file-major.  Returns 0, or RBP_EXIT_FAIL after printing
 * which message failed (a benchmark of a failing parse is worthless). */
int rbp_bench_run(const rbp_subject *subjects, size_t nsubjects, const rbp_corpus *corpus,
		  const rbp_bench_cfg *cfg, rbp_result *results);

typedef struct rbp_report_meta {
	const char *tool; /* "rbparse" */
	const rbp_sysinfo *sys;
	const rbp_bench_cfg *cfg;
	const char *corpus_dir; /* or NULL */
	int pinned_cpu;         /* the CPU pinned to by --cpu, or -1 */
	const char *reference;  /* the subject speedups are relative to, or NULL */
} rbp_report_meta;

void rbp_report_table(FILE *f, const rbp_result *results, size_t nsubjects, size_t nfiles,
		      const rbp_report_meta *meta);
void rbp_report_json(FILE *f, const rbp_result *results, size_t nsubjects, size_t nfiles,
		     const rbp_report_meta *meta);

/* Command-line options of a benchmark command. */
typedef struct rbp_bench_opts {
	const char *variant;    /* --variant: NULL means all */
	const char *corpus;     /* --corpus: NULL means every message */
	const char *corpus_dir; /* --corpus-dir */
	int json;
	unsigned runs;
	double min_time_ms;
	int cpu; /* --cpu, or -1 */
} rbp_bench_opts;

#define RBP_BENCH_DEFAULT_RUNS 31u
#define RBP_BENCH_DEFAULT_MIN_TIME_MS 1.0

/* The options text both benchmark commands print in their --help. */
extern const char rbp_bench_options_help[];

/* Parse argv (argv[0] is the command's name; prog is how to call it, for
 * messages).  --help prints help, then the shared options text, to stdout.  Returns -1 to go on, else the exit status
 * to leave with (RBP_EXIT_OK after --help, RBP_EXIT_USAGE on a bad option). */
int rbp_bench_opts_parse(rbp_bench_opts *o, int argc, char **argv, const char *prog,
			 const char *help);

/* Pin (--cpu), load the corpus, verify, time and report to stdout.  Subjects
 * named reference (if present) are the base of the speedup lines.  Returns
 * the exit status. */
int rbp_bench_execute(const rbp_bench_opts *o, const rbp_subject *subjects, size_t nsubjects,
		      const char *tool, const char *reference);

/* For the baseline programs: the ringparse variants their --variant V names
 * ('all' when NULL, 'default', 'none', or a comma list), appended to out as
 * subjects.  Returns how many (at most cap), or -1 after printing why V is
 * refused. */
int rbp_subjects_beside(const char *variant, rbp_subject *out, size_t cap);

/* The --variant paragraph of a baseline program's --help. */
#define RBP_BASELINE_VARIANT_HELP                                                                  \
	"  --variant V               ringparse variants timed beside it: 'all' (the\n"             \
	"                            default), 'default', 'none', or names separated by\n"         \
	"                            commas\n"

/* A subject that times variant v: every request in the buffer in turn
 * (rp_message_init + parse_request each, skipping Content-Length and chunked
 * bodies), the header array stored as a server would. */
void rbp_subject_ringparse(rbp_subject *s, const rp_variant *v);

#endif
