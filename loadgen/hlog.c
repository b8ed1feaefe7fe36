#include "hlog.h"

#include "rb_hist_codec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LG_HLOG_VERSION "1.3"
#define LG_YEAR_S (365 * 24 * 3600.0)

int lg_hlog_write_header(FILE *f, const char *comment, double start_s)
{
	/* Java's Date.toString(): "Thu Jan 01 00:00:00 UTC 2026" (we say UTC). */
	time_t t = (time_t)floor(start_s);
	struct tm tm;
	char when[64];
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
	if (comment)
		fprintf(f, "#%s\n", comment);
	fprintf(f, "#[Histogram log format version " LG_HLOG_VERSION "]\n");
	fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_s, when);
	fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", start_s);
	fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		   "\"Interval_Compressed_Histogram\"\n");
	return ferror(f) ? -EIO : 0;
}

int lg_hlog_write_v2(FILE *f, const char *tag, double offset_s, double length_s, uint64_t max_ns,
		     const uint8_t *v2, size_t len)
{
	uint8_t *z;
	size_t zlen;
	int rc = rb_hist_compress_v2(v2, len, 9, &z, &zlen);
	if (rc)
		return rc;
	char *b64 = malloc(4 * (zlen / 3 + 1) + 1);
	if (!b64) {
		free(z);
		return -ENOMEM;
	}
	rb_base64_encode(z, zlen, b64);
	free(z);
	if (tag)
		fprintf(f, "Tag=%s,", tag);
	fprintf(f, "%.3f,%.3f,%.6f,%s\n", offset_s, length_s, (double)max_ns / 1e6, b64);
	free(b64);
	return ferror(f) ? -EIO : 0;
}

int lg_hlog_write_hist(FILE *f, const char *tag, double offset_s, double length_s, const rb_hist *h)
{
	uint8_t *v2 = malloc(rb_hist_v2_bound(h));
	if (!v2)
		return -ENOMEM;
	size_t len = rb_hist_encode_v2(h, v2);
	int rc = lg_hlog_write_v2(f, tag, offset_s, length_s, h->total ? h->max : 0, v2, len);
	free(v2);
	return rc;
}

static int lg_hlog_write_bin(FILE *f, const char *tag, int64_t key0, const lg_hbin *b)
{
	return lg_hlog_write_v2(f, tag, (double)(b->key - key0), b->length_s, b->count ? b->max : 0,
				b->v2, b->len);
}

int lg_hlog_write_file(const char *path, const char *flag, const char *comment, double start_s,
		       int64_t key0, const lg_hsum *corr, const lg_hsum *unc)
{
	int to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "rbload: %s %s: %s\n", flag, path, strerror(errno));
		return -1;
	}
	int rc = lg_hlog_write_header(f, comment, start_s);
	/* Both sums' bins in key order, the untagged line of a key first. */
	size_t i = 0, j = 0;
	while (!rc && (i < corr->n || (unc && j < unc->n))) {
		int64_t ki = i < corr->n ? corr->bins[i].key : INT64_MAX;
		int64_t kj = unc && j < unc->n ? unc->bins[j].key : INT64_MAX;
		if (ki <= kj)
			rc = lg_hlog_write_bin(f, NULL, key0, &corr->bins[i++]);
		else
			rc = lg_hlog_write_bin(f, LG_HLOG_TAG_UNCORRECTED, key0, &unc->bins[j++]);
	}
	if (ferror(f))
		rc = -EIO;
	if (to_stdout ? fflush(f) : fclose(f))
		rc = rc ? rc : -EIO;
	if (rc) {
		fprintf(stderr, "rbload: %s %s: %s\n", flag, path,
			rc == -ENOMEM ? "no memory" : "write failed");
		return -1;
	}
	return 0;
}

/* ---- reading ------------------------------------------------------------------------------- */

static int lg_hlog_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lg_hlog_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A whole number or decimal (strtod, finite); 0 or -1. */
static int lg_hlog_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* "#[StartTime: 1767225600.000 ..." and "#[BaseTime: ...": the number after
 * the prefix, if it parses. */
static int lg_hlog_time_comment(const char *line, const char *prefix, double *out)
{
	size_t n = strlen(prefix);
	if (strncmp(line, prefix, n))
		return 0;
	char *end;
	errno = 0;
	double v = strtod(line + n, &end);
	if (end == line + n || errno || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

int lg_hlog_read(const char *path, int (*fn)(void *arg, const lg_hlog_line *l), void *arg,
		 lg_hlog_info *info, char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	FILE *f = fopen(path, "r");
	if (!f)
		return lg_hlog_err(err, errlen, "%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long lineno = 0;
	int rc = 0, base_fixed = 0;
	double base = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (got == 0)
			continue;
		if (line[0] == '#') {
			double v;
			if (lg_hlog_time_comment(line, "#[StartTime: ", &v)) {
				info->start_time = v;
				info->has_start = 1;
			} else if (lg_hlog_time_comment(line, "#[BaseTime: ", &v)) {
				info->base_time = v;
				info->has_base = 1;
			}
			continue;
		}
		if (!strncmp(line, "\"StartTimestamp\"", 16))
			continue;
		/* [Tag=NAME,]start,length,max,histogram: fields split at commas
		 * and spaces, as HdrHistogram's scanner does. */
		char *fields[6];
		int nf = 0;
		for (char *p = line; *p && nf < 6;) {
			while (*p == ',' || *p == ' ')
				p++;
			if (!*p)
				break;
			fields[nf++] = p;
			p += strcspn(p, ", ");
			if (*p)
				*p++ = '\0';
		}
		lg_hlog_line l = {.path = path, .lineno = lineno};
		int k = 0;
		if (nf && !strncmp(fields[0], "Tag=", 4)) {
			l.tag = fields[0] + 4;
			k = 1;
		}
		if (nf - k != 4) {
			rc = lg_hlog_err(err, errlen,
					 "%s:%lu: an interval line needs 4 fields (StartTimestamp, "
					 "Interval_Length, Interval_Max, "
					 "Interval_Compressed_Histogram); this one has %d",
					 path, lineno, nf - k);
			break;
		}
		static const char *const names[] = {"StartTimestamp", "Interval_Length",
						    "Interval_Max"};
		double *vals[] = {&l.offset_s, &l.length_s, &l.max_field};
		for (int i = 0; i < 3 && !rc; i++)
			if (lg_hlog_num(fields[k + i], vals[i]))
				rc = lg_hlog_err(err, errlen, "%s:%lu: %s '%.40s' is not a number",
						 path, lineno, names[i], fields[k + i]);
		if (rc)
			break;
		if (l.length_s < 0) {
			rc = lg_hlog_err(err, errlen, "%s:%lu: Interval_Length %s is negative",
					 path, lineno, fields[k + 1]);
			break;
		}
		l.b64 = fields[k + 3];
		l.b64_len = strlen(l.b64);
		/* The spec's (HistogramLogReader's) rule, fixed at the first line. */
		if (!base_fixed) {
			if (!info->has_start) {
				info->start_time = l.offset_s;
				info->has_start = 1;
			}
			if (info->has_base)
				base = info->base_time;
			else
				base = l.offset_s < info->start_time - LG_YEAR_S ? info->start_time
										 : 0.0;
			base_fixed = 1;
		}
		l.start_abs = l.offset_s + base;
		info->intervals++;
		if ((rc = fn(arg, &l)))
			break;
	}
	if (!rc && ferror(f))
		rc = lg_hlog_err(err, errlen, "%s: read error", path);
	free(line);
	fclose(f);
	return rc;
}

int lg_hlog_decode(const lg_hlog_line *l, rb_hist *h, char *err, size_t errlen)
{
	char why[384];
	uint8_t *bytes = malloc(l->b64_len / 4 * 3 + 3);
	if (!bytes)
		return lg_hlog_err(err, errlen, "%s:%lu: no memory", l->path, l->lineno);
	size_t n;
	int rc = 0;
	if (rb_base64_decode(l->b64, l->b64_len, bytes, &n))
		rc = lg_hlog_err(err, errlen, "%s:%lu: Interval_Compressed_Histogram is not base64",
				 l->path, l->lineno);
	else if (rb_hist_decode_compressed(h, bytes, n, NULL, why, sizeof(why)))
		rc = lg_hlog_err(err, errlen, "%s:%lu: %s", l->path, l->lineno, why);
	free(bytes);
	if (rc || !h->total)
		return rc;
	/* Interval_Max in ms: with 6 decimals it is the exact maximum. */
	double m = l->max_field * 1e6;
	if (m >= 1 && m < 9.2e18) {
		uint64_t v = (uint64_t)llround(m);
		if (v <= h->max && v >= rb_hist_lowest_equivalent(h->max) && v >= h->min)
			h->max = v;
	}
	return 0;
}
