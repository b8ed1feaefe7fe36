/* `rbparse variants`: the variants this CPU runs, default first. */
#include <getopt.h>
#include <string.h>

#include "rbp.h"

static const char rbp_variants_help[] =
	"usage: rbparse variants [--all]\n"
	"\n"
	"List the parser variants this CPU can run, one per line, the default first\n"
	"(the default is the fastest this CPU runs, unless RINGPARSE_VARIANT names\n"
	"another).\n"
	"\n"
	"  --all       every variant compiled in, as NAME STATUS DESCRIPTION, where\n"
	"              STATUS is default, supported or unsupported (on this CPU)\n"
	"  -h, --help  this text\n";

static void rbp_variants_list(int all)
{
	const rp_variant *def = rp_variant_current();
	const rp_variant *const *v = rp_variants_all();

	if (all)
		printf("%-10s %-11s %s\n", def->name, "default", def->description);
	else
		printf("%s\n", def->name);
	for (size_t i = 0; v[i]; i++) {
		if (v[i] == def)
			continue;
		int ok = v[i]->supported();
		if (all)
			printf("%-10s %-11s %s\n", v[i]->name, ok ? "supported" : "unsupported",
			       v[i]->description);
		else if (ok)
			printf("%s\n", v[i]->name);
	}
}

int rbp_cmd_variants(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int all = 0, c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'h':
			fputs(rbp_variants_help, stdout);
			return RBP_EXIT_OK;
		default:
			fprintf(stderr,
				"rbparse: unknown option '%s' (try 'rbparse variants --help')\n",
				argv[optind - 1]);
			return RBP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rbparse: variants takes no argument, not '%s'\n", argv[optind]);
		return RBP_EXIT_USAGE;
	}
	rbp_variants_list(all);
	return RBP_EXIT_OK;
}
