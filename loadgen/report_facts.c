/* What the human and JSON reports say alike: the saturation warning, errno names. */
#include "result.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *lg_errno_name(int e, char *buf, size_t len)
{
	const char *name = e > 0 ? strerrorname_np(e) : NULL;
	if (name)
		return name;
	snprintf(buf, len, e > 0 ? "E%d" : "other", e);
	return buf;
}

int lg_saturation(const lg_result *r, char *buf, size_t len)
{
	const lg_counts *k = &r->counts;
	if (r->busy_max > LG_BUSY_WARN) {
		snprintf(buf, len,
			 "rbload's busiest thread was busy %.0f%% of the measured time: the load "
			 "generator, not the server, may be the limit (give it more threads or "
			 "CPUs: -t, --cpus)",
			 r->busy_max * 100);
		return 1;
	}
	if (r->cfg->mode == LG_MODE_OPEN && k->sent &&
	    (double)k->late_sends / (double)k->sent > LG_LATE_WARN) {
		double interval_ms = 1e3 * r->cfg->connections / r->cfg->rate;
		snprintf(buf, len,
			 "%.1f%% of the requests (%" PRIu64 ") went out more than one interval "
			 "(%.3f ms per connection) after they were due, on a free connection: the "
			 "load generator, not the server, may be the limit",
			 100.0 * (double)k->late_sends / (double)k->sent, k->late_sends,
			 interval_ms);
		return 1;
	}
	return 0;
}
