/* The Criterion side of rt_report_fn: one non-fatal failure per line. */
#ifndef RB_TEST_REPORT_H
#define RB_TEST_REPORT_H

#include <criterion/criterion.h>

static inline void rt_cr_report(const char *line)
{
	cr_expect_fail("%s", line);
}

#endif
