/*
 * rbserver: flags, listening sockets, workers, signals.
 *
 * The main thread creates every worker's SO_REUSEPORT listening socket (the
 * first one picks the port when --port 0), starts one pinned worker per CPU,
 * then sleeps in sigwaitinfo() until SIGINT or SIGTERM, when it asks each
 * worker to stop through the worker's eventfd and joins them.  Signals are
 * blocked in every thread, so no handler ever runs inside the event loops.
 */
#include "config.h"
#include "endpoints.h"
#include "worker.h"
#include "worker_state.h"

#include "rb_cpu.h"
#include "rb_faults.h"
#include "rb_listen.h"
#include "rb_log.h"
#include "rb_signals.h"
#include "rb_tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* --tls-cert: the one server context every worker's sessions come from
 * (SSL_CTX is safe to share for creating sessions; one context, one ticket
 * key, so a ticket resumes on any worker), and the path the records take.
 * Returns 0; 1 after logging the file and OpenSSL's reason; 2 when OpenSSL
 * refuses a flag's value (a cipher list), named as rbload names it. */
static int srv_tls_setup(srv_server *s)
{
	if (!s->cfg.tls_cert)
		return 0;
	rb_tls_opts o = {.min_version = s->cfg.tls_min,
			 .max_version = s->cfg.tls_max,
			 .ciphers = s->cfg.tls_ciphers,
			 .ciphersuites = s->cfg.tls_ciphersuites,
			 .no_tickets = s->cfg.no_tls_tickets,
			 .ktls = rb_tls_ktls_available()};
	char err[512];
	s->tls_ctx = rb_tls_server_ctx_new(s->cfg.tls_cert, s->cfg.tls_key, &o, err, sizeof(err));
	if (!s->tls_ctx) {
		const char *flag = !strncmp(err, "TLS 1.2 cipher", 14)   ? "--ciphers: "
				   : !strncmp(err, "TLS 1.3 cipher", 14) ? "--tls13-ciphersuites: "
				   : !strncmp(err, "TLS versions", 12) ||
						   !strncmp(err, "TLS minimum", 11)
					   ? "--tls-min/--tls-max: "
					   : "";
		if (flag[0]) {
			fprintf(stderr, "rbserver: %s%s (see rbserver --help)\n", flag, err);
			return 2;
		}
		rb_log("%s", err);
		return 1;
	}
	char why[256] = "";
	if (!o.ktls)
		rb_tls_ktls_probe("/proc/sys/net/ipv4/tcp_available_ulp", rb_faults(), why,
				  sizeof(why));
	/* Per connection, /stats counts which path each took (tls_ktls_tx,
	 * tls_ktls_refused, tls_ktls_rx, tls_ktls_rx_refused): the kernel may
	 * refuse a suite, or the ULP. */
	if (!o.ktls)
		snprintf(s->tls_mode, sizeof(s->tls_mode), "user space, no kTLS: %s", why);
	else if (rb_faults() & RB_FAULT_KTLS_TRY)
		snprintf(s->tls_mode, sizeof(s->tls_mode),
			 "kTLS TX tried (RB_FAULTS=ktls-try), then RX once the receive ended");
	else
		snprintf(s->tls_mode, sizeof(s->tls_mode),
			 "kTLS TX after the handshake (TLS 1.3), then RX once the receive ended");
	/* Said in /stats' JSON as is: no quotes or backslashes. */
	for (char *p = s->tls_mode; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	return 0;
}

static void srv_stop_all(srv_server *s)
{
	for (int i = 0; i < s->nworkers; i++) {
		srv_worker *w = &s->workers[i];
		if (w->event_fd >= 0 && eventfd_write(w->event_fd, 1) != 0)
			rb_log("worker %d: cannot signal it to stop: %s", i, strerror(errno));
	}
}

int main(int argc, char **argv)
{
	rb_log_set_program("rbserver");
	srv_server s;
	memset(&s, 0, sizeof(s));
	int rc = srv_config_parse(&s.cfg, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	srv_endpoints_init();

	if (rb_faults_init())
		return 2;
	/* Blocked here, inherited by every worker: only sigwaitinfo sees them. */
	sigset_t set;
	rb_signals_block(&set);

	if ((rc = srv_tls_setup(&s)))
		return rc;
	s.nworkers = s.cfg.threads;
	s.workers = calloc((size_t)s.nworkers, sizeof(*s.workers));
	s.stats = calloc((size_t)s.nworkers, sizeof(*s.stats));
	if (!s.workers || !s.stats) {
		rb_log("out of memory");
		rb_tls_ctx_free(s.tls_ctx);
		free(s.workers);
		free(s.stats);
		return 1;
	}
	int port = s.cfg.port;
	for (int i = 0; i < s.nworkers; i++) {
		srv_worker *w = &s.workers[i];
		w->id = i;
		w->cpu = rb_cpu_nth(i);
		w->cfg = &s.cfg;
		w->server = &s;
		w->event_fd = -1;
		s.stats[i] = (srv_stats_ref){.id = i, .cpu = w->cpu, .stats = &w->stats};
		/* SO_REUSEPORT: every worker's socket on one port (the first
		 * one picks it when --port 0); the kernel spreads connections. */
		w->listen_fd = rb_listen(s.cfg.bind, port, 1, &port);
		if (w->listen_fd < 0) {
			rb_log("cannot listen on %s port %d: %s", s.cfg.bind, port,
			       strerror(-w->listen_fd));
			for (int j = 0; j < i; j++)
				close(s.workers[j].listen_fd);
			rb_tls_ctx_free(s.tls_ctx);
			free(s.workers);
			free(s.stats);
			return 1;
		}
		/* Inherited by every accepted socket: the kernel holds at most
		 * this much not yet sent, so a send completes as the client reads
		 * (--write-timeout sees a slow but steady reader make progress)
		 * and a reader that stops pins this much, not megabytes. */
		int lowat = SRV_NOTSENT_LOWAT;
		if (setsockopt(w->listen_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)))
			rb_log("TCP_NOTSENT_LOWAT refused (%s): a slow reader's progress shows "
			       "only every few megabytes",
			       strerror(errno));
	}

	pthread_barrier_init(&s.ready, NULL, (unsigned)s.nworkers + 1);
	int started = 0;
	for (; started < s.nworkers; started++) {
		rc = pthread_create(&s.workers[started].thread, NULL, srv_worker_main,
				    &s.workers[started]);
		if (rc) {
			rb_log("cannot start worker %d: %s", started, strerror(rc));
			break;
		}
	}
	int ok = started == s.nworkers;
	if (!ok) {
		/* The barrier counts every worker: stand in for the missing ones. */
		for (int i = started; i < s.nworkers; i++) {
			s.workers[i].setup_rc = -1;
			pthread_barrier_wait(&s.ready);
		}
	}
	pthread_barrier_wait(&s.ready);
	for (int i = 0; i < started; i++)
		if (s.workers[i].setup_rc)
			ok = 0;

	if (ok) {
		rb_log("listening on %s port %d: %d workers, parser %s%s%s", s.cfg.bind, port,
		       s.nworkers, rp_variant_current()->name, s.tls_ctx ? ", tls: " : "",
		       s.tls_ctx ? s.tls_mode : "");
		int sig;
		do {
			sig = sigwaitinfo(&set, NULL);
		} while (sig < 0 && errno == EINTR);
		rb_log("%s: finishing in-flight responses", sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	srv_stop_all(&s);
	int status = ok ? 0 : 1;
	for (int i = 0; i < started; i++) {
		pthread_join(s.workers[i].thread, NULL);
		if (s.workers[i].exit_rc)
			status = 1;
		/* Closed here, not by the worker: srv_stop_all may have been
		 * writing it while a worker that failed to start tore down. */
		if (s.workers[i].event_fd >= 0)
			close(s.workers[i].event_fd);
	}
	for (int i = started; i < s.nworkers; i++)
		close(s.workers[i].listen_fd);
	pthread_barrier_destroy(&s.ready);
	free(s.workers);
	free(s.stats);
	rb_tls_ctx_free(s.tls_ctx);
	if (status == 0)
		rb_log("stopped");
	return status;
}
