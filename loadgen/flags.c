/* Command-line flags: defaults, ranges, --help and the exact error messages. */
#include "config.h"
#include "url.h"

#include "rb_cpu.h"
#include "rb_num.h"
#include "rb_tls.h"
#include "rb_version.h"

#include <errno.h>
#include <sched.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void lg_usage(FILE *f)
{
	fprintf(f,
		"Usage: rbload [options] URL [URL[@WEIGHT]...]\n"
		"\n"
		"io_uring HTTP/1.1 load generator with HDR latency histograms (ringbench %s).\n"
		"\n"
		"Load:\n"
		"  -c, --connections N   connections in total, 1 to %u (default 10)\n"
		"  -t, --threads N       worker threads, each pinned to one CPU, 1 to 1024\n"
		"                        (default: CPUs this process may use, here %d, at most N\n"
		"                        connections)\n"
		"      --cpus LIST       CPUs to pin the threads to, round robin: 1 or 0-3,6\n"
		"                        (default: the process's affinity mask, so taskset works)\n"
		"  -p, --pipeline P      requests in flight per connection, 1 to %d (default 1)\n"
		"  -R, --rate R          open loop: R requests/s in total, spread evenly over the\n"
		"                        connections; latency counts from when each request was\n"
		"                        due (coordinated-omission correction)\n"
		"      --close           send Connection: close, one request per connection\n"
		"                        (measures connection setup; latency from connect)\n"
		"      --conn-requests N each connection closes after N responses (the Nth\n"
		"                        request says Connection: close) and is reopened\n"
		"      --conn-rate R     at most R new connections per second in total, paced\n"
		"                        (first opens and reopens alike)\n"
		"      --source ADDRS    local addresses to connect from, spread over the\n"
		"                        connections: a comma list of addresses, ranges\n"
		"                        (127.0.0.2-127.0.0.200) and CIDR blocks (127.0.1.0/24,\n"
		"                        fd00::/120); the kernel still picks each port, so each\n"
		"                        address brings its own ephemeral port range\n"
		"      --slow-send BPS   send each request at BPS bytes/s per connection, in small\n"
		"                        writes (slowloris when the head never ends in time)\n"
		"      --slow-recv BPS   read responses at BPS bytes/s per connection with a small\n"
		"                        receive buffer (a slow reader); BPS 1 to %u\n"
		"Time:\n"
		"  -d, --duration T      measured time (default 10s); T: 500ms, 10s, 2m, 1h; a bare\n"
		"                        number is seconds\n"
		"  -n, --requests N      stop after N measured responses (with -d, whichever first)\n"
		"      --warmup T        run T before measuring; not reported (default 0)\n"
		"      --ramp T          open the connections evenly over T (default 0)\n"
		"      --timeout T       a request unanswered for T is a timeout error and its\n"
		"                        connection is reopened (default 5s)\n"
		"Requests:\n"
		"  -m, --method M        request method (default GET, or POST with a body)\n"
		"  -H, --header 'N: V'   extra request header; repeatable (up to %d)\n"
		"      --body STRING     request body (sent with Content-Length)\n"
		"      --body-file FILE  request body from a file\n"
		"  URL                   http[s]://HOST[:PORT]/PATH; HOST an IPv4 or [IPv6] literal or\n"
		"                        a name, resolved once at start (localhost: 127.0.0.1).\n"
		"                        Several URLs make a mix, taken in turn on each\n"
		"                        connection; URL@W gives one a weight W (1 to %d in all)\n"
		"HTTPS (https:// URLs; port 443 by default):\n"
		"      --sni NAME        server name sent (SNI) and checked in the certificate\n"
		"                        (default: the URL's host; an IP literal sends none)\n"
		"  -k, --insecure        do not verify the server's certificate\n"
		"      --cacert FILE     trust the PEM certificates in FILE instead of the\n"
		"                        system's store\n"
		"      --tls-min V       lowest TLS version offered: 1.2 or 1.3\n"
		"      --tls-max V       highest TLS version offered: 1.2 or 1.3\n"
		"      --ciphers LIST    TLS 1.2 cipher list (OpenSSL syntax)\n"
		"      --tls13-ciphersuites LIST  TLS 1.3 suites (TLS_AES_128_GCM_SHA256:...)\n"
		"      --tls-resume      reconnects resume the last session (a ticket), with\n"
		"                        --close or --conn-requests\n"
		"Receiving:\n"
		"      --recv-buffers N  receive buffers per thread, shared by its connections, a\n"
		"                        power of two, 1 to 32768 (default 256); more when many\n"
		"                        connections stream large bodies at once (ring.enobufs)\n"
		"      --recv-buffer-size B  bytes per receive buffer, 64 to 1048576 (default 8192)\n"
		"Output:\n"
		"      --json FILE       JSON report (- for standard output); docs/loadgen.md\n"
		"      --hgrm FILE       HdrHistogram percentile distribution (corrected, ms)\n"
		"      --hlog FILE       HdrHistogram interval log: one line per second of the\n"
		"                        window, the latency histogram in ns (V2, compressed,\n"
		"                        base64); in open loop also Tag=uncorrected lines\n"
		"  -q, --quiet           no summary on standard output\n"
		"      --progress        a status line on stderr every second (default: when\n"
		"      --no-progress     stderr is a terminal)\n"
		"  -h, --help            this text\n"
		"  -V, --version         the version\n"
		"Several processes:\n"
		"      --start-at EPOCH  open the connections, then start the window at this\n"
		"                        wall-clock time (seconds since the epoch, a fraction\n"
		"                        allowed: date -d '+10 sec' +%%s), so that several rbload\n"
		"                        processes measure the same seconds; needs synchronised\n"
		"                        clocks (NTP, chrony) across hosts\n"
		"  rbload merge FILE.hlog... [--json F] [--hgrm F] [--hlog F] [-q]\n"
		"                        sum interval logs second by second (rbload merge --help)\n"
		"Environment:\n"
		"  RB_FAULTS=LIST        force io_uring fallbacks and faults, for tests: a comma\n"
		"                        list of fault names (docs/loadgen.md)\n"
		"\n"
		"Exit status: 0 after a run (errors are in the report), 1 when the host cannot\n"
		"carry the run (descriptors, local ports, --source; the message says what to\n"
		"change), the name does not resolve, the server could not be reached or nothing\n"
		"was answered, 2 for a bad command line.\n",
		RB_VERSION, LG_MAX_CONNECTIONS, rb_cpu_count(), LG_MAX_PIPELINE, LG_MAX_SLOW_BPS,
		LG_MAX_HEADERS, LG_MAX_MIX);
}

static int lg_flag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int lg_flag_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rbload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see rbload --help)\n", stderr);
	va_end(ap);
	return 2;
}

/* A whole number in [lo, hi] (rb_parse_u64), refused in every program's words. */
static int lg_flag_u64(const char *flag, const char *val, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (rb_parse_u64(val, lo, hi, out) == 0)
		return 0;
	char msg[RB_NUM_MSG_SIZE];
	rb_num_range_msg(msg, sizeof(msg), flag, val, lo, hi);
	return lg_flag_error("%s", msg);
}

int lg_parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	double scale;
	if (!*end || !strcmp(end, "s"))
		scale = 1e9;
	else if (!strcmp(end, "ms"))
		scale = 1e6;
	else if (!strcmp(end, "us"))
		scale = 1e3;
	else if (!strcmp(end, "m"))
		scale = 60e9;
	else if (!strcmp(end, "h"))
		scale = 3600e9;
	else
		return -1;
	double r = v * scale;
	if (r > 1e18)
		return -1;
	*ns = (uint64_t)(r + 0.5);
	return 0;
}

/* A rate of `what` per second, 0.01 to 1e9. */
static int lg_flag_rate(const char *flag, const char *val, const char *what, double *out)
{
	char *end;
	errno = 0;
	double r = strtod(val, &end);
	if (errno || end == val || *end || !isfinite(r) || r < 0.01 || r > 1e9)
		return lg_flag_error("%s: '%s' is not a rate; allowed: %s per second, 0.01 to "
				     "1000000000",
				     flag, val, what);
	*out = r;
	return 0;
}

static int lg_flag_duration(const char *flag, const char *val, uint64_t min_ns, uint64_t *out)
{
	if (lg_parse_duration(val, out))
		return lg_flag_error(
			"%s: '%s' is not a duration; allowed: a number with us, ms, s, "
			"m or h (10s, 500ms, 2m); a bare number is seconds",
			flag, val);
	if (*out < min_ns)
		return lg_flag_error("%s: %s is too short; allowed: at least %.3f ms", flag, val,
				     (double)min_ns / 1e6);
	return 0;
}

/* "2026-01-01T00:00:00.500Z" for messages. */
void lg_fmt_epoch(double t, char *buf, size_t len)
{
	/* Beyond years 0..9999 (or not a number) no date is printed: the
	 * conversion to time_t would be undefined. */
	if (!(t > -62167219200.0 && t < 253402300800.0)) {
		snprintf(buf, len, "%g (seconds since the epoch: no date)", t);
		return;
	}
	time_t s = (time_t)floor(t);
	struct tm tm;
	char day[32];
	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	int ms = (int)floor((t - (double)s) * 1000.0);
	snprintf(buf, len, "%s.%03dZ", day, ms > 999 ? 999 : ms);
}

double lg_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --start-at EPOCH: seconds since the epoch, digits with an optional fraction,
 * not in the past by more than LG_START_LATE_S nor over a day ahead. */
static int lg_flag_start_at(const char *val, double *out)
{
	char *end;
	errno = 0;
	double t = val[0] >= '0' && val[0] <= '9' ? strtod(val, &end) : 0;
	if (t <= 0 || errno || *end || !isfinite(t) || strpbrk(val, "eExXpP"))
		return lg_flag_error("--start-at: '%s' is not a time; allowed: seconds since the "
				     "epoch (UTC), a fraction allowed, such as 1767225600.5 "
				     "(date -d '+10 sec' +%%s)",
				     val);
	double now = lg_wall_now();
	char when[64];
	lg_fmt_epoch(t, when, sizeof(when));
	if (t < now - LG_START_LATE_S)
		return lg_flag_error("--start-at %s (%s) is %.3f s in the past; allowed: a time "
				     "to come",
				     val, when, now - t);
	if (t > now + LG_START_AHEAD_S)
		return lg_flag_error("--start-at %s (%s) is %.0f s ahead; allowed: at most a day "
				     "ahead",
				     val, when, t - now);
	*out = t;
	return 0;
}

/* "1", "0-3,6": each CPU must be in this process's reach (sched affinity). */
static int lg_flag_cpus(lg_config *cfg, const char *val)
{
	const char *p = val;
	cfg->ncpus = 0;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				goto bad;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (cfg->ncpus == LG_MAX_CPUS)
				return lg_flag_error("--cpus: more than %d CPUs", LG_MAX_CPUS);
			if (c >= CPU_SETSIZE)
				goto bad;
			cfg->cpus[cfg->ncpus++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (cfg->ncpus == 0)
		goto bad;
	cfg->cpus_given = 1;
	return 0;
bad:
	return lg_flag_error("--cpus: '%s' is not a CPU list; allowed: numbers and ranges such "
			     "as 1 or 0-3,6",
			     val);
}

static int lg_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return lg_flag_error("--body-file: '%s': %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		if (cap >= (64u << 20)) {
			free(buf);
			fclose(f);
			return lg_flag_error("--body-file: '%s' is larger than 64 MiB", path);
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		free(buf);
		return lg_flag_error("--body-file: '%s': %s", path,
				     buf ? "read error" : "no memory");
	}
	*out = buf;
	*len = n;
	return 0;
}

/* One URL argument: URL or URL@WEIGHT; every URL must name the same peer. */
static int lg_add_url(lg_config *cfg, char *arg)
{
	if (cfg->nurls == LG_MAX_URLS)
		return lg_flag_error("too many URLs; allowed: up to %d", LG_MAX_URLS);
	lg_url *u = &cfg->urls[cfg->nurls];
	u->weight = 1;
	char *at = strrchr(arg, '@');
	if (at && at > strchr(arg, '/') && strchr(at, '/') == NULL) {
		uint64_t w;
		*at = '\0';
		int rc = lg_flag_u64("URL weight", at + 1, 1, LG_MAX_MIX, &w);
		if (rc)
			return rc;
		u->weight = (uint32_t)w;
	}
	lg_url_parts parts;
	char err[512];
	if (lg_url_parse(arg, &parts, err, sizeof(err)))
		return lg_flag_error("%s", err);
	u->text = arg;
	u->path = parts.path[0] == '/' ? parts.path : NULL;
	if (!u->path) {
		/* "http://h?q" has an empty path: the target is "/?q" */
		if (parts.path[0] == '?') {
			size_t n = strlen(parts.path) + 2;
			char *t = malloc(n);
			if (!t)
				return lg_flag_error("no memory");
			snprintf(t, n, "/%s", parts.path);
			u->path = t; /* lives as long as the process */
		} else {
			u->path = "/";
		}
	}
	int same = parts.addrlen && cfg->addrlen
			   ? parts.addrlen == cfg->addrlen &&
				     !memcmp(&parts.addr, &cfg->addr, cfg->addrlen)
			   : parts.port == cfg->port && !strcasecmp(parts.host, cfg->host_name);
	if (cfg->nurls > 0 && parts.tls != cfg->tls)
		return lg_flag_error("URL '%s' is %s but '%s' is not; allowed: one scheme per run",
				     parts.tls ? arg : cfg->urls[0].text, "https://",
				     parts.tls ? cfg->urls[0].text : arg);
	if (cfg->nurls == 0) {
		cfg->tls = parts.tls;
		snprintf(cfg->host, sizeof(cfg->host), "%s", parts.authority);
		snprintf(cfg->host_name, sizeof(cfg->host_name), "%s", parts.host);
		cfg->port = parts.port;
		cfg->addr = parts.addr;
		cfg->addrlen = parts.addrlen;
	} else if (!same) {
		return lg_flag_error("URL '%s' names another host or port than '%s'; allowed: "
				     "one host and port per run",
				     arg, cfg->urls[0].text);
	}
	cfg->nurls++;
	return 0;
}

/* The flags that take a value, by long and short name. */
static const struct lg_flag {
	const char *lng;
	char shrt;
} lg_value_flags[] = {
	{"--connections", 'c'},
	{"--threads", 't'},
	{"--duration", 'd'},
	{"--requests", 'n'},
	{"--pipeline", 'p'},
	{"--rate", 'R'},
	{"--method", 'm'},
	{"--header", 'H'},
	{"--cpus", 0},
	{"--warmup", 0},
	{"--ramp", 0},
	{"--timeout", 0},
	{"--body", 0},
	{"--body-file", 0},
	{"--json", 0},
	{"--hgrm", 0},
	{"--hlog", 0},
	{"--start-at", 0},
	{"--source", 0},
	{"--conn-rate", 0},
	{"--conn-requests", 0},
	{"--slow-send", 0},
	{"--slow-recv", 0},
	{"--recv-buffers", 0},
	{"--recv-buffer-size", 0},
	{"--sni", 0},
	{"--tls-min", 0},
	{"--tls-max", 0},
	{"--ciphers", 0},
	{"--tls13-ciphersuites", 0},
	{"--cacert", 0},
};

/* --tls-min, --tls-max: 1.2 or 1.3. */
static int lg_flag_tls_version(const char *flag, const char *val, int *out)
{
	if (rb_tls_version_parse(val, out))
		return lg_flag_error("%s: '%s' is not a TLS version; allowed: 1.2 or 1.3", flag,
				     val);
	return 0;
}

/* The TLS flags make sense only with https:// URLs. */
static int lg_tls_check(const lg_config *cfg, const char *const *given, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (given[k] && !cfg->tls)
			return lg_flag_error("%s needs an https:// URL; '%s' is http://", given[k],
					     cfg->urls[0].text);
	if (cfg->tls_min && cfg->tls_max && cfg->tls_min > cfg->tls_max)
		return lg_flag_error("--tls-min %s is above --tls-max %s; allowed: a minimum at "
				     "most the maximum",
				     cfg->tls_min == RB_TLS_V1_3 ? "1.3" : "1.2",
				     cfg->tls_max == RB_TLS_V1_3 ? "1.3" : "1.2");
	if (cfg->insecure && cfg->cafile)
		return lg_flag_error("-k and --cacert: give one of them (-k trusts any "
				     "certificate)");
	return 0;
}

int lg_config_parse(lg_config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->connections = 10;
	cfg->duration_ns = 10ull * 1000000000ull;
	cfg->pipeline = 1;
	cfg->timeout_ns = 5ull * 1000000000ull;
	cfg->progress = -1;
	cfg->recv_buffers = 256;
	cfg->recv_buffer_size = 8192;
	int duration_given = 0, threads_given = 0, pipeline_given = 0, close_mode = 0;
	const char *tls_given[8] = {0}; /* TLS flags seen, for lg_tls_check */
	uint64_t v = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (arg[0] != '-' || !arg[1]) {
			if ((rc = lg_add_url(cfg, arg)))
				return rc;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			lg_usage(stdout);
			return 1;
		}
		if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			printf("rbload %s (%s%s)\n", RB_VERSION, RB_GIT_COMMIT,
			       RB_GIT_DIRTY ? ", modified" : "");
			return 1;
		}
		if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			cfg->quiet = 1;
			continue;
		}
		if (!strcmp(arg, "--progress") || !strcmp(arg, "--no-progress")) {
			cfg->progress = arg[2] == 'p';
			continue;
		}
		if (!strcmp(arg, "--close")) {
			close_mode = 1;
			continue;
		}
		if (!strcmp(arg, "-k") || !strcmp(arg, "--insecure")) {
			cfg->insecure = 1;
			tls_given[0] = arg;
			continue;
		}
		if (!strcmp(arg, "--tls-resume")) {
			cfg->tls_resume = 1;
			tls_given[1] = arg;
			continue;
		}

		/* A flag with a value: --flag V, --flag=V, -c V, -cV. */
		const char *name = NULL, *val = NULL;
		char shrt = 0;
		char lng[32];
		if (arg[1] == '-') {
			const char *eq = strchr(arg, '=');
			size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
			if (n >= sizeof(lng))
				n = sizeof(lng) - 1;
			memcpy(lng, arg, n);
			lng[n] = '\0';
			for (size_t k = 0; k < sizeof(lg_value_flags) / sizeof(lg_value_flags[0]);
			     k++)
				if (!strcmp(lg_value_flags[k].lng, lng)) {
					name = lg_value_flags[k].lng;
					shrt = lg_value_flags[k].shrt;
				}
			if (eq)
				val = eq + 1;
		} else {
			for (size_t k = 0; k < sizeof(lg_value_flags) / sizeof(lg_value_flags[0]);
			     k++)
				if (lg_value_flags[k].shrt && lg_value_flags[k].shrt == arg[1]) {
					name = lg_value_flags[k].lng;
					shrt = arg[1];
				}
			if (name && arg[2])
				val = arg + 2;
		}
		if (!name)
			return lg_flag_error("unknown flag '%s'", arg);
		if (!val) {
			if (i + 1 >= argc)
				return lg_flag_error("%s needs a value", arg);
			val = argv[++i];
		}
		const char *flag = arg[1] == '-' ? name
						 : (shrt == 'c'   ? "-c"
						    : shrt == 't' ? "-t"
						    : shrt == 'd' ? "-d"
						    : shrt == 'n' ? "-n"
						    : shrt == 'p' ? "-p"
						    : shrt == 'R' ? "-R"
						    : shrt == 'm' ? "-m"
								  : "-H");

		rc = 0;
		if (!strcmp(name, "--connections")) {
			rc = lg_flag_u64(flag, val, 1, LG_MAX_CONNECTIONS, &v);
			cfg->connections = (uint32_t)v;
		} else if (!strcmp(name, "--threads")) {
			rc = lg_flag_u64(flag, val, 1, 1024, &v);
			cfg->threads = (uint32_t)v;
			threads_given = 1;
		} else if (!strcmp(name, "--duration")) {
			rc = lg_flag_duration(flag, val, 1000000, &cfg->duration_ns);
			duration_given = 1;
		} else if (!strcmp(name, "--requests")) {
			rc = lg_flag_u64(flag, val, 1, UINT64_C(1) << 48, &cfg->requests);
		} else if (!strcmp(name, "--pipeline")) {
			rc = lg_flag_u64(flag, val, 1, LG_MAX_PIPELINE, &v);
			cfg->pipeline = (uint32_t)v;
			pipeline_given = 1;
		} else if (!strcmp(name, "--rate")) {
			rc = lg_flag_rate(flag, val, "requests", &cfg->rate);
		} else if (!strcmp(name, "--conn-rate")) {
			rc = lg_flag_rate(flag, val, "new connections", &cfg->conn_rate);
		} else if (!strcmp(name, "--conn-requests")) {
			rc = lg_flag_u64(flag, val, 1, UINT64_C(1) << 48, &cfg->conn_requests);
		} else if (!strcmp(name, "--slow-send") || !strcmp(name, "--slow-recv")) {
			rc = lg_flag_u64(flag, val, 1, LG_MAX_SLOW_BPS, &v);
			*(name[7] == 's' ? &cfg->slow_send_bps : &cfg->slow_recv_bps) = (uint32_t)v;
		} else if (!strcmp(name, "--recv-buffers")) {
			rc = lg_flag_u64(flag, val, 1, 32768, &v);
			if (!rc && (v & (v - 1)))
				return lg_flag_error(
					"--recv-buffers: %s is not a power of two; allowed: 1, "
					"2, 4, ... 32768",
					val);
			cfg->recv_buffers = (uint32_t)v;
		} else if (!strcmp(name, "--recv-buffer-size")) {
			rc = lg_flag_u64(flag, val, 64, 1048576, &v);
			cfg->recv_buffer_size = (uint32_t)v;
		} else if (!strcmp(name, "--source")) {
			char err[512];
			if (lg_sources_parse(&cfg->sources, val, err, sizeof(err)))
				return lg_flag_error("%s", err);
			cfg->source_text = val;
		} else if (!strcmp(name, "--method")) {
			/* RFC 9110 token: the request's parse would catch it too, but
			 * name the wrong thing less precisely */
			if (!val[0] || val[strspn(val, "!#$%&'*+-.^_`|~0123456789"
						       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						       "abcdefghijklmnopqrstuvwxyz")])
				return lg_flag_error(
					"%s: '%s' is not a method; allowed: a token such "
					"as GET, POST or PURGE (letters, digits, "
					"!#$%%&'*+-.^_`|~)",
					flag, val);
			cfg->method = val;
		} else if (!strcmp(name, "--header")) {
			if (cfg->nheaders == LG_MAX_HEADERS)
				return lg_flag_error("%s: more than %d headers", flag,
						     LG_MAX_HEADERS);
			if (!strchr(val, ':'))
				return lg_flag_error(
					"%s: '%s' has no colon; allowed: 'Name: value'", flag, val);
			cfg->headers[cfg->nheaders++] = val;
		} else if (!strcmp(name, "--cpus")) {
			rc = lg_flag_cpus(cfg, val);
		} else if (!strcmp(name, "--warmup")) {
			rc = lg_flag_duration(flag, val, 0, &cfg->warmup_ns);
		} else if (!strcmp(name, "--ramp")) {
			rc = lg_flag_duration(flag, val, 0, &cfg->ramp_ns);
		} else if (!strcmp(name, "--timeout")) {
			rc = lg_flag_duration(flag, val, 1000000, &cfg->timeout_ns);
		} else if (!strcmp(name, "--body")) {
			if (cfg->body)
				return lg_flag_error("--body and --body-file: give one body");
			cfg->body = val;
			cfg->body_len = strlen(val);
		} else if (!strcmp(name, "--body-file")) {
			if (cfg->body)
				return lg_flag_error("--body and --body-file: give one body");
			rc = lg_read_file(val, &cfg->body_owned, &cfg->body_len);
			cfg->body = cfg->body_owned;
		} else if (!strcmp(name, "--json")) {
			cfg->json_path = val;
		} else if (!strcmp(name, "--hgrm")) {
			cfg->hgrm_path = val;
		} else if (!strcmp(name, "--hlog")) {
			cfg->hlog_path = val;
		} else if (!strcmp(name, "--start-at")) {
			rc = lg_flag_start_at(val, &cfg->start_at);
		} else if (!strcmp(name, "--sni")) {
			if (!val[0] || strlen(val) > 253 ||
			    val[strspn(val, "abcdefghijklmnopqrstuvwxyz"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")])
				return lg_flag_error(
					"--sni: '%s' is not a host name; allowed: letters, "
					"digits, '-' and '.', up to 253",
					val);
			cfg->sni = val;
			tls_given[2] = name;
		} else if (!strcmp(name, "--tls-min")) {
			rc = lg_flag_tls_version(name, val, &cfg->tls_min);
			tls_given[3] = name;
		} else if (!strcmp(name, "--tls-max")) {
			rc = lg_flag_tls_version(name, val, &cfg->tls_max);
			tls_given[4] = name;
		} else if (!strcmp(name, "--ciphers")) {
			cfg->ciphers = val;
			tls_given[5] = name;
		} else if (!strcmp(name, "--tls13-ciphersuites")) {
			cfg->ciphersuites = val;
			tls_given[6] = name;
		} else if (!strcmp(name, "--cacert")) {
			if (access(val, R_OK))
				return lg_flag_error("--cacert: '%s': %s", val, strerror(errno));
			cfg->cafile = val;
			tls_given[7] = name;
		}
		if (rc)
			return rc;
	}

	if (cfg->nurls == 0)
		return lg_flag_error("no URL given; usage: rbload [options] http://HOST:PORT/PATH");
	if ((rc = lg_tls_check(cfg, tls_given, sizeof(tls_given) / sizeof(tls_given[0]))))
		return rc;
	uint32_t mix = 0;
	for (uint32_t k = 0; k < cfg->nurls; k++)
		mix += cfg->urls[k].weight;
	if (mix > LG_MAX_MIX)
		return lg_flag_error("the URL weights add up to %u; allowed: at most %d", mix,
				     LG_MAX_MIX);
	if (cfg->requests && !duration_given)
		cfg->duration_ns = 0; /* -n alone: until N responses */
	if (!cfg->method)
		cfg->method = cfg->body ? "POST" : "GET";
	if (close_mode && cfg->rate > 0)
		return lg_flag_error("--close and -R: choose one mode");
	if (close_mode && pipeline_given && cfg->pipeline > 1)
		return lg_flag_error("--close sends one request per connection; -p must be 1");
	if (close_mode && cfg->conn_requests)
		return lg_flag_error("--close is --conn-requests 1: give one of them");
	if (close_mode)
		cfg->conn_requests = 1;
	if (cfg->addrlen && cfg->sources.family && cfg->sources.family != cfg->addr.ss_family)
		return lg_flag_error("--source gives %s addresses but %s is %s; allowed: "
				     "addresses of the server's family",
				     cfg->sources.family == AF_INET ? "IPv4" : "IPv6",
				     cfg->host_name,
				     cfg->addr.ss_family == AF_INET ? "IPv4" : "IPv6");
	cfg->mode = close_mode ? LG_MODE_CLOSE : cfg->rate > 0 ? LG_MODE_OPEN : LG_MODE_CLOSED;

	if (!cfg->cpus_given) {
		int n = rb_cpu_count();
		cfg->ncpus = (uint32_t)(n > LG_MAX_CPUS ? LG_MAX_CPUS : n);
		for (uint32_t k = 0; k < cfg->ncpus; k++)
			cfg->cpus[k] = rb_cpu_nth((int)k);
	}
	if (!threads_given)
		cfg->threads = cfg->ncpus;
	if (cfg->threads > cfg->connections) {
		if (threads_given)
			return lg_flag_error("-t %u is more than -c %u; each thread needs a "
					     "connection",
					     cfg->threads, cfg->connections);
		cfg->threads = cfg->connections;
	}
	if (cfg->progress < 0)
		cfg->progress = isatty(STDERR_FILENO);
	return 0;
}

int lg_config_resolve(lg_config *cfg, char *err, size_t errlen)
{
	if (!cfg->addrlen) {
		int family = cfg->sources.family ? cfg->sources.family : AF_UNSPEC;
		if (lg_url_resolve(cfg->host_name, cfg->port, family, &cfg->addr, &cfg->addrlen,
				   err, errlen))
			return -1;
		cfg->resolved = 1;
	}
	lg_addr_text(&cfg->addr, cfg->address, sizeof(cfg->address));
	if (cfg->resolved)
		snprintf(cfg->peer, sizeof(cfg->peer), "%s:%d (%s)", cfg->host_name, cfg->port,
			 cfg->address);
	else
		snprintf(cfg->peer, sizeof(cfg->peer), "%s", cfg->address);
	return 0;
}

void lg_config_free(lg_config *cfg)
{
	free(cfg->body_owned);
	cfg->body_owned = NULL;
}
