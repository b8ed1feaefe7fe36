/* `rbparse bench`: time the ringparse variants on the corpus. */
#include "bench.h"

#include "rbp.h"

#define RBP_MAX_VARIANTS 16

static const char rbp_bench_help[] =
	"usage: rbparse bench [--variant V|all] [--corpus NAME|FILE] [--corpus-dir DIR]\n"
	"                     [--json] [--runs N] [--min-time-ms T] [--cpu N]\n"
	"\n"
	"Time the parser variants on the benchmark corpus (bench/corpus/*.http: tfb,\n"
	"browser, curl, bigheaders, post, pipelined16) and print, per variant and\n"
	"message, the median, min and max ns per message and GB/s, then the speedup\n"
	"of each variant over scalar. A file may hold several pipelined requests (and\n"
	"bodies); a pass parses all of them and the time is divided among them.\n"
	"\n"
	"  --variant V               'all' (the default: every variant this CPU runs),\n"
	"                            'default', or names separated by commas\n";

int rbp_cmd_bench(int argc, char **argv)
{
	rbp_bench_opts o;
	const rp_variant *variants[RBP_MAX_VARIANTS];
	rbp_subject subjects[RBP_MAX_VARIANTS];
	int n, rc = rbp_bench_opts_parse(&o, argc, argv, "rbparse bench", rbp_bench_help);

	if (rc >= 0)
		return rc;
	n = rbp_variants_pick(o.variant, variants, RBP_MAX_VARIANTS);
	if (n < 0)
		return RBP_EXIT_USAGE;
	for (int i = 0; i < n; i++)
		rbp_subject_ringparse(&subjects[i], variants[i]);
	return rbp_bench_execute(&o, subjects, (size_t)n, "rbparse", "scalar");
}
