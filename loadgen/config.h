/*
 * rbload's command line, parsed (lg_config_parse holds every flag, default and
 * range; docs/loadgen.md is the user's reference).
 */
#ifndef LG_CONFIG_H
#define LG_CONFIG_H

#include "source.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* -c: connections in all, so at most this many on one worker (-t 1); each
 * is named by its index in user_data's slot field (lg_ud). */
#define LG_MAX_CONNECTIONS 1000000u
#define LG_MAX_URLS 64
#define LG_MAX_HEADERS 64
#define LG_MAX_CPUS 1024
#define LG_MAX_PIPELINE 1024
#define LG_MAX_MIX 4096 /* sum of the URL weights */

enum lg_mode {
	LG_MODE_CLOSED = 0, /* as fast as the server answers */
	LG_MODE_OPEN,       /* -R: a fixed schedule, latency from the due time */
	LG_MODE_CLOSE,      /* --close: one request per connection, latency from connect */
};

/* --slow-send and --slow-recv: bytes per second per connection, at most. */
#define LG_MAX_SLOW_BPS 10000000u

typedef struct lg_url {
	const char *text; /* as given, without the @weight */
	const char *path; /* path and query, "/" when the URL has none */
	uint32_t weight;
} lg_url;

typedef struct lg_config {
	lg_url urls[LG_MAX_URLS];
	uint32_t nurls;
	char host[300]; /* the Host header value: host[:port] as in the URL */
	char peer[600]; /* "127.0.0.1:8080", "[::1]:8080", "name:80 (10.0.0.1:80)" for messages */
	char host_name[256]; /* the URL's host, without brackets */
	int port;
	int resolved;     /* host_name was a name that lg_config_resolve looked up */
	char address[64]; /* the address connected to: "10.0.0.1:80" */
	struct sockaddr_storage addr;
	socklen_t addrlen;       /* 0 until a host name is resolved */
	lg_sources sources;      /* --source; family 0: the kernel picks */
	const char *source_text; /* --source as given */

	/* https:// (rb_tls; docs/tls.md): the flags as given, a context made from
	 * them once (lg_run.tls) */
	int tls;                  /* the URLs are https:// */
	const char *sni;          /* --sni; NULL: the URL's host */
	int tls_min, tls_max;     /* --tls-min/--tls-max: RB_TLS_V1_2 or _V1_3; 0: OpenSSL's */
	const char *ciphers;      /* --ciphers (TLS 1.2, OpenSSL syntax) */
	const char *ciphersuites; /* --tls13-ciphersuites */
	int insecure;             /* -k/--insecure: no verification */
	const char *cafile;       /* --cacert: trust these instead of the system store */
	int tls_resume;           /* --tls-resume: reconnects offer the saved ticket */

	uint32_t connections;
	uint32_t threads;
	int cpus[LG_MAX_CPUS];
	uint32_t ncpus;
	int cpus_given; /* --cpus (else the affinity mask) */

	uint64_t duration_ns; /* 0: no time limit (-n alone) */
	uint64_t requests;    /* -n, 0: none */
	uint32_t pipeline;
	double rate;               /* -R, 0: closed loop */
	int mode;                  /* enum lg_mode */
	double conn_rate;          /* --conn-rate: new connections per second in all; 0: no cap */
	uint64_t conn_requests;    /* --conn-requests: responses per connection; 0: no limit */
	uint32_t slow_send_bps;    /* --slow-send; 0: full speed */
	uint32_t slow_recv_bps;    /* --slow-recv; 0: full speed */
	uint32_t recv_buffers;     /* --recv-buffers: provided buffers per thread, a power of two */
	uint32_t recv_buffer_size; /* --recv-buffer-size: bytes each */
	uint64_t warmup_ns, ramp_ns, timeout_ns;

	const char *method;
	const char *headers[LG_MAX_HEADERS];
	uint32_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	char *body_owned; /* --body-file contents */

	const char *json_path; /* NULL, or "-" for stdout */
	const char *hgrm_path;
	const char *hlog_path; /* --hlog: HdrHistogram interval log, one line per second */
	double start_at;       /* --start-at: the window starts then (epoch s); 0: at once */
	int keep_intervals;    /* not a flag: keep every second's histograms as --hlog does,
				* without the file (rbload-mpi sums them over its ranks) */
	int quiet;
	int progress; /* -1: decide by isatty(stderr) */
} lg_config;

/* Parse argv.  Returns 0 to run, 1 when --help or --version printed what was
 * asked (exit 0), 2 after printing an error to stderr (exit 2). */
int lg_config_parse(lg_config *cfg, int argc, char **argv);
void lg_config_free(lg_config *cfg);

/* Resolve the URL's host name once (getaddrinfo), of --source's family.
 * Returns 0, or -1 with the message in err (the server cannot be reached). */
int lg_config_resolve(lg_config *cfg, char *err, size_t errlen);

/* --start-at: a start more than this far in the past is refused. */
#define LG_START_LATE_S 0.5
/* ... and one more than this far ahead (a mistake, surely). */
#define LG_START_AHEAD_S 86400.0

/* Parse a duration: a number with us, ms, s, m or h (bare: seconds) into ns.
 * Returns 0 or -1. */
int lg_parse_duration(const char *s, uint64_t *ns);

/* The wall clock (CLOCK_REALTIME) in seconds since the epoch, and such a time
 * as "2026-01-01T00:00:00.500Z". */
double lg_wall_now(void);
void lg_fmt_epoch(double t, char *buf, size_t len);

#endif
