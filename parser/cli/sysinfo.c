/* CPU model and flags, kernel, affinity: rbp_sysinfo_read, rbp_pin_cpu. */
#define _GNU_SOURCE /* sched_getaffinity, sched_getcpu, CPU_* */
#include "sysinfo.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The flags that decide which ringparse variants can run. */
static const char *const rbp_relevant_flags[RBP_MAX_FLAGS] = {
	"sse4_2", "popcnt", "avx2", "bmi1", "bmi2", "avx512f", "avx512bw", "avx512vl",
};

static int rbp_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		int starts = p == list || p[-1] == ' ' || p[-1] == '\t';
		int ends = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
		if (starts && ends)
			return 1;
	}
	return 0;
}

/* Without /proc/cpuinfo (a container may hide it) ask the compiler runtime. */
static int rbp_flag_fallback(const char *flag)
{
	__builtin_cpu_init();
	if (strcmp(flag, "sse4_2") == 0)
		return __builtin_cpu_supports("sse4.2");
	if (strcmp(flag, "popcnt") == 0)
		return __builtin_cpu_supports("popcnt");
	if (strcmp(flag, "avx2") == 0)
		return __builtin_cpu_supports("avx2");
	if (strcmp(flag, "bmi1") == 0)
		return __builtin_cpu_supports("bmi");
	if (strcmp(flag, "bmi2") == 0)
		return __builtin_cpu_supports("bmi2");
	if (strcmp(flag, "avx512f") == 0)
		return __builtin_cpu_supports("avx512f");
	if (strcmp(flag, "avx512bw") == 0)
		return __builtin_cpu_supports("avx512bw");
	if (strcmp(flag, "avx512vl") == 0)
		return __builtin_cpu_supports("avx512vl");
	return 0;
}

static void rbp_read_cpuinfo(rbp_sysinfo *si)
{
	static char flags[8192];
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	flags[0] = '\0';
	snprintf(si->cpu_model, sizeof(si->cpu_model), "unknown");
	if (f) {
		int have_model = 0;
		while (fgets(line, sizeof(line), f) && (!have_model || !flags[0])) {
			char *colon = strchr(line, ':');
			if (!colon)
				continue;
			char *value = colon + 1 + (colon[1] == ' ');
			value[strcspn(value, "\n")] = '\0';
			if (!have_model && strncmp(line, "model name", 10) == 0) {
				snprintf(si->cpu_model, sizeof(si->cpu_model), "%s", value);
				have_model = 1;
			} else if (!flags[0] && strncmp(line, "flags", 5) == 0) {
				snprintf(flags, sizeof(flags), "%s", value);
			}
		}
		fclose(f);
	}
	si->nflags = 0;
	for (size_t i = 0; i < RBP_MAX_FLAGS; i++) {
		const char *fl = rbp_relevant_flags[i];
		if (flags[0] ? rbp_word_in(flags, fl) : rbp_flag_fallback(fl))
			si->flags[si->nflags++] = fl;
	}
}

/* "0-3,6" for the CPUs in set. */
static void rbp_format_cpus(const cpu_set_t *set, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int last = c;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
			last++;
		const char *sep = used ? "," : "";
		int n;
		if (last == c)
			n = snprintf(out + used, outlen - used, "%s%d", sep, c);
		else
			n = snprintf(out + used, outlen - used, "%s%d-%d", sep, c, last);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
		c = last;
	}
}

void rbp_sysinfo_read(rbp_sysinfo *si)
{
	struct utsname u;
	cpu_set_t set;

	memset(si, 0, sizeof(*si));
	rbp_read_cpuinfo(si);
	if (uname(&u) == 0)
		snprintf(si->kernel, sizeof(si->kernel), "%s %s %s", u.sysname, u.release,
			 u.machine);
	else
		snprintf(si->kernel, sizeof(si->kernel), "unknown");
	si->cores = sysconf(_SC_NPROCESSORS_ONLN);
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		si->allowed_cpus = CPU_COUNT(&set);
		rbp_format_cpus(&set, si->affinity, sizeof(si->affinity));
	}
	si->cpu_now = sched_getcpu();
}

int rbp_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}
