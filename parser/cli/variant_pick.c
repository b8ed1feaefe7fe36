/* Turn --variant values into ringparse variants: rbp_variant_lookup, rbp_variants_pick. */
#include "rbp.h"

#include <string.h>

void rbp_variants_print_supported(FILE *f)
{
	const rp_variant *const *all = rp_variants_all();
	const char *sep = "";

	for (size_t i = 0; all[i]; i++) {
		if (!all[i]->supported())
			continue;
		fprintf(f, "%s%s", sep, all[i]->name);
		sep = ", ";
	}
}

/* "; compiled in but not runnable here: a, b" if any variant is such. */
static void rbp_variants_print_unsupported(FILE *f)
{
	const rp_variant *const *all = rp_variants_all();
	const char *sep = "; compiled in but not runnable here: ";

	for (size_t i = 0; all[i]; i++) {
		if (all[i]->supported())
			continue;
		fprintf(f, "%s%s", sep, all[i]->name);
		sep = ", ";
	}
}

const rp_variant *rbp_variant_lookup(const char *name)
{
	const rp_variant *v;

	if (strcmp(name, "default") == 0)
		return rp_variant_current();
	v = rp_variant_by_name(name);
	if (v && v->supported())
		return v;
	if (v)
		fprintf(stderr, "rbparse: variant '%s' is not supported by this CPU\n", name);
	else
		fprintf(stderr, "rbparse: unknown variant '%s'\n", name);
	fputs("rbparse: this CPU runs: ", stderr);
	rbp_variants_print_supported(stderr);
	fputs(" (or 'default'", stderr);
	if (!v)
		rbp_variants_print_unsupported(stderr);
	fputs(")\n", stderr);
	return NULL;
}

static int rbp_variants_add(const rp_variant *v, const rp_variant **out, size_t *n, size_t max)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i] == v)
			return 0; /* named twice: time it once */
	if (*n == max) {
		fprintf(stderr, "rbparse: too many variants (at most %zu)\n", max);
		return -1;
	}
	out[(*n)++] = v;
	return 0;
}

int rbp_variants_pick(const char *spec, const rp_variant **out, size_t max)
{
	size_t n = 0;

	if (!spec || strcmp(spec, "all") == 0) {
		const rp_variant *const *all = rp_variants_all();
		for (size_t i = 0; all[i]; i++)
			if (all[i]->supported() && rbp_variants_add(all[i], out, &n, max) < 0)
				return -1;
		if (n == 0) {
			fputs("rbparse: no variant of ringparse runs on this CPU\n", stderr);
			return -1;
		}
		return (int)n;
	}

	const char *p = spec;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		const rp_variant *v;

		if (len == 0 || len >= sizeof(name)) {
			fprintf(stderr, "rbparse: bad --variant list '%s'\n", spec);
			fputs("rbparse: use 'all', 'default' or names from: ", stderr);
			rbp_variants_print_supported(stderr);
			fputc('\n', stderr);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		v = rbp_variant_lookup(name);
		if (!v || rbp_variants_add(v, out, &n, max) < 0)
			return -1;
		if (!comma)
			break;
		p = comma + 1;
	}
	return (int)n;
}
