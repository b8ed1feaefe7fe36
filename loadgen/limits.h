/*
 * Before a run: what it needs of the host against what the host allows
 * (descriptors, local ports per source address, the --source addresses
 * themselves), each refusal naming the exact fix.
 */
#ifndef LG_LIMITS_H
#define LG_LIMITS_H

#include "config.h"

/* Descriptors rbload needs besides one per connection: standard streams,
 * a ring per thread, the report files, a margin. */
#define LG_FD_MARGIN(threads) (16u + (threads))

/* Check (and raise the soft descriptor limit as far as the hard one allows).
 * Returns 0, or -1 after printing what to change. */
int lg_limits_check(const lg_config *cfg);

/* The ephemeral port range (net.ipv4.ip_local_port_range of this network
 * namespace).  Returns 0, or -1 (then 32768-60999, the kernel's default). */
int lg_port_range(unsigned *lo, unsigned *hi);

/* "1,234,567" */
void lg_fmt_thousands(uint64_t v, char *buf, size_t len);

#endif
