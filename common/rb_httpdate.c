#include "rb_httpdate.h"

#include <string.h>

static const char rb_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char rb_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void rb_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void rb_httpdate_format(time_t t, char *out)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	/* By hand rather than strftime: strftime follows the locale. */
	memcpy(out, rb_days[tm.tm_wday], 3);
	out[3] = ',';
	out[4] = ' ';
	rb_put2(out + 5, tm.tm_mday);
	out[7] = ' ';
	memcpy(out + 8, rb_months[tm.tm_mon], 3);
	out[11] = ' ';
	int year = tm.tm_year + 1900;
	rb_put2(out + 12, year / 100);
	rb_put2(out + 14, year % 100);
	out[16] = ' ';
	rb_put2(out + 17, tm.tm_hour);
	out[19] = ':';
	rb_put2(out + 20, tm.tm_min);
	out[22] = ':';
	rb_put2(out + 23, tm.tm_sec);
	memcpy(out + 25, " GMT", 4);
	out[RB_HTTPDATE_LEN] = '\0';
}

int rb_httpdate_refresh(rb_httpdate *d)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec == d->sec && d->str[0])
		return 0;
	d->sec = ts.tv_sec;
	rb_httpdate_format(ts.tv_sec, d->str);
	return 1;
}
