/*
 * rb_num: whole numbers from the command line, parsed and refused alike by every program.
 *
 * rb_parse_u64 is strict: decimal digits only.  No sign, no space before or after, no base
 * prefix, no suffix, so "", "+5", "-0", " 5", "5 ", "0x10" and "1e3" are all refused; leading
 * zeros are allowed ("007" is 7).  Errors are negative errno values, as liburing's are:
 * -EINVAL when the text is not a number at all, -ERANGE when it is one outside [lo, hi]
 * (2^64 and above included).  One message serves both, rb_num_range_msg, so every program
 * words a bad number the same way: "FLAG 'VALUE': expected an integer from LO to HI".
 *
 * Durations, rates and CPU lists are not here: one program each parses them.
 */
#ifndef RB_NUM_H
#define RB_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Of a refused value, rb_num_range_msg shows at most this many bytes, then "...". */
#define RB_NUM_VALUE_SHOWN 64
/* A buffer of this size holds rb_num_range_msg's message whole for a flag of up to 32 bytes. */
#define RB_NUM_MSG_SIZE 192

/* Parse s as a whole decimal number in [lo, hi] (lo <= hi).  Returns 0 with *out set, or
 * -EINVAL (s is NULL, empty, or holds a byte that is not a digit) or -ERANGE (a number
 * outside [lo, hi]); *out is left alone on error. */
int rb_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* The message for a value rb_parse_u64 refused, whichever the error:
 * "FLAG 'VALUE': expected an integer from LO to HI", NUL-terminated in buf, cut to size.
 * A VALUE longer than RB_NUM_VALUE_SHOWN bytes is cut and marked "...", so the range always
 * shows.  Returns what snprintf returns.  The caller adds its program's name and any hint. */
int rb_num_range_msg(char *buf, size_t size, const char *flag, const char *val, uint64_t lo,
		     uint64_t hi);

#endif
