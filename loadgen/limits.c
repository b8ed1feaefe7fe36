/* Pre-flight checks: descriptors, ephemeral ports, --source addresses. */
#include "limits.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

void lg_fmt_thousands(uint64_t v, char *buf, size_t len)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

int lg_port_range(unsigned *lo, unsigned *hi)
{
	*lo = 32768;
	*hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (!f)
		return -1;
	unsigned a, b;
	int ok = fscanf(f, "%u %u", &a, &b) == 2 && a <= b && b <= 65535;
	fclose(f);
	if (!ok)
		return -1;
	*lo = a;
	*hi = b;
	return 0;
}

/* Every connection is a descriptor: raise the soft limit as far as the hard
 * one allows, else say exactly what is short. */
static int lg_limits_fds(const lg_config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	rlim_t need = (rlim_t)cfg->connections + LG_FD_MARGIN(cfg->threads);
	if (rl.rlim_cur >= need)
		return 0;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) || getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_cur = was;
	if (rl.rlim_cur >= need)
		return 0;
	char c[32], n[32], cur[32], max[32];
	lg_fmt_thousands(cfg->connections, c, sizeof(c));
	lg_fmt_thousands(need, n, sizeof(n));
	lg_fmt_thousands(rl.rlim_cur, cur, sizeof(cur));
	lg_fmt_thousands(rl.rlim_max, max, sizeof(max));
	fprintf(stderr,
		"rbload: -c %s needs %s file descriptors; the limit is %s (hard %s): raise it "
		"with ulimit -n, or spread the run over processes\n",
		c, n, cur, max);
	return -1;
}

/* Connections to one destination from one source address each hold a local
 * port of the ephemeral range until they close. */
static int lg_limits_ports(const lg_config *cfg)
{
	unsigned lo, hi;
	lg_port_range(&lo, &hi);
	uint64_t ports = (uint64_t)hi - lo + 1;
	uint64_t nsrc = cfg->sources.family ? cfg->sources.count : 1;
	if (nsrc > cfg->connections)
		nsrc = cfg->connections;
	uint64_t per = (cfg->connections + nsrc - 1) / nsrc;
	if (per <= ports)
		return 0;
	uint64_t want = (cfg->connections + ports - 1) / ports;
	char c[32], p[32], pp[32];
	lg_fmt_thousands(cfg->connections, c, sizeof(c));
	lg_fmt_thousands(per, p, sizeof(p));
	lg_fmt_thousands(ports, pp, sizeof(pp));
	if (cfg->sources.family)
		fprintf(stderr,
			"rbload: -c %s over %llu --source addresses needs %s local ports per "
			"address to %s; the ephemeral port range gives %s "
			"(net.ipv4.ip_local_port_range = %u %u): give at least %llu addresses to "
			"--source, or widen the range\n",
			c, (unsigned long long)nsrc, p, cfg->peer, pp, lo, hi,
			(unsigned long long)want);
	else {
		/* On IPv4 loopback every 127/8 address is this host's: name a range. */
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)&cfg->addr;
		char hint[96] = "";
		if (cfg->addr.ss_family == AF_INET && (ntohl(a4->sin_addr.s_addr) >> 24) == 127 &&
		    want + 1 <= 254)
			snprintf(hint, sizeof(hint),
				 " (on loopback: --source 127.0.0.2-127.0.0.%llu)",
				 (unsigned long long)(want + 1));
		fprintf(stderr,
			"rbload: -c %s needs %s local ports to %s from one source address; the "
			"ephemeral port range gives %s (net.ipv4.ip_local_port_range = %u %u): "
			"spread the connections over %llu or more local addresses with --source%s, "
			"or widen the range\n",
			c, p, cfg->peer, pp, lo, hi, (unsigned long long)want, hint);
	}
	return -1;
}

/* Bind address k as the run will (IP_BIND_ADDRESS_NO_PORT): 0 or errno. */
static int lg_limits_bind(const lg_sources *s, uint64_t k)
{
	struct sockaddr_storage ss;
	socklen_t len;
	lg_sources_addr(s, k, &ss, &len);
	int fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int one = 1, rc = 0;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		rc = errno;
	close(fd);
	return rc;
}

/* The source addresses the run uses must be this host's: the first 256 and
 * the last one used are tried (a gap in between shows at its first connect). */
static int lg_limits_sources(const lg_config *cfg)
{
	const lg_sources *s = &cfg->sources;
	if (!s->family)
		return 0;
	uint64_t used = s->count < cfg->connections ? s->count : cfg->connections;
	for (uint64_t k = 0; k < used; k = k + 1 == 256 && used > 256 ? used - 1 : k + 1) {
		int e = lg_limits_bind(s, k);
		if (!e)
			continue;
		char a[64];
		lg_sources_text(s, k, a, sizeof(a));
		if (e == EADDRNOTAVAIL)
			fprintf(stderr,
				"rbload: --source: %s is not an address of this host (bind: %s): "
				"add it (ip addr add %s/%u dev lo) or leave it out\n",
				a, strerror(e), a, s->family == AF_INET ? 32 : 128);
		else
			fprintf(stderr, "rbload: --source: cannot bind %s: %s\n", a, strerror(e));
		return -1;
	}
	return 0;
}

int lg_limits_check(const lg_config *cfg)
{
	if (lg_limits_fds(cfg) || lg_limits_sources(cfg) || lg_limits_ports(cfg))
		return -1;
	return 0;
}
