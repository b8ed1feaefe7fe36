/* CPU topology and pinning: one worker thread per core, each pinned. */
#ifndef RB_CPU_H
#define RB_CPU_H

/* Number of CPUs this process may run on (its affinity mask), at least 1. */
int rb_cpu_count(void);

/* The n-th CPU (0-based) of this process's affinity mask, wrapping around;
 * so n workers on a taskset'd process land on the CPUs it was given. */
int rb_cpu_nth(int n);

/* Pin the calling thread to one CPU.  Returns 0 or -errno. */
int rb_cpu_pin(int cpu);

#endif
