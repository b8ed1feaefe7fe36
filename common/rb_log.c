#include "rb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static const char *rb_log_program = "ringbench";

void rb_log_set_program(const char *name)
{
	rb_log_program = name;
}

void rb_log(const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: ", rb_log_program);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	/* A truncated line still ends in a newline. */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write so concurrent threads never interleave within a line. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
