/* rbparse, the ringparse command-line tool: dispatch to a command. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rbp.h"

#ifndef RB_VERSION
#define RB_VERSION "unknown"
#endif

static const char rbp_usage[] =
	"usage: rbparse <command> [options]\n"
	"\n"
	"Commands:\n"
	"  variants   list the parser variants this CPU runs, the default first\n"
	"  check      parse one message from standard input and print it as JSON\n"
	"  bench      time the parser variants on the benchmark corpus\n"
	"\n"
	"  rbparse <command> --help    options of a command (also: rbparse help <command>)\n"
	"  rbparse --version\n"
	"\n"
	"Exit status: 0 success, 1 failed (input or corpus unreadable or larger than\n"
	"16 MiB, a corpus message does not parse, out of memory, output write error),\n"
	"2 bad command line (unknown command, option, value or variant).  check: 0 the\n"
	"message is complete, 1 incomplete, 2 a parse error or any failure above.\n"
	"\n"
	"Environment: RINGPARSE_VARIANT names the default variant; RINGBENCH_CORPUS\n"
	"the corpus directory.\n";

struct rbp_command {
	const char *name;
	int (*run)(int argc, char **argv);
	int fail; /* the status when writing the output fails: check's 1 means incomplete */
};

static const struct rbp_command rbp_commands[] = {
	{"variants", rbp_cmd_variants, RBP_EXIT_FAIL},
	{"check", rbp_cmd_check, RBP_EXIT_ERROR},
	{"bench", rbp_cmd_bench, RBP_EXIT_FAIL},
};

static const struct rbp_command *rbp_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(rbp_commands) / sizeof(rbp_commands[0]); i++)
		if (strcmp(rbp_commands[i].name, name) == 0)
			return &rbp_commands[i];
	fprintf(stderr, "rbparse: unknown command '%s' (commands: variants, check, bench)\n", name);
	fputs("rbparse: try 'rbparse --help'\n", stderr);
	return NULL;
}

/* Runs the command named in argv; *ran is the command, or NULL when none ran. */
static int rbp_dispatch(int argc, char **argv, const struct rbp_command **ran)
{
	const struct rbp_command *cmd;

	*ran = NULL;
	if (argc < 2) {
		fputs(rbp_usage, stderr);
		return RBP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(rbp_usage, stdout);
		return RBP_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rbparse %s\n", RB_VERSION);
		return RBP_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			fputs(rbp_usage, stdout);
			return RBP_EXIT_OK;
		}
		cmd = rbp_command_find(argv[2]);
		if (!cmd)
			return RBP_EXIT_USAGE;
		char help[] = "--help";
		char *args[] = {argv[2], help, NULL};
		*ran = cmd;
		return cmd->run(2, args);
	}
	cmd = rbp_command_find(argv[1]);
	if (!cmd)
		return RBP_EXIT_USAGE;
	*ran = cmd;
	return cmd->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const struct rbp_command *cmd;
	int rc = rbp_dispatch(argc, argv, &cmd);

	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "rbparse: writing the output failed: %s\n", strerror(errno));
		return cmd ? cmd->fail : RBP_EXIT_FAIL;
	}
	return rc;
}
