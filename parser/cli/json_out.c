/* The streaming JSON writer (rbp_json); its contract is with the declarations. */
#include "json_out.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

void rbp_json_init(rbp_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->after_key = 0;
	j->has_items[0] = 0;
}

/* Before any key or value: a comma if the current level already holds one
 * (a value right after its key needs none). */
static void rbp_json_sep(rbp_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->has_items[j->depth])
		fputc(',', j->f);
	j->has_items[j->depth] = 1;
}

static void rbp_json_open(rbp_json *j, int c)
{
	rbp_json_sep(j);
	fputc(c, j->f);
	assert(j->depth + 1 < RBP_JSON_MAX_DEPTH);
	j->depth++;
	j->has_items[j->depth] = 0;
}

static void rbp_json_close(rbp_json *j, int c)
{
	assert(j->depth > 0 && !j->after_key);
	j->depth--;
	fputc(c, j->f);
}

void rbp_json_object_begin(rbp_json *j)
{
	rbp_json_open(j, '{');
}

void rbp_json_object_end(rbp_json *j)
{
	rbp_json_close(j, '}');
}

void rbp_json_array_begin(rbp_json *j)
{
	rbp_json_open(j, '[');
}

void rbp_json_array_end(rbp_json *j)
{
	rbp_json_close(j, ']');
}

/* Printable ASCII goes out in runs; '"' and '\' get a backslash; every other
 * byte (controls, DEL, >= 0x80) becomes \u00XX, one escape per byte. */
static void rbp_json_quoted(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0; /* start of the pending run that needs no escape */

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		fwrite(p + run, 1, i - run, f);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			fwrite(esc, 1, sizeof(esc), f);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			fwrite(esc, 1, sizeof(esc), f);
		}
	}
	fwrite(p + run, 1, n - run, f);
	fputc('"', f);
}

void rbp_json_key(rbp_json *j, const char *key)
{
	assert(!j->after_key);
	rbp_json_sep(j);
	rbp_json_quoted(j->f, key, strlen(key));
	fputc(':', j->f);
	j->after_key = 1;
}

void rbp_json_strn(rbp_json *j, const char *s, size_t n)
{
	rbp_json_sep(j);
	rbp_json_quoted(j->f, s, n);
}

void rbp_json_str(rbp_json *j, const char *s)
{
	if (!s) {
		rbp_json_null(j);
		return;
	}
	rbp_json_strn(j, s, strlen(s));
}

void rbp_json_int(rbp_json *j, int64_t v)
{
	rbp_json_sep(j);
	fprintf(j->f, "%" PRId64, v);
}

void rbp_json_uint(rbp_json *j, uint64_t v)
{
	rbp_json_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void rbp_json_double(rbp_json *j, double v, int decimals)
{
	if (!isfinite(v)) {
		rbp_json_null(j);
		return;
	}
	rbp_json_sep(j);
	fprintf(j->f, "%.*f", decimals, v);
}

void rbp_json_bool(rbp_json *j, int v)
{
	rbp_json_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void rbp_json_null(rbp_json *j)
{
	rbp_json_sep(j);
	fputs("null", j->f);
}

void rbp_json_kv_str(rbp_json *j, const char *key, const char *s)
{
	rbp_json_key(j, key);
	rbp_json_str(j, s);
}

void rbp_json_kv_strn(rbp_json *j, const char *key, const char *s, size_t n)
{
	rbp_json_key(j, key);
	rbp_json_strn(j, s, n);
}

void rbp_json_kv_int(rbp_json *j, const char *key, int64_t v)
{
	rbp_json_key(j, key);
	rbp_json_int(j, v);
}

void rbp_json_kv_uint(rbp_json *j, const char *key, uint64_t v)
{
	rbp_json_key(j, key);
	rbp_json_uint(j, v);
}

void rbp_json_kv_double(rbp_json *j, const char *key, double v, int decimals)
{
	rbp_json_key(j, key);
	rbp_json_double(j, v, decimals);
}

void rbp_json_kv_bool(rbp_json *j, const char *key, int v)
{
	rbp_json_key(j, key);
	rbp_json_bool(j, v);
}

void rbp_json_finish(rbp_json *j)
{
	assert(j->depth == 0);
	fputc('\n', j->f);
}
