/*
 * rbload's command line, parsed (lg_config_parse holds every flag, default and
 * range; docs/loadgen.md is the user's reference).
 */
#ifndef LG_CONFIG_H
#define LG_CONFIG_H

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
	LG_MODE_CLOSE,      /* --close: one request per connection */
};

typedef struct lg_url {
	const char *text; /* as given, without the @weight */
	const char *path; /* path and query, "/" when the URL has none */
	uint32_t weight;
} lg_url;

typedef struct lg_config {
	lg_url urls[LG_MAX_URLS];
	uint32_t nurls;
	char host[300]; /* the Host header value: host[:port] as in the URL */
	char peer[300]; /* "127.0.0.1:8080", "[::1]:8080" for messages */
	struct sockaddr_storage addr;
	socklen_t addrlen;

	uint32_t connections;
	uint32_t threads;
	int cpus[LG_MAX_CPUS];
	uint32_t ncpus;
	int cpus_given; /* --cpus (else the affinity mask) */

	uint64_t duration_ns; /* 0: no time limit (-n alone) */
	uint64_t requests;    /* -n, 0: none */
	uint32_t pipeline;
	double rate; /* -R, 0: closed loop */
	int mode;    /* enum lg_mode */
	uint64_t warmup_ns, ramp_ns, timeout_ns;

	const char *method;
	const char *headers[LG_MAX_HEADERS];
	uint32_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	char *body_owned; /* --body-file contents */

	const char *json_path; /* NULL, or "-" for stdout */
	const char *hgrm_path;
	int quiet;
	int progress; /* -1: decide by isatty(stderr) */
} lg_config;

/* Parse argv.  Returns 0 to run, 1 when --help or --version printed what was
 * asked (exit 0), 2 after printing an error to stderr (exit 2). */
int lg_config_parse(lg_config *cfg, int argc, char **argv);
void lg_config_free(lg_config *cfg);

/* Parse a duration: a number with us, ms, s, m or h (bare: seconds) into ns.
 * Returns 0 or -1. */
int lg_parse_duration(const char *s, uint64_t *ns);

#endif
