/*
 * HTTP dates (RFC 9110 section 5.6.7).  Formatting: the Date header value
 * (IMF-fixdate), cached: formatting a date costs far more than a request,
 * so each thread keeps its own copy and reformats it only when the
 * wall-clock second changes.  Parsing: all three forms a recipient must
 * accept (If-Modified-Since and friends).
 */
#ifndef RB_HTTPDATE_H
#define RB_HTTPDATE_H

#include <stddef.h>
#include <time.h>

#define RB_HTTPDATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

typedef struct rb_httpdate {
	time_t sec;                    /* the second str was formatted for */
	char str[RB_HTTPDATE_LEN + 1]; /* NUL-terminated */
} rb_httpdate;

/* Format t as IMF-fixdate into out (RB_HTTPDATE_LEN + 1 bytes). */
void rb_httpdate_format(time_t t, char *out);

/* Bring d up to date with the wall clock; cheap when the second is unchanged.
 * Returns 1 when the string changed. */
int rb_httpdate_refresh(rb_httpdate *d);

/* Parse an HTTP-date in any of its three forms, case-sensitively as the
 * grammar says:
 *   IMF-fixdate   "Sun, 06 Nov 1994 08:49:37 GMT"
 *   rfc850-date   "Sunday, 06-Nov-94 08:49:37 GMT"  (obsolete)
 *   asctime-date  "Sun Nov  6 08:49:37 1994"        (obsolete)
 * now (seconds since the epoch) places rfc850's two-digit year: a year
 * more than 50 years after now's means the century before.  The weekday is
 * checked for form, not against the date.  Returns 0 and sets *out, or -1
 * when s[0, len) is not an HTTP-date (out of range fields included). */
int rb_httpdate_parse(const char *s, size_t len, time_t now, time_t *out);

#endif
