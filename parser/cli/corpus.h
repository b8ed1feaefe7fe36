/*
 * The parser benchmark corpus: files of raw HTTP requests (bench/corpus/NAME.http),
 * each holding one or more messages back to back.
 */
#ifndef RBP_CORPUS_H
#define RBP_CORPUS_H

#include <stddef.h>

typedef struct rbp_corpus_file {
	char *name; /* "browser": the file name without its directory and ".http" */
	char *path;
	char *data; /* the file's bytes (exactly len of them) */
	size_t len;
} rbp_corpus_file;

typedef struct rbp_corpus {
	char *dir; /* where names were looked up; NULL if only paths were given */
	rbp_corpus_file *files;
	size_t count;
} rbp_corpus;

/* The corpus directory: dir_opt (--corpus-dir) if given, else the environment
 * variable RINGBENCH_CORPUS, else <directory of the executable>/../../bench/corpus,
 * else the source tree's bench/corpus (RB_SOURCE_DIR, set at build time).
 * Returns a malloc'd real path, or NULL after printing why on stderr. */
char *rbp_corpus_find_dir(const char *dir_opt);

/* Load a selection into c: NULL for every *.http file of the directory (the
 * standard messages first, in their usual order), else a comma-separated list
 * of NAMEs (looked up as DIR/NAME.http) and FILE paths (anything holding a
 * '/' or ending in ".http").  Returns 0, RBP_EXIT_USAGE for an unknown name,
 * RBP_EXIT_FAIL when a directory or file cannot be read or memory runs out;
 * the reason is printed on stderr.  On failure c is left empty. */
int rbp_corpus_load(rbp_corpus *c, const char *dir_opt, const char *selection);

void rbp_corpus_free(rbp_corpus *c);

#endif
