/*
 * RB_FAULTS: forcing the fallbacks and faults the event loop claims to
 * handle, so that every one of them is run by a test.
 *
 * The environment variable is a comma list of the names below, read once per
 * process by rb_faults_init() (before any thread starts) and honoured by the
 * loop (rb_loop) in every program that runs on it: rbserver, rbload, rbfloor.
 * An unknown name is an error at start-up that names the allowed ones.
 * docs/architecture.md has the table of what each one does.
 */
#ifndef RB_FAULTS_H
#define RB_FAULTS_H

#include <stddef.h>

enum rb_fault {
	RB_FAULT_NO_MULTISHOT = 1u << 0,     /* multishot accept and recv answered -EINVAL */
	RB_FAULT_NO_DEFER_TASKRUN = 1u << 1, /* every optional ring setup flag refused */
	RB_FAULT_NO_BUFRING = 1u << 2,       /* no provided-buffer rings: legacy provided buffers */
	RB_FAULT_TINY_CQ = 1u << 3,          /* an 8-entry submission and completion queue */
	RB_FAULT_ENOBUFS = 1u << 4,          /* 2 receive buffers: receives run dry */
	RB_FAULT_SHORT_SEND = 1u << 5,       /* every send takes at most 7 bytes */
	RB_FAULT_ACCEPT_FAIL = 1u << 6,      /* every 10th accepted connection fails with EMFILE */
	RB_FAULT_SQ_FULL = 1u << 7,          /* every 5th submission entry finds the queue full */
	RB_FAULT_NO_ZEROCOPY = 1u << 8,      /* rbserver: file bodies read and sent, no sendfile */
	RB_FAULT_NO_KTLS = 1u << 9,          /* TLS records stay in user space, as without kTLS */
	RB_FAULT_KTLS_TRY = 1u << 10, /* the kTLS probe says yes: the hand-over is tried anyway */
};

/* Parse a comma list of fault names into *bits.  Returns 0, or -1 with a
 * message in err naming the bad entry and the allowed names. */
int rb_faults_parse(const char *list, unsigned *bits, char *err, size_t errlen);

/* Read RB_FAULTS (unset or empty: none).  Returns 0, or -1 after logging
 * (rb_log) what is wrong: the caller exits with status 2.  Logs one line
 * naming the faults in force, so a test log says what it ran under. */
int rb_faults_init(void);

/* The faults in force (rb_faults_init must have run; 0 before). */
unsigned rb_faults(void);

/* Space-separated names of the faults in bits, for logs and reports. */
const char *rb_faults_names(unsigned bits, char *buf, size_t len);

/* Every fault name, comma separated (for --help and messages). */
const char *rb_faults_allowed(void);

#endif
