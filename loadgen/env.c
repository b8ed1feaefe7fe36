/* The machine a run was taken on, for the report. */
#include "result.h"

#include "ringparse.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void lg_env_read(lg_env *e)
{
	memset(e, 0, sizeof(*e));
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "model name", 10) == 0) {
				const char *v = strchr(line, ':');
				if (v) {
					v++;
					while (*v == ' ' || *v == '\t')
						v++;
					snprintf(e->cpu_model, sizeof(e->cpu_model), "%.*s",
						 (int)strcspn(v, "\n"), v);
				}
				break;
			}
		}
		fclose(f);
	}
	e->cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (pages > 0 && psize > 0)
		e->memory_bytes = (unsigned long long)pages * (unsigned long long)psize;
	e->parser_variant = rp_variant_current()->name;
}
