/* What a benchmark report says about the machine it ran on, and pinning. */
#ifndef RBP_SYSINFO_H
#define RBP_SYSINFO_H

#include <stddef.h>

#define RBP_MAX_FLAGS 8
#define RBP_MAX_CPU 1023 /* the highest CPU number a cpu_set_t holds */

typedef struct rbp_sysinfo {
	char cpu_model[128];              /* "model name" from /proc/cpuinfo */
	char kernel[200];                 /* "Linux 6.1.0-18-amd64 x86_64" */
	long cores;                       /* online CPUs */
	const char *flags[RBP_MAX_FLAGS]; /* the SIMD-relevant flags this CPU has */
	size_t nflags;
	char affinity[128]; /* CPUs this process may run on: "0-1", "1" */
	int allowed_cpus;   /* how many */
	int cpu_now;        /* the CPU it was running on when read, or -1 */
} rbp_sysinfo;

void rbp_sysinfo_read(rbp_sysinfo *si);

/* Restrict the process to one CPU.  Returns 0, or -1 with errno set. */
int rbp_pin_cpu(int cpu);

#endif
