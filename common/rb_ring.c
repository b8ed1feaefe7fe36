#include "rb_ring.h"
#include "rb_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The optional flags, most demanding first: DEFER_TASKRUN requires
 * SINGLE_ISSUER, so it has to go before SINGLE_ISSUER can. */
static const struct {
	unsigned flag;
	const char *name;
} rb_ring_optional[] = {
	{IORING_SETUP_DEFER_TASKRUN, "defer_taskrun"},
	{IORING_SETUP_SINGLE_ISSUER, "single_issuer"},
	{IORING_SETUP_TASKRUN_FLAG, "taskrun_flag"},
	{IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
	{IORING_SETUP_SUBMIT_ALL, "submit_all"},
};

#define RB_RING_NOPT (sizeof(rb_ring_optional) / sizeof(rb_ring_optional[0]))

const char *rb_ring_flag_names(unsigned flags, char *buf, unsigned len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < RB_RING_NOPT; i++) {
		if (!(flags & rb_ring_optional[i].flag))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 rb_ring_optional[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (flags & IORING_SETUP_CQSIZE && used + 8 < len)
		snprintf(buf + used, len - used, "%scqsize", used ? " " : "");
	return buf;
}

int rb_ring_init(struct io_uring *ring, const rb_ring_opts *opts, rb_ring_info *info)
{
	unsigned want = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
			IORING_SETUP_SUBMIT_ALL;
	if (opts->single_thread)
		want |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	/* DEFER_TASKRUN runs task work only when we wait for completions, so
	 * the TASKRUN_FLAG hint (for rings polled without entering) is moot. */
	if (want & IORING_SETUP_DEFER_TASKRUN)
		want &= ~IORING_SETUP_TASKRUN_FLAG;
	unsigned cq = opts->cq_entries ? opts->cq_entries : opts->sq_entries * 4;
	const char *name = opts->name ? opts->name : "ring";
	unsigned dropped = 0;

	for (;;) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		/* CLAMP: a queue asked larger than the kernel's maximum (32,768
		 * submission, 65,536 completion entries) gets the maximum, not
		 * -EINVAL; info reports what was granted. */
		p.flags = want | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
		p.cq_entries = cq;
		int rc = (p.flags & opts->refuse)
				 ? -EINVAL
				 : io_uring_queue_init_params(opts->sq_entries, ring, &p);
		if (rc == 0) {
			/* A registered ring fd spares io_uring_enter its file lookup.
			 * It belongs to the registering thread, so only a ring one
			 * thread uses may have it; without it enter works as before. */
			int registered = 0;
			if (opts->single_thread) {
				int r = io_uring_register_ring_fd(ring);
				registered = r == 1;
				if (!registered)
					rb_log("%s: kernel refused to register the ring fd (%s); "
					       "continuing without it",
					       name, r < 0 ? strerror(-r) : "no slot");
			}
			if (info) {
				info->flags = p.flags;
				info->features = p.features;
				info->sq_entries = p.sq_entries;
				info->cq_entries = p.cq_entries;
				info->registered_ring_fd = registered;
			}
			return 0;
		}
		if (rc != -EINVAL) {
			rb_log("%s: io_uring_setup failed: %s", name, strerror(-rc));
			return rc;
		}
		/* Drop the most demanding optional flag still asked for. */
		size_t i = 0;
		while (i < RB_RING_NOPT && !(want & rb_ring_optional[i].flag))
			i++;
		if (i == RB_RING_NOPT) {
			rb_log("%s: io_uring_setup refuses even the basic flags: %s", name,
			       strerror(-rc));
			return rc;
		}
		want &= ~rb_ring_optional[i].flag;
		dropped |= rb_ring_optional[i].flag;
		rb_log("%s: kernel refused IORING_SETUP_%s (-EINVAL); continuing without it", name,
		       rb_ring_optional[i].name);
		/* Without DEFER_TASKRUN, task work runs on any kernel entry:
		 * TASKRUN_FLAG tells us when it is pending (with COOP_TASKRUN). */
		if (rb_ring_optional[i].flag == IORING_SETUP_DEFER_TASKRUN &&
		    (want & IORING_SETUP_COOP_TASKRUN) && !(dropped & IORING_SETUP_TASKRUN_FLAG))
			want |= IORING_SETUP_TASKRUN_FLAG;
	}
}
