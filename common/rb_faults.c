#include "rb_faults.h"
#include "rb_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned bit;
} rb_fault_table[] = {
	{"no-multishot", RB_FAULT_NO_MULTISHOT}, {"no-defer-taskrun", RB_FAULT_NO_DEFER_TASKRUN},
	{"no-bufring", RB_FAULT_NO_BUFRING},     {"tiny-cq", RB_FAULT_TINY_CQ},
	{"enobufs", RB_FAULT_ENOBUFS},           {"short-send", RB_FAULT_SHORT_SEND},
	{"accept-fail", RB_FAULT_ACCEPT_FAIL},   {"sq-full", RB_FAULT_SQ_FULL},
	{"no-zerocopy", RB_FAULT_NO_ZEROCOPY},   {"no-ktls", RB_FAULT_NO_KTLS},
	{"ktls-try", RB_FAULT_KTLS_TRY},
};
#define RB_NFAULTS (sizeof(rb_fault_table) / sizeof(rb_fault_table[0]))

/* Written once by rb_faults_init() before any thread starts, read after. */
static unsigned rb_faults_bits;

const char *rb_faults_allowed(void)
{
	return "no-multishot, no-defer-taskrun, no-bufring, tiny-cq, enobufs, short-send, "
	       "accept-fail, sq-full, no-zerocopy, no-ktls, ktls-try";
}

int rb_faults_parse(const char *list, unsigned *bits, char *err, size_t errlen)
{
	*bits = 0;
	const char *p = list;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t i = 0;
		while (i < RB_NFAULTS && (strlen(rb_fault_table[i].name) != n ||
					  memcmp(rb_fault_table[i].name, p, n)))
			i++;
		if (i == RB_NFAULTS) {
			snprintf(err, errlen, "RB_FAULTS: unknown fault '%.*s' (allowed: %s)",
				 (int)(n > 64 ? 64 : n), p, rb_faults_allowed());
			return -1;
		}
		*bits |= rb_fault_table[i].bit;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int rb_faults_init(void)
{
	const char *v = getenv("RB_FAULTS");
	char err[256];
	if (rb_faults_parse(v ? v : "", &rb_faults_bits, err, sizeof(err))) {
		rb_log("%s", err);
		return -1;
	}
	if (rb_faults_bits) {
		char names[160];
		rb_log("RB_FAULTS: forcing %s",
		       rb_faults_names(rb_faults_bits, names, sizeof(names)));
	}
	return 0;
}

unsigned rb_faults(void)
{
	return rb_faults_bits;
}

const char *rb_faults_names(unsigned bits, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < RB_NFAULTS; i++) {
		if (!(bits & rb_fault_table[i].bit))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 rb_fault_table[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}
