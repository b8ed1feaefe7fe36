/* rb_num: rb_parse_u64 on a table of inputs (bounds, overflow at 2^64, signs, spaces, the
 * empty string, other bases, junk), and rb_num_range_msg's wording and cutting. */
#include "rb_num.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct num_case {
	const char *in;
	uint64_t lo, hi;
	int rc;       /* 0, -EINVAL or -ERANGE */
	uint64_t out; /* when rc is 0 */
	const char *why;
} num_case;

#define MAX UINT64_MAX

static const num_case num_cases[] = {
	/* numbers in range */
	{"0", 0, MAX, 0, 0, "zero"},
	{"7", 0, 10, 0, 7, "one digit"},
	{"65535", 0, 65535, 0, 65535, "the upper bound itself"},
	{"1", 1, 1024, 0, 1, "the lower bound itself"},
	{"007", 0, 10, 0, 7, "leading zeros are decimal, not octal"},
	{"010", 0, 100, 0, 10, "010 is ten"},
	{"00000000000000000000000000000001", 0, 1, 0, 1, "many leading zeros do not overflow"},
	{"4294967296", 0, MAX, 0, 4294967296u, "past 32 bits"},
	{"18446744073709551615", 0, MAX, 0, MAX, "2^64 - 1, the largest"},
	{"18446744073709551615", MAX, MAX, 0, MAX, "a range of one value at the top"},
	/* numbers out of range: -ERANGE */
	{"0", 1, 1024, -ERANGE, 0, "below the lower bound"},
	{"65536", 0, 65535, -ERANGE, 0, "one past the upper bound"},
	{"1025", 1, 1024, -ERANGE, 0, "past the upper bound"},
	{"18446744073709551616", 0, MAX, -ERANGE, 0, "2^64 overflows"},
	{"18446744073709551620", 0, MAX, -ERANGE, 0, "2^64 + 4: the last digit overflows"},
	{"18446744073709551625", 0, MAX, -ERANGE, 0, "2^64 + 9"},
	{"36893488147419103232", 0, MAX, -ERANGE, 0, "2^65"},
	{"184467440737095516150", 0, MAX, -ERANGE, 0, "(2^64 - 1) * 10: a digit too many"},
	{"99999999999999999999999999999999", 0, MAX, -ERANGE, 0, "far past 2^64"},
	{"18446744073709551615", 0, MAX - 1, -ERANGE, 0, "2^64 - 1 above hi"},
	/* not numbers: -EINVAL */
	{"", 0, MAX, -EINVAL, 0, "empty"},
	{"+5", 0, 10, -EINVAL, 0, "a plus sign"},
	{"-5", 0, 10, -EINVAL, 0, "a minus sign"},
	{"-0", 0, 10, -EINVAL, 0, "minus zero"},
	{"-1", 0, MAX, -EINVAL, 0, "minus one is not 2^64 - 1 (strtoull would say it is)"},
	{" 5", 0, 10, -EINVAL, 0, "a space before"},
	{"5 ", 0, 10, -EINVAL, 0, "a space after"},
	{"\t5", 0, 10, -EINVAL, 0, "a tab before"},
	{"5\n", 0, 10, -EINVAL, 0, "a newline after"},
	{"1 0", 0, 100, -EINVAL, 0, "a space inside"},
	{"0x10", 0, 100, -EINVAL, 0, "hexadecimal is not accepted"},
	{"0X1f", 0, 100, -EINVAL, 0, "nor with a capital X"},
	{"ff", 0, 1000, -EINVAL, 0, "hex digits alone"},
	{"1e3", 0, 10000, -EINVAL, 0, "no exponent"},
	{"1.0", 0, 10, -EINVAL, 0, "no fraction"},
	{"1.", 0, 10, -EINVAL, 0, "no point"},
	{"10k", 0, 100000, -EINVAL, 0, "no suffix"},
	{"1_000", 0, 10000, -EINVAL, 0, "no digit separator"},
	{"two", 0, 10, -EINVAL, 0, "a word"},
	{"x", 0, 65535, -EINVAL, 0, "one letter"},
	{"99999999999999999999x", 0, MAX, -EINVAL, 0, "junk after an overflow: not a number"},
	{"\xd9\xa3", 0, 10, -EINVAL, 0, "a non-ASCII digit (Arabic-Indic three)"},
	{"\xff", 0, 10, -EINVAL, 0, "a byte >= 0x80"},
};

Test(num, table)
{
	for (size_t i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const num_case *c = &num_cases[i];
		uint64_t out = 12345;
		int rc = rb_parse_u64(c->in, c->lo, c->hi, &out);
		cr_expect_eq(rc, c->rc, "'%s' (%s): rc %d, want %d", c->in, c->why, rc, c->rc);
		if (c->rc == 0)
			cr_expect_eq(out, c->out, "'%s' (%s): %lu, want %lu", c->in, c->why,
				     (unsigned long)out, (unsigned long)c->out);
		else
			cr_expect_eq(out, 12345u, "'%s' (%s): out changed on error", c->in, c->why);
	}
}

Test(num, null_is_not_a_number)
{
	uint64_t out = 3;
	cr_assert_eq(rb_parse_u64(NULL, 0, 10, &out), -EINVAL);
	cr_assert_eq(out, 3u);
}

/* Every value around each bound of a narrow range. */
Test(num, bounds_walk)
{
	char s[32];
	for (uint64_t v = 0; v <= 20; v++) {
		uint64_t out = 0;
		snprintf(s, sizeof(s), "%lu", (unsigned long)v);
		int want = v >= 5 && v <= 15 ? 0 : -ERANGE;
		cr_assert_eq(rb_parse_u64(s, 5, 15, &out), want, "%s in [5, 15]", s);
		if (want == 0)
			cr_assert_eq(out, v);
	}
}

Test(num, message)
{
	char m[RB_NUM_MSG_SIZE];
	int n = rb_num_range_msg(m, sizeof(m), "--port", "x", 0, 65535);
	cr_assert_str_eq(m, "--port 'x': expected an integer from 0 to 65535");
	cr_assert_eq(n, (int)strlen(m));
	rb_num_range_msg(m, sizeof(m), "-c", "0", 1, 1000000);
	cr_assert_str_eq(m, "-c '0': expected an integer from 1 to 1000000");
	rb_num_range_msg(m, sizeof(m), "--n", "", 0, UINT64_MAX);
	cr_assert_str_eq(m, "--n '': expected an integer from 0 to 18446744073709551615");
	rb_num_range_msg(m, sizeof(m), "--n", NULL, 0, 1);
	cr_assert_str_eq(m, "--n '': expected an integer from 0 to 1");
}

/* A long value is cut, so the range shows even in RB_NUM_MSG_SIZE bytes. */
Test(num, message_cuts_a_long_value)
{
	char val[300], m[RB_NUM_MSG_SIZE], want[RB_NUM_MSG_SIZE];
	memset(val, '9', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	const char *flag = "--a-flag-name-of-32-bytes-------";
	cr_assert_eq(strlen(flag), 32u);
	int n = rb_num_range_msg(m, sizeof(m), flag, val, UINT64_MAX, UINT64_MAX);
	cr_assert_lt(n, (int)sizeof(m), "the longest message fits");
	snprintf(want, sizeof(want), "%s '%.*s...': expected an integer from %s to %s", flag,
		 RB_NUM_VALUE_SHOWN, val, "18446744073709551615", "18446744073709551615");
	cr_assert_str_eq(m, want);

	val[RB_NUM_VALUE_SHOWN] = '\0'; /* exactly as many bytes as are shown: not cut */
	rb_num_range_msg(m, sizeof(m), "-n", val, 1, 2);
	cr_assert_null(strstr(m, "..."));
	cr_assert_not_null(strstr(m, val));

	n = rb_num_range_msg(m, 8, "-n", "5", 1, 2); /* a short buffer: cut, terminated */
	cr_assert_eq(strlen(m), 7u);
	cr_assert_gt(n, 7);
}
