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

/* ---- parsing ------------------------------------------------------------ */

static const char *const rb_days_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					    "Thursday", "Friday", "Saturday"};

/* n decimal digits at s; -1 if any is not a digit. */
static int rb_digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int rb_month(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(s, rb_months[m], 3) == 0)
			return m + 1;
	return -1;
}

static int rb_day_short(const char *s)
{
	for (int d = 0; d < 7; d++)
		if (memcmp(s, rb_days[d], 3) == 0)
			return d;
	return -1;
}

/* "HH:MM:SS" at s into seconds of the day; second 60 (a leap second, which
 * RFC 5322 allows) counts as the next minute's first. */
static long rb_time_of_day(const char *s)
{
	int h = rb_digits(s, 2), m = rb_digits(s + 3, 2), sec = rb_digits(s + 6, 2);
	if (h < 0 || m < 0 || sec < 0 || s[2] != ':' || s[5] != ':' || h > 23 || m > 59 || sec > 60)
		return -1;
	return (long)h * 3600 + m * 60 + sec;
}

static int rb_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), for any year. */
static long long rb_days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

static int rb_make_time(long year, int mon, int day, long tod, time_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mon < 1 || day < 1 || tod < 0)
		return -1;
	int max = mdays[mon - 1] + (mon == 2 && rb_leap(year));
	if (day > max)
		return -1;
	*out = (time_t)(rb_days_from_civil(year, mon, day) * 86400 + tod);
	return 0;
}

int rb_httpdate_parse(const char *s, size_t len, time_t now, time_t *out)
{
	if (len == 29 && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (rb_day_short(s) < 0 || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		    s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
			return -1;
		int year = rb_digits(s + 12, 4);
		if (year < 0)
			return -1;
		return rb_make_time(year, rb_month(s + 8), rb_digits(s + 5, 2),
				    rb_time_of_day(s + 17), out);
	}
	if (len == 24 && s[3] == ' ') {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		if (rb_day_short(s) < 0 || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
			return -1;
		int day = s[8] == ' ' ? rb_digits(s + 9, 1) : rb_digits(s + 8, 2);
		int year = rb_digits(s + 20, 4);
		if (year < 0)
			return -1;
		return rb_make_time(year, rb_month(s + 4), day, rb_time_of_day(s + 11), out);
	}
	/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
	for (int d = 0; d < 7; d++) {
		size_t n = strlen(rb_days_long[d]);
		if (len != n + 24 || memcmp(s, rb_days_long[d], n) != 0)
			continue;
		const char *p = s + n;
		if (p[0] != ',' || p[1] != ' ' || p[4] != '-' || p[8] != '-' || p[11] != ' ' ||
		    p[20] != ' ' || memcmp(p + 20, " GMT", 4) != 0)
			return -1;
		int yy = rb_digits(p + 9, 2);
		if (yy < 0)
			return -1;
		struct tm tm;
		gmtime_r(&now, &tm);
		long cur = tm.tm_year + 1900L;
		long year = cur - cur % 100 + yy;
		if (year > cur + 50)
			year -= 100;
		return rb_make_time(year, rb_month(p + 5), rb_digits(p + 2, 2),
				    rb_time_of_day(p + 12), out);
	}
	return -1;
}
