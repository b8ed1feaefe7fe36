/*
 * Running a table: every row, every supported variant, the input against the
 * trailing guard page and again against the leading one.  Each failure is
 * passed to report() as one line naming the variant, the row and the input;
 * the return value is the number of failures.
 */
#ifndef RB_TEST_TABLE_H
#define RB_TEST_TABLE_H

#include "cases.h"

typedef void (*rt_report_fn)(const char *line);

size_t rt_run_table(const struct rt_case *cases, size_t n, rt_report_fn report);

/* The chunked rows, each fed one-shot, one byte at a time and split at
 * every byte boundary. */
size_t rt_run_chunk_table(const struct rt_chunk_case *cases, size_t n, rt_report_fn report);

#endif
