/* rb_num: whole numbers from the command line, the parse and the message. */
#include "rb_num.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int rb_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	uint64_t v = 0;
	int over = 0;
	/* Every byte is looked at, so "99999999999999999999x" is not a number (-EINVAL)
	 * rather than too large (-ERANGE). */
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = 1; /* v * 10 + d would pass 2^64 - 1 */
		else if (!over)
			v = v * 10 + d;
	}
	if (over || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int rb_num_range_msg(char *buf, size_t size, const char *flag, const char *val, uint64_t lo,
		     uint64_t hi)
{
	if (!val)
		val = "";
	size_t n = strnlen(val, RB_NUM_VALUE_SHOWN + 1);
	const char *cut = "";
	if (n > RB_NUM_VALUE_SHOWN) {
		n = RB_NUM_VALUE_SHOWN;
		cut = "...";
	}
	return snprintf(buf, size, "%s '%.*s%s': expected an integer from %" PRIu64 " to %" PRIu64,
			flag, (int)n, val, cut, lo, hi);
}
