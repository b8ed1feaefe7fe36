/*
 * Stop signals, one design for every program: SIGINT and SIGTERM are
 * blocked in every thread, so no handler ever runs inside an event loop, and
 * one place takes them synchronously: rbserver's and rbload's main threads
 * with sigwaitinfo/sigtimedwait, rbfloor's loop through a signalfd read.
 * SIGPIPE is ignored (sends also say MSG_NOSIGNAL).
 */
#ifndef RB_SIGNALS_H
#define RB_SIGNALS_H

#include <signal.h>

/* Block SIGINT and SIGTERM in the calling thread and the threads it starts
 * afterwards; ignore SIGPIPE.  *set receives the two stop signals. */
void rb_signals_block(sigset_t *set);

#endif
