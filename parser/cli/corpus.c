/* Find and load the benchmark corpus: rbp_corpus_find_dir, rbp_corpus_load. */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rbp.h"

#define RBP_CORPUS_EXT ".http"

/* The standard messages, in the order reports list them. */
static const char *const rbp_corpus_order[] = {
	"tfb", "browser", "curl", "bigheaders", "post", "pipelined16",
};

static int rbp_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *rbp_join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* A directory that must exist because the user named it. */
static char *rbp_named_dir(const char *dir, const char *how)
{
	char *real;

	if (!rbp_is_dir(dir)) {
		fprintf(stderr, "rbparse: corpus directory %s (%s) is not a directory\n", dir, how);
		return NULL;
	}
	real = realpath(dir, NULL);
	if (!real)
		fprintf(stderr, "rbparse: %s: %s\n", dir, strerror(errno));
	return real;
}

char *rbp_corpus_find_dir(const char *dir_opt)
{
	const char *env = getenv("RINGBENCH_CORPUS");
	char exe[PATH_MAX];
	ssize_t n;

	if (dir_opt)
		return rbp_named_dir(dir_opt, "from --corpus-dir");
	if (env && *env)
		return rbp_named_dir(env, "from RINGBENCH_CORPUS");

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *guess = rbp_join(dirname(exe), "/../../bench/corpus", "");
		if (guess && rbp_is_dir(guess)) {
			char *real = realpath(guess, NULL);
			free(guess);
			if (real)
				return real;
		} else {
			free(guess);
		}
	}
#ifdef RB_SOURCE_DIR
	if (rbp_is_dir(RB_SOURCE_DIR "/bench/corpus"))
		return realpath(RB_SOURCE_DIR "/bench/corpus", NULL);
#endif
	fputs("rbparse: cannot find the corpus directory; use --corpus-dir DIR or set "
	      "RINGBENCH_CORPUS\n",
	      stderr);
	return NULL;
}

static int rbp_has_ext(const char *name)
{
	size_t n = strlen(name), e = strlen(RBP_CORPUS_EXT);

	return n > e && strcmp(name + n - e, RBP_CORPUS_EXT) == 0;
}

static int rbp_order_rank(const char *name)
{
	size_t n = sizeof(rbp_corpus_order) / sizeof(rbp_corpus_order[0]);

	for (size_t i = 0; i < n; i++)
		if (strcmp(name, rbp_corpus_order[i]) == 0)
			return (int)i;
	return (int)n;
}

static int rbp_cmp_names(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = rbp_order_rank(x), ry = rbp_order_rank(y);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x, y);
}

static void rbp_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The message names in dir (file names without ".http"), in report order.
 * Returns the count, or -1 after printing why. */
static long rbp_list_names(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d) {
		fprintf(stderr, "rbparse: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !rbp_has_ext(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **p = realloc(names, cap * sizeof(*names));
			if (!p)
				goto oom;
			names = p;
		}
		names[n] = strndup(e->d_name, strlen(e->d_name) - strlen(RBP_CORPUS_EXT));
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), rbp_cmp_names);
	*out = names;
	return (long)n;
oom:
	closedir(d);
	rbp_free_names(names, n);
	fputs("rbparse: out of memory\n", stderr);
	return -1;
}

static int rbp_corpus_add(rbp_corpus *c, const char *name, const char *path)
{
	rbp_corpus_file *f;
	int fd;
	rbp_corpus_file *files = realloc(c->files, (c->count + 1) * sizeof(*files));

	if (!files) {
		fputs("rbparse: out of memory\n", stderr);
		return RBP_EXIT_FAIL;
	}
	c->files = files;
	f = &files[c->count];
	memset(f, 0, sizeof(*f));

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "rbparse: %s: %s\n", path, strerror(errno));
		return RBP_EXIT_FAIL;
	}
	if (rbp_read_all(fd, RBP_INPUT_CAP, &f->data, &f->len) < 0) {
		if (errno == EFBIG)
			fprintf(stderr, "rbparse: %s: larger than %u MiB\n", path,
				RBP_INPUT_CAP >> 20);
		else
			fprintf(stderr, "rbparse: %s: %s\n", path, strerror(errno));
		close(fd);
		return RBP_EXIT_FAIL;
	}
	close(fd);
	f->name = strdup(name);
	f->path = strdup(path);
	c->count++; /* counted now so rbp_corpus_free releases what was set */
	if (!f->name || !f->path) {
		fputs("rbparse: out of memory\n", stderr);
		return RBP_EXIT_FAIL;
	}
	return 0;
}

/* A selection entry that names a file rather than a corpus message. */
static int rbp_is_path(const char *entry)
{
	return strchr(entry, '/') || rbp_has_ext(entry);
}

static int rbp_corpus_add_path(rbp_corpus *c, const char *path)
{
	char *copy = strdup(path), *base, *name;
	int rc;

	if (!copy) {
		fputs("rbparse: out of memory\n", stderr);
		return RBP_EXIT_FAIL;
	}
	base = basename(copy);
	name = base;
	if (rbp_has_ext(base))
		base[strlen(base) - strlen(RBP_CORPUS_EXT)] = '\0';
	rc = rbp_corpus_add(c, name, path);
	free(copy);
	return rc;
}

static void rbp_print_available(const char *dir)
{
	char **names;
	long n = rbp_list_names(dir, &names);

	if (n < 0)
		return;
	fprintf(stderr, "rbparse: messages in %s: ", dir);
	for (long i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", names[i]);
	fputs(n ? "\n" : "(none)\n", stderr);
	rbp_free_names(names, (size_t)n);
}

static int rbp_corpus_add_name(rbp_corpus *c, const char *dir_opt, const char *name)
{
	char *path;
	int rc;

	if (!c->dir) {
		c->dir = rbp_corpus_find_dir(dir_opt);
		if (!c->dir)
			return RBP_EXIT_FAIL;
	}
	path = rbp_join(c->dir, "/", name);
	char *file = path ? rbp_join(path, RBP_CORPUS_EXT, "") : NULL;
	free(path);
	if (!file) {
		fputs("rbparse: out of memory\n", stderr);
		return RBP_EXIT_FAIL;
	}
	if (access(file, F_OK) != 0) {
		fprintf(stderr, "rbparse: unknown corpus message '%s' (no %s)\n", name, file);
		rbp_print_available(c->dir);
		free(file);
		return RBP_EXIT_USAGE;
	}
	rc = rbp_corpus_add(c, name, file);
	free(file);
	return rc;
}

static int rbp_corpus_load_all(rbp_corpus *c, const char *dir_opt)
{
	char **names;
	long n;
	int rc = 0;

	c->dir = rbp_corpus_find_dir(dir_opt);
	if (!c->dir)
		return RBP_EXIT_FAIL;
	n = rbp_list_names(c->dir, &names);
	if (n < 0)
		return RBP_EXIT_FAIL;
	if (n == 0) {
		fprintf(stderr, "rbparse: no *%s files in %s\n", RBP_CORPUS_EXT, c->dir);
		rc = RBP_EXIT_FAIL;
	}
	for (long i = 0; i < n && rc == 0; i++)
		rc = rbp_corpus_add_name(c, dir_opt, names[i]);
	rbp_free_names(names, n > 0 ? (size_t)n : 0);
	return rc;
}

static int rbp_corpus_load_list(rbp_corpus *c, const char *dir_opt, const char *selection)
{
	char *list = strdup(selection), *save = NULL;
	int rc = 0, any = 0;

	if (!list) {
		fputs("rbparse: out of memory\n", stderr);
		return RBP_EXIT_FAIL;
	}
	for (char *e = strtok_r(list, ",", &save); e && rc == 0; e = strtok_r(NULL, ",", &save)) {
		any = 1;
		rc = rbp_is_path(e) ? rbp_corpus_add_path(c, e)
				    : rbp_corpus_add_name(c, dir_opt, e);
	}
	free(list);
	if (rc == 0 && !any) {
		fprintf(stderr, "rbparse: empty --corpus list '%s'\n", selection);
		rc = RBP_EXIT_USAGE;
	}
	return rc;
}

int rbp_corpus_load(rbp_corpus *c, const char *dir_opt, const char *selection)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = selection ? rbp_corpus_load_list(c, dir_opt, selection)
		       : rbp_corpus_load_all(c, dir_opt);
	if (rc != 0)
		rbp_corpus_free(c);
	return rc;
}

void rbp_corpus_free(rbp_corpus *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->files[i].name);
		free(c->files[i].path);
		free(c->files[i].data);
	}
	free(c->files);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}
