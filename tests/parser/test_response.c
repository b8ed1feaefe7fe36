/* The response table (cases_response.c) against every variant. */
#include <criterion/criterion.h>

#include "report.h"
#include "table.h"

Test(response, table)
{
	size_t failures = rt_run_table(rt_response_cases, rt_response_ncases, rt_cr_report);

	cr_log_info("%zu response rows", rt_response_ncases);
	cr_expect_eq(failures, 0, "%zu response rows failed", failures);
}
