/*
 * A tiny streaming JSON writer: values go straight to a FILE, commas are
 * placed by the writer, nothing is allocated.
 *
 * Strings are byte strings (HTTP fields may hold obs-text, which is not
 * UTF-8), so every byte outside printable ASCII is written as \u00XX: a
 * control character, DEL, and each byte >= 0x80 on its own.  The output is
 * always valid (ASCII) JSON, and a reader gets the original bytes back by
 * taking each code point U+0000..U+00FF as one byte (Latin-1).
 */
#ifndef RBP_JSON_OUT_H
#define RBP_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RBP_JSON_MAX_DEPTH 32

typedef struct rbp_json {
	FILE *f;
	unsigned depth;
	int after_key;                         /* a key was written, its value is next */
	uint8_t has_items[RBP_JSON_MAX_DEPTH]; /* per level: something was written */
} rbp_json;

void rbp_json_init(rbp_json *j, FILE *f);

void rbp_json_object_begin(rbp_json *j);
void rbp_json_object_end(rbp_json *j);
void rbp_json_array_begin(rbp_json *j);
void rbp_json_array_end(rbp_json *j);

/* Inside an object: the key of the next value. */
void rbp_json_key(rbp_json *j, const char *key);

void rbp_json_str(rbp_json *j, const char *s);
void rbp_json_strn(rbp_json *j, const char *s, size_t n);
void rbp_json_int(rbp_json *j, int64_t v);
void rbp_json_uint(rbp_json *j, uint64_t v);
void rbp_json_double(rbp_json *j, double v, int decimals); /* non-finite: null */
void rbp_json_bool(rbp_json *j, int v);
void rbp_json_null(rbp_json *j);

/* Key and value in one call. */
void rbp_json_kv_str(rbp_json *j, const char *key, const char *s);
void rbp_json_kv_strn(rbp_json *j, const char *key, const char *s, size_t n);
void rbp_json_kv_int(rbp_json *j, const char *key, int64_t v);
void rbp_json_kv_uint(rbp_json *j, const char *key, uint64_t v);
void rbp_json_kv_double(rbp_json *j, const char *key, double v, int decimals);
void rbp_json_kv_bool(rbp_json *j, const char *key, int v);

/* End the document with a newline. */
void rbp_json_finish(rbp_json *j);

#endif
