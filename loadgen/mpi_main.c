/*
 * rbload-mpi: rbload run as one over MPI ranks, one rbload process per rank
 * (docs/distributed.md):
 *
 *	mpirun --hostfile hosts --map-by ppr:1:node --bind-to none rbload-mpi -c 1024 -d 30s URL
 *
 * rbload's flags, and --hlog-per-rank PREFIX.  -c, -R and -n are totals
 * shared out over the ranks (the remainder to the low ranks; -R in proportion
 * to each rank's connections, and each rank's open-loop schedule shifted by
 * rank / R so that the ranks' requests interleave as one rbload's would).
 * Each rank opens its connections with the start held (drive.h); then the
 * ranks agree, in one collective, that every one of them did (if one did not,
 * rank 0 prints why and every rank stops: exit status 1, no rank left in a
 * barrier), pass a barrier, measure each rank's clock against rank 0's, and
 * take the window's start from rank 0 (its wall clock 250 ms and the warm-up
 * ahead, or --start-at), each rank waiting for that instant on its own clock,
 * corrected by the offset measured where that is larger than its error:
 * unsynchronised clocks do not move the start.  The window has no MPI traffic; the sums after it
 * are lg_mpi_finish's.  Only this (main) thread calls MPI: rbload's workers
 * never do (MPI_THREAD_FUNNELED).
 */
#include "mpi_reduce.h"

#include "rb_cpu.h"
#include "rb_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The window opens this long after rank 0 broadcasts its start: the workers
 * see the start on their next wake-up (within 100 ms, lg_scan's period), and
 * the broadcast has time to reach every rank. */
#define LG_MPI_MARGIN_S 0.25
#define LG_MPI_WHY 512 /* a rank's reason for not starting, as rank 0 prints it */
#define LG_MPI_PINGS 5 /* round trips per rank to measure its clock against rank 0's */
#define LG_TAG_PING 21

static void lg_mpi_usage(void)
{
	printf("Usage: mpirun [mpirun options] rbload-mpi [rbload options] URL...\n"
	       "\n"
	       "rbload over MPI ranks, one rbload process per rank, measured as one run\n"
	       "(docs/distributed.md):\n"
	       "  mpirun --hostfile hosts --map-by ppr:1:node --bind-to none rbload-mpi ...\n"
	       "  srun -N 4 --ntasks-per-node=1 --cpu-bind=none rbload-mpi ...\n"
	       "(as root, mpirun also needs --allow-run-as-root). Without --bind-to none,\n"
	       "Open MPI binds each rank to one core and rbload's threads share it.\n"
	       "\n"
	       "-c, -R and -n are totals, shared out over the ranks (the remainder to the low\n"
	       "ranks). Every rank opens its connections; once all have, the window starts at\n"
	       "the same instant on every rank (rank 0's clock, 250 ms ahead, or --start-at);\n"
	       "a rank that cannot open them stops the run, rank 0 saying why. Rank 0 prints\n"
	       "the summary (with a line per rank) and writes --json (with a `ranks` array),\n"
	       "--hgrm and --hlog for the whole run.\n"
	       "\n"
	       "rbload-mpi's own flag:\n"
	       "      --hlog-per-rank PREFIX  each rank also writes its own interval log,\n"
	       "                        PREFIX.RANK.hlog (on its host): rbload merge of them\n"
	       "                        gives the run's figures\n"
	       "\n"
	       "rbload's flags follow.\n\n");
	fflush(stdout);
}

/* hooks->configure: this rank's share of -c, -R, --conn-rate and -n. */
static int lg_mpi_share(void *arg, lg_config *cfg, char *why, size_t len)
{
	lg_mpi *m = arg;
	uint32_t n = (uint32_t)m->nranks, r = (uint32_t)m->rank;
	if (cfg->connections < n) {
		snprintf(why, len,
			 "rbload-mpi: -c %u is fewer than the %u ranks; allowed: at least one "
			 "connection per rank (see rbload-mpi --help)",
			 cfg->connections, n);
		return 2;
	}
	if (cfg->requests && cfg->requests < n) {
		snprintf(why, len,
			 "rbload-mpi: -n %llu is fewer than the %u ranks; allowed: at least one "
			 "request per rank (see rbload-mpi --help)",
			 (unsigned long long)cfg->requests, n);
		return 2;
	}
	m->cfg = cfg;
	m->total_connections = cfg->connections;
	m->total_requests = cfg->requests;
	m->total_rate = cfg->rate;
	uint32_t c = cfg->connections / n + (r < cfg->connections % n);
	if (cfg->requests)
		cfg->requests = cfg->requests / n + (r < cfg->requests % n);
	if (cfg->rate > 0)
		cfg->rate = cfg->rate * c / cfg->connections;
	/* --conn-rate is a total too ("at most R new connections per second"),
	 * shared as -R is. */
	if (cfg->conn_rate > 0)
		cfg->conn_rate = cfg->conn_rate * c / cfg->connections;
	cfg->connections = c;
	if (cfg->threads > c)
		cfg->threads = c;
	if (cfg->requests && cfg->threads > cfg->requests)
		cfg->threads = (uint32_t)cfg->requests;
	cfg->keep_intervals = 1; /* summed over the ranks for the series and --hlog */
	if (r) {
		/* rank 0 reports */
		cfg->quiet = 1;
		cfg->progress = 0;
		cfg->json_path = cfg->hgrm_path = cfg->hlog_path = NULL;
	}
	/* Bound to fewer CPUs than it has threads (mpirun's default binds a
	 * rank to one core), the threads share them: say so. */
	int allowed = rb_cpu_count();
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if ((int)cfg->threads > allowed)
		rb_log("warning: %u threads but %d CPU%s allowed (the affinity mask): they share "
		       "them; start the ranks unbound (mpirun --bind-to none, srun "
		       "--cpu-bind=none) or give fewer threads (-t)",
		       cfg->threads, allowed, allowed == 1 ? "" : "s");
	else if (!cfg->cpus_given && allowed == 1 && online > 1)
		rb_log("warning: bound to 1 CPU of %ld, so rbload runs 1 thread; start the ranks "
		       "unbound (mpirun --bind-to none, srun --cpu-bind=none) to use them all",
		       online);
	return 0;
}

static void lg_mpi_banner(void *arg, const lg_config *cfg)
{
	const lg_mpi *m = arg;
	printf("rbload-mpi: %s, %u connections over %d rank%s, %s%s\n", cfg->urls[0].text,
	       m->total_connections, m->nranks, m->nranks == 1 ? "" : "s",
	       cfg->mode == LG_MODE_OPEN    ? "open loop"
	       : cfg->mode == LG_MODE_CLOSE ? "Connection: close"
					    : "closed loop",
	       cfg->nurls > 1 ? " (a mix of URLs)" : "");
	if (cfg->resolved)
		printf("  %s is %s (on rank 0)\n", cfg->host_name, cfg->address);
}

/* Each rank's wall clock against rank 0's: rank 0 asks each rank its time
 * LG_MPI_PINGS times and keeps the answer with the shortest round trip
 * (Cristian's algorithm), then tells the rank.  The start is moved by the
 * offset only where it means something: on another host than rank 0's (one
 * host has one clock), and larger than its error, half the round trip. */
static void lg_mpi_clocks(lg_mpi *m)
{
	char host0[sizeof(m->host)];
	memcpy(host0, m->host, sizeof(host0));
	MPI_Bcast(host0, (int)sizeof(host0), MPI_CHAR, 0, m->comm);
	double res[2];
	if (m->rank) {
		for (int i = 0; i < LG_MPI_PINGS; i++) {
			double t;
			MPI_Recv(&t, 1, MPI_DOUBLE, 0, LG_TAG_PING, m->comm, MPI_STATUS_IGNORE);
			t = lg_wall_now();
			MPI_Send(&t, 1, MPI_DOUBLE, 0, LG_TAG_PING, m->comm);
		}
		MPI_Recv(res, 2, MPI_DOUBLE, 0, LG_TAG_PING, m->comm, MPI_STATUS_IGNORE);
		m->clock_offset_s = res[0];
		m->clock_rtt_s = res[1];
		m->clock_corrected = strcmp(host0, m->host) && fabs(res[0]) > res[1] / 2;
		return;
	}
	for (int r = 1; r < m->nranks; r++) {
		res[0] = 0;
		res[1] = INFINITY;
		for (int i = 0; i < LG_MPI_PINGS; i++) {
			double t1 = lg_wall_now(), t;
			MPI_Send(&t1, 1, MPI_DOUBLE, r, LG_TAG_PING, m->comm);
			MPI_Recv(&t, 1, MPI_DOUBLE, r, LG_TAG_PING, m->comm, MPI_STATUS_IGNORE);
			double t2 = lg_wall_now();
			if (t2 - t1 < res[1]) {
				res[1] = t2 - t1;
				res[0] = t - (t1 + t2) / 2;
			}
		}
		MPI_Send(res, 2, MPI_DOUBLE, r, LG_TAG_PING, m->comm);
	}
}

/* Rank 0: why the ranks that could not start could not, each reason once
 * with the ranks that gave it.  A reason that is a whole line already (a
 * command-line error, "rbload: ..." or "rbload-mpi: ...") is printed as it
 * is; "" (--help) is no reason. */
static void lg_mpi_say(const lg_mpi *m, const char *all)
{
	int n = 0, lines = 0;
	for (int r = 0; r < m->nranks; r++) {
		const char *w = all + (size_t)r * LG_MPI_WHY;
		if (!w[0])
			continue;
		n++;
		int first = 1, count = 0;
		for (int q = 0; q < m->nranks; q++) {
			if (strcmp(all + (size_t)q * LG_MPI_WHY, w))
				continue;
			first &= q >= r;
			count++;
		}
		if (!first)
			continue; /* said with an earlier rank */
		if (!strncmp(w, "rbload", 6)) {
			fprintf(stderr, "%s\n", w);
			continue;
		}
		lines++;
		if (count == m->nranks) {
			fprintf(stderr, "rbload-mpi: every rank: %s\n", w);
			continue;
		}
		fprintf(stderr, "rbload-mpi: rank%s", count > 1 ? "s" : "");
		for (int q = 0, k = 0; q < m->nranks; q++) {
			if (strcmp(all + (size_t)q * LG_MPI_WHY, w))
				continue;
			if (k++ == 8) {
				fprintf(stderr, " and %d more", count - 8);
				break;
			}
			fprintf(stderr, "%s %d", k > 1 ? "," : "", q);
		}
		fprintf(stderr, ": %s\n", w);
	}
	if (lines)
		fprintf(stderr, "rbload-mpi: %d of %d rank%s could not start: no rank ran\n", n,
			m->nranks, m->nranks == 1 ? "" : "s");
}

/* hooks->agree: every rank ready, or rank 0 says which are not and why. */
static int lg_mpi_agree(void *arg, const char *why, lg_start *st)
{
	lg_mpi *m = arg;
	const lg_config *cfg = m->cfg;
	char mine[LG_MPI_WHY] = "";
	double now = lg_wall_now();
	int bad = why != NULL;
	if (why) {
		snprintf(mine, sizeof(mine), "%s", why);
	} else if (m->rank == 0 && cfg && cfg->start_at > 0 &&
		   cfg->start_at < now - LG_START_LATE_S) {
		char when[64];
		lg_fmt_epoch(cfg->start_at, when, sizeof(when));
		snprintf(mine, sizeof(mine),
			 "--start-at %.3f (%s) passed %.3f s ago, while the ranks opened their "
			 "connections; give a later time",
			 cfg->start_at, when, now - cfg->start_at);
		bad = 1;
	}
	int any = 0;
	MPI_Request rq;
	MPI_Iallreduce(&bad, &any, 1, MPI_INT, MPI_MAX, m->comm, &rq);
	lg_mpi_wait(&rq);
	if (any) {
		char *all = NULL;
		if (m->rank == 0) {
			all = calloc((size_t)m->nranks, LG_MPI_WHY);
			if (!all) {
				fprintf(stderr,
					"rbload-mpi: some rank cannot run (and rank 0 has no "
					"memory to say which)\n");
				MPI_Abort(m->comm, 1);
			}
		}
		MPI_Igather(mine, LG_MPI_WHY, MPI_CHAR, all, LG_MPI_WHY, MPI_CHAR, 0, m->comm, &rq);
		lg_mpi_wait(&rq);
		if (m->rank == 0)
			lg_mpi_say(m, all);
		free(all);
		return -1;
	}
	MPI_Ibarrier(m->comm, &rq);
	lg_mpi_wait(&rq);
	lg_mpi_clocks(m);
	double at = cfg->start_at;
	if (m->rank == 0 && !(at > 0)) {
		/* whole milliseconds: the logs' StartTime says it exactly */
		at = ceil((lg_wall_now() + LG_MPI_MARGIN_S + (double)cfg->warmup_ns / 1e9) * 1e3) /
		     1e3;
	}
	MPI_Bcast(&at, 1, MPI_DOUBLE, 0, m->comm);
	m->start = at;
	st->at = at;
	/* rank 0's instant on this rank's clock */
	st->offset_s = m->clock_corrected ? m->clock_offset_s : 0;
	st->phase_ns = m->total_rate > 0 ? (uint64_t)(1e9 * m->rank / m->total_rate) : 0;
	return 0;
}

int main(int argc, char **argv)
{
	int provided = 0;
	if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
		fprintf(stderr, "rbload-mpi: MPI_Init_thread failed\n");
		return 1;
	}
	lg_mpi m;
	memset(&m, 0, sizeof(m));
	m.comm = MPI_COMM_WORLD;
	MPI_Comm_rank(m.comm, &m.rank);
	MPI_Comm_size(m.comm, &m.nranks);
	if (gethostname(m.host, sizeof(m.host)))
		snprintf(m.host, sizeof(m.host), "?");
	m.host[sizeof(m.host) - 1] = '\0';
	static char prog[128];
	snprintf(prog, sizeof(prog), "rbload-mpi rank %d (%s)", m.rank, m.host);
	rb_log_set_program(prog);

	int rc = 0, help = 0, nargs = 0;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, "rbload-mpi: no memory\n");
		rc = 1;
	} else if (provided < MPI_THREAD_FUNNELED) {
		if (m.rank == 0)
			fprintf(stderr,
				"rbload-mpi: this MPI library offers thread level %d, below "
				"MPI_THREAD_FUNNELED\n",
				provided);
		rc = 1;
	}
	/* --hlog-per-rank is rbload-mpi's; the rest are rbload's. */
	for (int i = 0; i < argc && !rc; i++) {
		const char *a = argv[i];
		if (i > 0 && !strncmp(a, "--hlog-per-rank", 15) && (!a[15] || a[15] == '=')) {
			const char *v = a[15] ? a + 16 : i + 1 < argc ? argv[++i] : NULL;
			if (!v || !*v) {
				if (m.rank == 0)
					fprintf(stderr, "rbload-mpi: --hlog-per-rank needs a value "
							"(see rbload-mpi --help)\n");
				rc = 2;
			}
			m.hlog_prefix = v;
			continue;
		}
		if (i > 0 && (!strcmp(a, "-h") || !strcmp(a, "--help")))
			help = 1;
		args[nargs++] = argv[i];
	}
	if (!rc) {
		if (help && m.rank == 0)
			lg_mpi_usage();
		lg_hooks hooks = {.arg = &m,
				  .mute = m.rank != 0,
				  .configure = lg_mpi_share,
				  .banner = lg_mpi_banner,
				  .agree = lg_mpi_agree,
				  .finish = lg_mpi_finish};
		rc = lg_drive(nargs, args, &hooks);
	}
	free(args);
	free(m.ranks);
	MPI_Finalize();
	return rc;
}
