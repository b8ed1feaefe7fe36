/*
 * A small stderr log shared by the server and the load generator.  Not for
 * hot paths: each call formats and writes one whole line (one write(2), so
 * lines from several threads never interleave).
 */
#ifndef RB_LOG_H
#define RB_LOG_H

/* The program name printed before every line ("rbserver"). */
void rb_log_set_program(const char *name);

/* One line to stderr: "<program>: <message>\n". */
void rb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
