/*
 * Monotonic clocks.  The coarse variants read the kernel's tick-resolution
 * clock through the vDSO (a few ns): good enough for timeouts measured in
 * seconds, cheap enough to call once per event-loop iteration.
 */
#ifndef RB_CLOCK_H
#define RB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rb_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

/* Nanoseconds on CLOCK_MONOTONIC (precise: latency measurements). */
static inline uint64_t rb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return rb_ts_ns(&ts);
}

/* Milliseconds on CLOCK_MONOTONIC_COARSE (timeouts). */
static inline uint64_t rb_now_ms_coarse(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return rb_ts_ns(&ts) / 1000000ull;
}

#endif
