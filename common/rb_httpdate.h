/*
 * The HTTP Date header value (RFC 9110 section 5.6.7, IMF-fixdate), cached:
 * formatting a date costs far more than a request, so each thread keeps its
 * own copy and reformats it only when the wall-clock second changes.
 */
#ifndef RB_HTTPDATE_H
#define RB_HTTPDATE_H

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

#endif
