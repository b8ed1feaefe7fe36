#include "hsum.h"

#include "rb_hist_codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lg_hsum_init(lg_hsum *s, uint64_t highest)
{
	memset(s, 0, sizeof(*s));
	int rc = rb_hist_init(&s->scratch, highest);
	s->highest = s->scratch.highest; /* rounded up to the end of its bucket */
	return rc;
}

void lg_hsum_free(lg_hsum *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->bins[i].v2);
	free(s->bins);
	rb_hist_free(&s->scratch);
	memset(s, 0, sizeof(*s));
}

/* The bin of `key`, inserted empty where it belongs if new; NULL: no memory. */
static lg_hbin *lg_hsum_bin(lg_hsum *s, int64_t key)
{
	size_t lo = 0, hi = s->n;
	if (s->n && s->bins[s->n - 1].key < key) {
		lo = s->n; /* the common case: a new last bin */
	} else {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->bins[mid].key < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->n && s->bins[lo].key == key)
			return &s->bins[lo];
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		lg_hbin *b = realloc(s->bins, cap * sizeof(*b));
		if (!b)
			return NULL;
		s->bins = b;
		s->cap = cap;
	}
	memmove(&s->bins[lo + 1], &s->bins[lo], (s->n - lo) * sizeof(*s->bins));
	s->n++;
	lg_hbin *b = &s->bins[lo];
	memset(b, 0, sizeof(*b));
	b->key = key;
	b->min = UINT64_MAX;
	return b;
}

int lg_hbin_decode(const lg_hbin *b, rb_hist *out)
{
	char err[256];
	rb_hist_reset(out);
	if (b->v2 && rb_hist_decode_v2(out, b->v2, b->len, NULL, err, sizeof(err)))
		return -EINVAL; /* cannot happen: we encoded it */
	if (b->count) {
		out->total = b->count;
		out->min = b->min;
		out->max = b->max;
		out->sum = b->sum;
		out->below = b->below;
		out->above = b->above;
	}
	return 0;
}

int lg_hsum_add(lg_hsum *s, int64_t key, double length_s, const rb_hist *h)
{
	if (h->highest != s->highest)
		return -EINVAL;
	lg_hbin *b = lg_hsum_bin(s, key);
	if (!b)
		return -ENOMEM;
	const rb_hist *src = h;
	if (b->count && h->total) {
		if (lg_hbin_decode(b, &s->scratch) || rb_hist_merge(&s->scratch, h))
			return -EINVAL;
		src = &s->scratch;
	}
	if (h->total || !b->v2) {
		uint8_t *v2 = malloc(rb_hist_v2_bound(src));
		if (!v2)
			return -ENOMEM;
		size_t len = rb_hist_encode_v2(src, v2);
		uint8_t *fit = realloc(v2, len);
		free(b->v2);
		b->v2 = fit ? fit : v2;
		b->len = len;
		b->count = src->total;
		b->min = src->min;
		b->max = src->max;
		b->sum = src->sum;
		b->below = src->below;
		b->above = src->above;
	}
	if (length_s > b->length_s)
		b->length_s = length_s;
	return 0;
}

int lg_hsum_get(lg_hsum *s, size_t i, rb_hist *out)
{
	if (i >= s->n || out->highest != s->highest)
		return -EINVAL;
	return lg_hbin_decode(&s->bins[i], out);
}
