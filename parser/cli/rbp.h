/*
 * rbparse internals: exit statuses, input reading, variant choice, and the
 * commands.  Everything here is prefixed rbp_ (rbparse).
 *
 *   main()                  dispatch, --help, --version
 *   rbp_cmd_variants()      `rbparse variants`
 *   rbp_cmd_check()         `rbparse check`: one message from stdin as JSON
 *   rbp_cmd_bench()         `rbparse bench`: the ringparse variants on the corpus
 *   rbp_variant_lookup(), rbp_variants_pick()   --variant, shared by check, bench and
 *                           the baselines
 *   rbp_read_all()          read a file descriptor to the end, with a cap
 *   rbp_corpus_load()       find and load the benchmark corpus
 *   rbp_sysinfo_read(), rbp_pin_cpu()   CPU model, flags, kernel, pinning
 *   rbp_bench_execute()     the timing engine and its reports (rbp_bench_run,
 *                           rbp_report_table, rbp_report_json)
 *   rbp_json_init()         the JSON writer (rbp_json)
 */
#ifndef RBP_H
#define RBP_H

#include <stddef.h>
#include <stdio.h>

#include "ringparse.h"

/* Exit statuses (documented in --help): the kit's convention, as rbserver, rbload and
 * rbfloor use it: 0 success, 1 failed at run time, 2 bad command line.  `check` keeps its
 * own three, which the convention fits: 0 complete, 1 incomplete, 2 error, where an error
 * is a parse error (the JSON says "result":"error") or any failure that leaves no JSON
 * (a bad command line, input unreadable or too large, out of memory, output failed). */
enum {
	RBP_EXIT_OK = 0,         /* success; check: the message is complete */
	RBP_EXIT_FAIL = 1,       /* variants, bench: failed at run time: input or corpus
				  * missing, unreadable or too large, a corpus message that does
				  * not parse, out of memory, writing the output failed */
	RBP_EXIT_USAGE = 2,      /* bad command, option, value, variant, corpus name or CPU */
	RBP_EXIT_INCOMPLETE = 1, /* check: the message is incomplete */
	RBP_EXIT_ERROR = 2,      /* check: a parse error, or any failure (RBP_EXIT_FAIL's) */
};

/* The largest input read (stdin for check, each corpus file for bench). */
#define RBP_INPUT_CAP (16u * 1024u * 1024u)

/* Read fd to end of file into a malloc'd buffer of exactly the input's size
 * (so AddressSanitizer sees any read past the end).  Returns 0, or -1 with
 * errno set: EFBIG when the input is larger than cap. */
int rbp_read_all(int fd, size_t cap, char **out, size_t *out_len);

/* Resolve one variant name ("default" is rp_variant_current()); on failure print why on stderr (naming the
 * allowed values) and return NULL.  Unsupported on this CPU is a failure. */
const rp_variant *rbp_variant_lookup(const char *name);

/* Resolve a --variant list: NULL or "all" (every variant this CPU runs, in
 * rp_variants_all() order), "default" (rp_variant_current()), or names
 * separated by commas.  Returns the count (>= 1), or -1 after printing the
 * reason on stderr. */
int rbp_variants_pick(const char *spec, const rp_variant **out, size_t max);

/* Print the supported variant names, comma-separated, to f. */
void rbp_variants_print_supported(FILE *f);

int rbp_cmd_variants(int argc, char **argv);
int rbp_cmd_check(int argc, char **argv);
int rbp_cmd_bench(int argc, char **argv);

#endif
