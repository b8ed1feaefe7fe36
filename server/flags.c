/* Command-line flags: defaults, ranges, --help and the exact error messages. */
#include "config.h"

#include "ringparse.h"
#include "rb_cpu.h"
#include "rb_num.h"
#include "rb_tls.h"
#include "rb_version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void srv_usage(FILE *f)
{
	fprintf(f,
		"Usage: rbserver --port P [--root DIR] [options]\n"
		"\n"
		"io_uring thread-per-core HTTP/1.1 server (ringbench %s).\n"
		"\n"
		"Endpoints: /plaintext, /json, /bytes/N, /echo (POST), /stats; see docs/server.md.\n"
		"\n"
		"Options:\n"
		"  --port P               TCP port, 0 to 65535; 0 lets the kernel pick one, and the\n"
		"                         'listening on ... port N' line on stderr names it\n"
		"  --root DIR             serve the files under DIR (GET, HEAD, ranges, conditional\n"
		"                         requests) at every path no endpoint claims\n"
		"  --bind ADDR            IPv4 or IPv6 address to listen on (default 0.0.0.0)\n"
		"  --threads N            worker threads, 1 to 1024 (default: CPUs this process may\n"
		"                         use, here %d); each is pinned to one CPU\n"
		"  --parser V             ringparse variant: one of `rbparse variants` (default: the\n"
		"                         fastest this CPU runs)\n"
		"  --max-conns N          open connections per worker, 1 to 1000000 (default 16384)\n"
		"  --max-header-bytes N   request line + header block, 256 to 1048576 (default 65536)\n"
		"  --max-body N           request body bytes, 0 to 1073741824 (default 1048576);\n"
		"                         larger bodies get 413 and the connection is closed\n"
		"  --header-timeout S     seconds to receive a whole header block (default 10)\n"
		"  --idle-timeout S       seconds a keep-alive connection may sit idle (default 60)\n"
		"  --body-timeout S       seconds without progress while reading a body (default 30)\n"
		"  --write-timeout S      seconds a response may wait for the client to take any of\n"
		"                         it; then the connection is reset (default 30)\n"
		"                         (timeouts: 1 to 86400)\n"
		"  --recv-buffers N       provided receive buffers per worker, a power of two,\n"
		"                         1 to 32768 (default 1024)\n"
		"  --recv-buffer-size B   bytes per receive buffer, 64 to 1048576 (default 4096)\n"
		"  --file-cache-entries N static files kept open per worker, 0 to 1000000; each\n"
		"                         holds a descriptor; 0 opens every file on every request\n"
		"                         (default 1024)\n"
		"  --file-cache-bytes B   bytes of small files' responses kept in memory per\n"
		"                         worker, 0 to 1099511627776 (default 67108864)\n"
		"  --file-cache-inline B  files up to B bytes are kept whole in memory and sent\n"
		"                         with the batch; larger ones are sent from the file\n"
		"                         with sendfile, 0 to 16777216 (default 16384)\n"
		"                         (cached files are checked again once a second)\n"
		"  --tls-cert FILE        serve HTTPS: the certificate chain (PEM, leaf first);\n"
		"                         needs --tls-key; TLS 1.2 and 1.3, ALPN http/1.1\n"
		"  --tls-key FILE         the certificate's private key (PEM)\n"
		"  --no-tls-tickets       no session tickets (so no resumption)\n"
		"  --tls-min V            lowest TLS version accepted: 1.2 or 1.3 (default 1.2)\n"
		"  --tls-max V            highest TLS version accepted: 1.2 or 1.3 (default 1.3)\n"
		"  --ciphers LIST         TLS 1.2 cipher list (OpenSSL syntax, e.g.\n"
		"                         ECDHE-RSA-AES128-GCM-SHA256); a list OpenSSL refuses is\n"
		"                         a command-line error, with OpenSSL's reason\n"
		"  --tls13-ciphersuites LIST  TLS 1.3 suites (TLS_AES_128_GCM_SHA256:...), the\n"
		"                         same way; the TLS flags need --tls-cert\n"
		"  -h, --help             print this text\n"
		"  --version              print the version\n"
		"\n"
		"Runs in the foreground, logs to stderr, exits 0 on SIGINT or SIGTERM after\n"
		"finishing in-flight responses. Exit status 2: bad command line; 1: start-up failed.\n",
		RB_VERSION, rb_cpu_count());
}

static int srv_flag_error(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "rbserver: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, " (see rbserver --help)\n");
	return 2;
}

/* A whole number in [lo, hi] (rb_parse_u64), refused in every program's words:
 * "rbserver: FLAG 'VALUE': expected an integer from LO to HI (see rbserver --help)". */
static int srv_flag_u64(const char *flag, const char *val, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (rb_parse_u64(val, lo, hi, out) == 0)
		return 0;
	char msg[RB_NUM_MSG_SIZE];
	rb_num_range_msg(msg, sizeof(msg), flag, val, lo, hi);
	return srv_flag_error("%s%s", msg, "");
}

static int srv_flag_u32(const char *flag, const char *val, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v;
	int rc = srv_flag_u64(flag, val, lo, hi, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int srv_check_parser(const char *name)
{
	const rp_variant *v = rp_variant_by_name(name);
	char list[256] = "";
	size_t used = 0;
	for (const rp_variant *const *p = rp_variants_all(); *p; p++) {
		if (!(*p)->supported())
			continue;
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
				 (*p)->name);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	if (!v)
		return srv_flag_error("--parser: unknown variant '%s'; allowed on this CPU: %s",
				      name, list);
	if (!v->supported())
		return srv_flag_error("--parser: this CPU cannot run variant '%s'; allowed: %s",
				      name, list);
	if (rp_variant_select(name) != 0)
		return srv_flag_error("--parser: variant '%s' could not be selected; allowed: %s",
				      name, list);
	return 0;
}

int srv_config_parse(srv_config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind = "0.0.0.0";
	cfg->port = -1;
	cfg->threads = rb_cpu_count();
	cfg->max_conns = 16384;
	cfg->max_header_bytes = 65536;
	cfg->max_body = 1048576;
	cfg->header_timeout_s = 10;
	cfg->idle_timeout_s = 60;
	cfg->body_timeout_s = 30;
	cfg->write_timeout_s = 30;
	cfg->recv_buffers = 1024;
	cfg->recv_buffer_size = 4096;
	cfg->file_cache_entries = 1024;
	cfg->file_cache_bytes = 64u << 20;
	cfg->file_cache_inline = 16384;
	const char *tls_given = NULL; /* a TLS flag seen (the last), which needs --tls-cert */

	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		if (!strcmp(flag, "-h") || !strcmp(flag, "--help")) {
			srv_usage(stdout);
			return 1;
		}
		if (!strcmp(flag, "--version")) {
			printf("rbserver %s (%s%s)\n", RB_VERSION, RB_GIT_COMMIT,
			       RB_GIT_DIRTY ? ", modified" : "");
			return 1;
		}
		if (!strcmp(flag, "--no-tls-tickets")) {
			cfg->no_tls_tickets = 1;
			continue;
		}
		if (strncmp(flag, "--", 2) != 0)
			return srv_flag_error("unexpected argument '%s'%s; flags start with --",
					      flag, "");
		/* Every other flag takes a value: --flag VALUE or --flag=VALUE. */
		const char *val;
		char name[64];
		const char *eq = strchr(flag, '=');
		if (eq) {
			size_t n = (size_t)(eq - flag);
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, flag, n);
			name[n] = '\0';
			flag = name;
			val = eq + 1;
		} else {
			val = i + 1 < argc ? argv[i + 1] : NULL;
		}
		uint64_t v;
		int rc = 0;
		int known = 1;
		if (!strcmp(flag, "--port") || !strcmp(flag, "--root") || !strcmp(flag, "--bind") ||
		    !strcmp(flag, "--threads") || !strcmp(flag, "--parser") ||
		    !strcmp(flag, "--max-conns") || !strcmp(flag, "--max-header-bytes") ||
		    !strcmp(flag, "--max-body") || !strcmp(flag, "--header-timeout") ||
		    !strcmp(flag, "--idle-timeout") || !strcmp(flag, "--body-timeout") ||
		    !strcmp(flag, "--write-timeout") || !strcmp(flag, "--recv-buffers") ||
		    !strcmp(flag, "--recv-buffer-size") || !strcmp(flag, "--file-cache-entries") ||
		    !strcmp(flag, "--file-cache-bytes") || !strcmp(flag, "--file-cache-inline") ||
		    !strcmp(flag, "--tls-cert") || !strcmp(flag, "--tls-key") ||
		    !strcmp(flag, "--tls-min") || !strcmp(flag, "--tls-max") ||
		    !strcmp(flag, "--ciphers") || !strcmp(flag, "--tls13-ciphersuites")) {
			if (!val)
				return srv_flag_error("%s needs a value%s", flag, "");
		} else {
			known = 0;
		}
		if (!known)
			return srv_flag_error("unknown flag '%s'%s", flag, "");
		if (!eq)
			i++;

		if (!strcmp(flag, "--port")) {
			rc = srv_flag_u64(flag, val, 0, 65535, &v);
			cfg->port = (int)v;
		} else if (!strcmp(flag, "--root")) {
			struct stat st;
			if (stat(val, &st) != 0)
				return srv_flag_error("--root: '%s': %s", val, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return srv_flag_error("--root: '%s' is not a directory%s", val, "");
			cfg->root = val;
		} else if (!strcmp(flag, "--bind")) {
			unsigned char addr[16];
			if (inet_pton(AF_INET, val, addr) != 1 &&
			    inet_pton(AF_INET6, val, addr) != 1)
				return srv_flag_error(
					"--bind: '%s' is not an IPv4 or IPv6 address%s; "
					"allowed: a literal such as 127.0.0.1 or ::1",
					val, "");
			cfg->bind = val;
		} else if (!strcmp(flag, "--threads")) {
			rc = srv_flag_u64(flag, val, 1, 1024, &v);
			cfg->threads = (int)v;
		} else if (!strcmp(flag, "--parser")) {
			rc = srv_check_parser(val);
		} else if (!strcmp(flag, "--max-conns")) {
			rc = srv_flag_u32(flag, val, 1, SRV_MAX_CONNS_LIMIT, &cfg->max_conns);
		} else if (!strcmp(flag, "--max-header-bytes")) {
			rc = srv_flag_u32(flag, val, 256, 1048576, &cfg->max_header_bytes);
		} else if (!strcmp(flag, "--max-body")) {
			rc = srv_flag_u64(flag, val, 0, 1073741824, &cfg->max_body);
		} else if (!strcmp(flag, "--header-timeout")) {
			rc = srv_flag_u32(flag, val, 1, 86400, &cfg->header_timeout_s);
		} else if (!strcmp(flag, "--idle-timeout")) {
			rc = srv_flag_u32(flag, val, 1, 86400, &cfg->idle_timeout_s);
		} else if (!strcmp(flag, "--body-timeout")) {
			rc = srv_flag_u32(flag, val, 1, 86400, &cfg->body_timeout_s);
		} else if (!strcmp(flag, "--write-timeout")) {
			rc = srv_flag_u32(flag, val, 1, 86400, &cfg->write_timeout_s);
		} else if (!strcmp(flag, "--recv-buffers")) {
			rc = srv_flag_u32(flag, val, 1, 32768, &cfg->recv_buffers);
			if (!rc && (cfg->recv_buffers & (cfg->recv_buffers - 1)))
				return srv_flag_error("--recv-buffers: %s is not a power of two%s; "
						      "allowed: 1, 2, 4, ... 32768",
						      val, "");
		} else if (!strcmp(flag, "--recv-buffer-size")) {
			rc = srv_flag_u32(flag, val, 64, 1048576, &cfg->recv_buffer_size);
		} else if (!strcmp(flag, "--file-cache-entries")) {
			rc = srv_flag_u32(flag, val, 0, 1000000, &cfg->file_cache_entries);
		} else if (!strcmp(flag, "--file-cache-bytes")) {
			rc = srv_flag_u64(flag, val, 0, 1ull << 40, &cfg->file_cache_bytes);
		} else if (!strcmp(flag, "--file-cache-inline")) {
			rc = srv_flag_u64(flag, val, 0, 16u << 20, &cfg->file_cache_inline);
		} else if (!strcmp(flag, "--tls-cert")) {
			cfg->tls_cert = val; /* read (and checked) at start-up: exit 1 */
		} else if (!strcmp(flag, "--tls-key")) {
			cfg->tls_key = val;
		} else if (!strcmp(flag, "--tls-min") || !strcmp(flag, "--tls-max")) {
			int *out = flag[7] == 'i' ? &cfg->tls_min : &cfg->tls_max;
			if (rb_tls_version_parse(val, out))
				return srv_flag_error("%s: '%s' is not a TLS version; allowed: 1.2 "
						      "or 1.3",
						      flag, val);
			tls_given = flag[7] == 'i' ? "--tls-min" : "--tls-max";
		} else if (!strcmp(flag, "--ciphers")) {
			cfg->tls_ciphers = val; /* checked by OpenSSL at start-up: exit 2 */
			tls_given = "--ciphers";
		} else if (!strcmp(flag, "--tls13-ciphersuites")) {
			cfg->tls_ciphersuites = val;
			tls_given = "--tls13-ciphersuites";
		}
		if (rc)
			return rc;
	}
	if (cfg->port < 0)
		return srv_flag_error("--port is required%s%s; allowed: 0 to 65535", "", "");
	if (!cfg->tls_cert != !cfg->tls_key)
		return srv_flag_error("%s needs %s too", cfg->tls_cert ? "--tls-cert" : "--tls-key",
				      cfg->tls_cert ? "--tls-key" : "--tls-cert");
	if (!cfg->tls_cert && (tls_given || cfg->no_tls_tickets))
		return srv_flag_error("%s needs --tls-cert and --tls-key%s; allowed: TLS flags "
				      "only when serving HTTPS",
				      tls_given ? tls_given : "--no-tls-tickets", "");
	if (cfg->tls_min && cfg->tls_max && cfg->tls_min > cfg->tls_max)
		return srv_flag_error("--tls-min %s is above --tls-max %s; allowed: a minimum at "
				      "most the maximum",
				      cfg->tls_min == RB_TLS_V1_3 ? "1.3" : "1.2",
				      cfg->tls_max == RB_TLS_V1_3 ? "1.3" : "1.2");
	return 0;
}
