/*
 * HdrHistogram interval logs (the "Histogram log format version 1.3" that
 * HdrHistogram's HistogramLogWriter writes and HistogramLogReader reads):
 *
 *	#[Histogram log format version 1.3]
 *	#[StartTime: 1767225600.000 (seconds since epoch), Thu Jan 01 00:00:00 UTC 2026]
 *	#[BaseTime: 1767225600.000 (seconds since epoch)]
 *	"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *	0.000,1.000,0.084215,HISTFAAAA...
 *	Tag=uncorrected,0.000,1.000,0.061020,HISTFAAAA...
 *
 * Each interval line: an optional Tag=NAME, the interval's start in seconds
 * (after BaseTime), its length, its maximum in ms (HdrHistogram writes 3
 * decimals; we write 6, the exact ns, which its reader skips as it does any
 * number), and the histogram, V2-encoded, compressed, base64 (rb_hist_codec.h).
 * Values are ns, so the tools' default unit ratio (1e6) prints ms.
 *
 * The writer takes rb_hist objects or lg_hsum bins; the reader gives each
 * interval line with its absolute start time (the spec's rule: StartTimestamp
 * plus BaseTime when given; else relative to StartTime if the first stamp is
 * over a year before it, absolute otherwise) for the caller to decode.
 */
#ifndef LG_HLOG_H
#define LG_HLOG_H

#include "hsum.h"

#include "rb_hist.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LG_HLOG_TAG_UNCORRECTED "uncorrected"

/* The header: "#COMMENT" (if any), the format version, StartTime and BaseTime
 * (start_s: seconds since the epoch), the legend.  0 or -EIO. */
int lg_hlog_write_header(FILE *f, const char *comment, double start_s);

/* One interval line: tag (NULL: none), start offset_s after BaseTime,
 * length_s, h.  0, -ENOMEM or -EIO. */
int lg_hlog_write_hist(FILE *f, const char *tag, double offset_s, double length_s,
		       const rb_hist *h);

/* The same from a V2 encoding and its exact max (an lg_hsum bin's). */
int lg_hlog_write_v2(FILE *f, const char *tag, double offset_s, double length_s, uint64_t max_ns,
		     const uint8_t *v2, size_t len);

/* A whole log: the header, then for each bin of corr (and unc, when not NULL:
 * its bins by the same keys, tagged uncorrected) one line; bin `key` starts
 * at offset key - key0 seconds.  Writes path ("-": standard output).  0, or -1
 * after printing why ("rbload: --hlog PATH: ..."). */
int lg_hlog_write_file(const char *path, const char *flag, const char *comment, double start_s,
		       int64_t key0, const lg_hsum *corr, const lg_hsum *unc);

/* One interval line as read. */
typedef struct lg_hlog_line {
	const char *path;
	unsigned long lineno;
	const char *tag;  /* NULL: untagged */
	double start_abs; /* absolute start, seconds since the epoch (see above) */
	double offset_s;  /* StartTimestamp as written */
	double length_s;
	double max_field; /* Interval_Max as written (ms) */
	const char *b64;  /* the histogram, base64 (not NUL-terminated) */
	size_t b64_len;
} lg_hlog_line;

/* What the header lines said (0: absent). */
typedef struct lg_hlog_info {
	double start_time, base_time;
	int has_start, has_base;
	unsigned long intervals; /* interval lines read */
} lg_hlog_info;

/* Read path, calling fn for each interval line in order; fn returns 0 to go
 * on, or non-zero to stop (lg_hlog_read then returns it).  A file that cannot
 * be read or a line that is not a comment, the legend or an interval line:
 * -1 with "PATH:LINE: why" (or "PATH: why") in err.  fn's own errors are its
 * to report (it has the path and line). */
int lg_hlog_read(const char *path, int (*fn)(void *arg, const lg_hlog_line *l), void *arg,
		 lg_hlog_info *info, char *err, size_t errlen);

/* Decode a line's histogram into h (rb_hist_decode_compressed): h's max is the
 * exact one from Interval_Max when that lies in the last slot.  0, or -1 with
 * "PATH:LINE: why" in err. */
int lg_hlog_decode(const lg_hlog_line *l, rb_hist *h, char *err, size_t errlen);

#endif
