#include "http_range.h"

#include <strings.h>

static int srv_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Decimal digits at v[*i]: their value, saturated at UINT64_MAX (a position
 * that large is past any file, which is what it means).  -1: no digit. */
static int srv_range_num(const char *v, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t x = 0;
	while (*i < len && v[*i] >= '0' && v[*i] <= '9') {
		uint64_t d = (uint64_t)(v[*i] - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
		(*i)++;
	}
	*out = x;
	return *i > start ? 0 : -1;
}

/* Sort by first byte (n is small: insertion sort) and merge ranges that
 * overlap or lie within SRV_RANGE_GAP of each other. */
static unsigned srv_range_coalesce(srv_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		srv_range x = r[i];
		unsigned j = i;
		while (j > 0 && r[j - 1].first > x.first) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
	unsigned k = 0;
	for (unsigned i = 1; i < n; i++) {
		/* last < size <= UINT64_MAX - 1, so last + 1 + gap cannot wrap
		 * for any file a server holds; saturate anyway. */
		uint64_t reach = r[k].last + 1 + SRV_RANGE_GAP;
		if (reach < r[k].last)
			reach = UINT64_MAX;
		if (r[i].first <= reach) {
			if (r[i].last > r[k].last)
				r[k].last = r[i].last;
		} else {
			r[++k] = r[i];
		}
	}
	return n ? k + 1 : 0;
}

srv_range_result srv_range_parse(const char *v, size_t len, uint64_t size, srv_range *out,
				 unsigned *n)
{
	*n = 0;
	size_t i = 0;
	while (i < len && v[i] != '=')
		i++;
	if (i == len || i != 5 || strncasecmp(v, "bytes", 5) != 0)
		return SRV_RANGE_IGNORE; /* another unit, or not a ranges-specifier */
	i++;
	unsigned specs = 0, kept = 0;
	int empty_sat = 0; /* a satisfiable suffix-range of an empty representation */
	for (;;) {
		/* 1#range-spec: empty elements and OWS around commas are allowed */
		while (i < len && (srv_ows(v[i]) || v[i] == ','))
			i++;
		if (i == len)
			break;
		if (++specs > SRV_RANGE_SPECS_MAX)
			return SRV_RANGE_IGNORE;
		uint64_t first, last;
		int sat;
		if (v[i] == '-') { /* suffix-range: the last N bytes */
			i++;
			uint64_t suffix;
			if (srv_range_num(v, len, &i, &suffix))
				return SRV_RANGE_UNSATISFIABLE;
			sat = suffix > 0 && size > 0;
			/* RFC 9110 14.1.1: of a zero-length representation, a
			 * suffix-range with a non-zero length is satisfiable (and
			 * the only form that is), so no 416 (15.5.17); but no 206
			 * can carry it (no first-last pair selects zero bytes). */
			if (suffix > 0 && size == 0)
				empty_sat = 1;
			first = suffix < size ? size - suffix : 0;
			last = size ? size - 1 : 0;
		} else { /* int-range: first-pos "-" [ last-pos ] */
			if (srv_range_num(v, len, &i, &first) || i == len || v[i] != '-')
				return SRV_RANGE_UNSATISFIABLE;
			i++;
			last = UINT64_MAX;
			if (i < len && v[i] >= '0' && v[i] <= '9') {
				srv_range_num(v, len, &i, &last);
				if (last < first)
					return SRV_RANGE_UNSATISFIABLE; /* invalid, not empty */
			}
			sat = first < size;
			if (sat && last >= size)
				last = size - 1;
		}
		while (i < len && srv_ows(v[i]))
			i++;
		if (i < len && v[i] != ',')
			return SRV_RANGE_UNSATISFIABLE;
		if (sat) {
			out[kept].first = first;
			out[kept].last = last;
			kept++;
		}
	}
	if (kept == 0 && empty_sat)
		return SRV_RANGE_IGNORE; /* the whole (empty) representation: 200 */
	if (specs == 0 || kept == 0)
		return SRV_RANGE_UNSATISFIABLE;
	*n = srv_range_coalesce(out, kept);
	return SRV_RANGE_OK;
}
