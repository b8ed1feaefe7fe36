#include "mpi_reduce.h"

#include "hlog.h"
#include "hsum.h"

#include "rb_cpu.h"
#include "rb_version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LG_TAG_SERIES 11
#define LG_TAG_BINS 12

int lg_mpi_wait(MPI_Request *rq)
{
	for (;;) {
		int done = 0;
		int rc = MPI_Test(rq, &done, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS || done)
			return rc;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
}

/* The histograms reduced over ranks (their slots summed on rank 0, their
 * exact figures gathered with the parts): corrected, uncorrected, connect,
 * ttfb, and https://'s handshake time, so its count matches the summed
 * tls_handshakes. */
#define LG_MPI_NHIST 5
#define LG_MPI_HISTS(res)                                                                          \
	{                                                                                          \
		&(res)->corr, &(res)->uncorr, &(res)->connect, &(res)->ttfb, &(res)->tls_hs        \
	}

/* A histogram's exact figures, beside its slots. */
typedef struct lg_mpi_hfig {
	uint64_t total, min, max, below, above;
	unsigned __int128 sum;
} lg_mpi_hfig;

/* What each rank sends rank 0, as bytes: the ranks run one build on one
 * architecture (docs/distributed.md). */
typedef struct lg_mpi_part {
	lg_rank rank;
	lg_counts counts;
	lg_mpi_hfig h[LG_MPI_NHIST]; /* LG_MPI_HISTS's order */
	/* https://: the first reason of each TLS error kind on this rank
	 * (rank 0's may be empty where only another rank saw the kind). */
	char tls_why[LG_E__COUNT - LG_E_TLS_HANDSHAKE][200];
	char ktls_why[256]; /* lg_result.ktls_why: the probe's no or a refusal */
	double cpu_user_s, cpu_sys_s;
	long max_rss_bytes;
	int interrupted, hlog_failed;
	int multishot_recv, legacy_buffers, cancel_fd;
	uint64_t nseries;   /* its series' seconds (LG_TAG_SERIES) */
	uint64_t bin_bytes; /* its per-second bins, packed (LG_TAG_BINS) */
} lg_mpi_part;

/* One per-second bin on the wire: its figures, then len bytes of V2. */
typedef struct lg_mpi_bin {
	int64_t key;
	double length_s;
	uint64_t count, min, max, below, above, len;
	unsigned __int128 sum;
	uint64_t uncorrected; /* 0: lg_run.hlog_corr's, 1: hlog_unc's */
} lg_mpi_bin;

/* Out of memory where the other ranks wait on this one: end the job. */
static void *lg_mpi_alloc(const lg_mpi *m, size_t n, const char *what)
{
	void *p = calloc(1, n ? n : 1);
	if (!p) {
		fprintf(stderr, "rbload-mpi: rank %d: no memory for %s (%zu bytes)\n", m->rank,
			what, n);
		MPI_Abort(m->comm, 1);
	}
	return p;
}

static size_t lg_mpi_packed_size(const lg_hsum *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += sizeof(lg_mpi_bin) + s->bins[i].len;
	return n;
}

static uint8_t *lg_mpi_pack(uint8_t *p, const lg_hsum *s, uint64_t uncorrected)
{
	for (size_t i = 0; i < s->n; i++) {
		const lg_hbin *b = &s->bins[i];
		lg_mpi_bin w = {.key = b->key,
				.length_s = b->length_s,
				.count = b->count,
				.min = b->min,
				.max = b->max,
				.below = b->below,
				.above = b->above,
				.len = b->len,
				.sum = b->sum,
				.uncorrected = uncorrected};
		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
		if (b->len)
			memcpy(p, b->v2, b->len);
		p += b->len;
	}
	return p;
}

/* Rank 0: another rank's packed bins added into run's, bin by bin. */
static int lg_mpi_unpack(lg_run *run, const uint8_t *p, size_t n, rb_hist *tmp)
{
	while (n >= sizeof(lg_mpi_bin)) {
		lg_mpi_bin w;
		memcpy(&w, p, sizeof(w));
		p += sizeof(w);
		n -= sizeof(w);
		if (w.len > n)
			return -EINVAL;
		lg_hbin b = {.key = w.key,
			     .length_s = w.length_s,
			     .count = w.count,
			     .min = w.min,
			     .max = w.max,
			     .sum = w.sum,
			     .below = w.below,
			     .above = w.above,
			     .v2 = (uint8_t *)p,
			     .len = w.len};
		if (lg_hbin_decode(&b, tmp))
			return -EINVAL;
		if (lg_hsum_add(w.uncorrected ? &run->hlog_unc : &run->hlog_corr, w.key, w.length_s,
				tmp))
			return -ENOMEM;
		p += w.len;
		n -= w.len;
	}
	return n ? -EINVAL : 0;
}

/* --hlog-per-rank: this rank's own log, PREFIX.RANK.hlog.  0 or -1. */
static int lg_mpi_own_log(const lg_mpi *m, const lg_run *run)
{
	const lg_config *cfg = run->cfg;
	char path[4096], comment[1200];
	snprintf(path, sizeof(path), "%s.%d.hlog", m->hlog_prefix, m->rank);
	if (run->hlog_failed) {
		fprintf(stderr,
			"rbload-mpi: --hlog-per-rank %s: no memory for the per-second "
			"histograms\n",
			path);
		return -1;
	}
	snprintf(comment, sizeof(comment),
		 "rbload-mpi %s: %s, rank %d of %d (%s), %u connections, %s", RB_VERSION,
		 cfg->urls[0].text, m->rank, m->nranks, m->host, cfg->connections,
		 cfg->mode == LG_MODE_OPEN ? "open loop" : "closed loop");
	return lg_hlog_write_file(path, "--hlog-per-rank", comment, run->measure_start_wall, 1,
				  &run->hlog_corr,
				  cfg->mode == LG_MODE_OPEN ? &run->hlog_unc : NULL);
}

/* This rank's part. */
static void lg_mpi_fill(const lg_mpi *m, lg_mpi_part *p, const lg_result *res, const lg_run *run,
			const lg_worker *ws, uint32_t nworkers)
{
	const lg_config *cfg = run->cfg;
	lg_rank *k = &p->rank;
	snprintf(k->host, sizeof(k->host), "%s", m->host);
	k->rank = (uint32_t)m->rank;
	k->connections = cfg->connections;
	k->threads = cfg->threads;
	k->cpus_allowed = (uint32_t)rb_cpu_count();
	k->rate_requested = cfg->mode == LG_MODE_OPEN ? cfg->rate : 0;
	k->requests = res->counts.requests;
	k->sent = res->counts.sent;
	k->errors = lg_counts_errors(&res->counts);
	k->duration_s = res->duration_s;
	k->cpu_s = res->cpu_user_s + res->cpu_sys_s;
	k->busy_max = res->busy_max;
	/* How late its last thread saw the window open, against the agreed
	 * instant (a rank that got it late opened its window late too). */
	uint64_t seen = 0;
	for (uint32_t i = 0; i < nworkers; i++)
		if (ws[i].window_seen_ns > seen)
			seen = ws[i].window_seen_ns;
	uint64_t start = run->measure_start;
	k->skew_s = run->measure_start_wall - m->start +
		    (seen > start ? (double)(seen - start) / 1e9 : 0.0);
	k->clock_offset_s = m->clock_offset_s;
	k->clock_rtt_s = m->clock_rtt_s;
	k->clock_corrected = (uint32_t)m->clock_corrected;
	snprintf(k->stopped, sizeof(k->stopped), "%.*s", (int)sizeof(k->stopped) - 1, run->fatal);
	memcpy(p->ktls_why, res->ktls_why, sizeof(p->ktls_why));

	p->counts = res->counts;
	const rb_hist *hs[LG_MPI_NHIST] = LG_MPI_HISTS(res);
	for (int i = 0; i < LG_MPI_NHIST; i++)
		p->h[i] = (lg_mpi_hfig){.total = hs[i]->total,
					.min = hs[i]->min,
					.max = hs[i]->max,
					.below = hs[i]->below,
					.above = hs[i]->above,
					.sum = hs[i]->sum};
	_Static_assert(sizeof(p->tls_why) == sizeof(res->tls_why),
		       "the reasons as lg_result has them");
	memcpy(p->tls_why, res->tls_why, sizeof(p->tls_why));
	p->cpu_user_s = res->cpu_user_s;
	p->cpu_sys_s = res->cpu_sys_s;
	p->max_rss_bytes = res->max_rss_bytes;
	p->interrupted = res->interrupted;
	p->hlog_failed = run->hlog_failed;
	p->multishot_recv = res->env.multishot_recv;
	p->legacy_buffers = res->env.legacy_buffers;
	p->cancel_fd = res->env.cancel_fd;
	p->nseries = run->nseries;
}

/* Rank 0: the series again from the summed per-second bins (every rank's
 * values in that second of the window) and the ranks' error and connect
 * counts, as long as the longest rank's. */
static void lg_mpi_series(const lg_mpi *m, lg_run *run, const uint64_t *errs, const uint64_t *conns,
			  uint64_t len, rb_hist *tmp)
{
	lg_series_point *pts = lg_mpi_alloc(m, len * sizeof(*pts), "the series");
	for (uint64_t k = 0; k < len; k++) {
		pts[k].errors = errs[k];
		pts[k].connects = conns[k];
	}
	for (size_t i = 0; i < run->hlog_corr.n; i++) {
		int64_t key = run->hlog_corr.bins[i].key;
		if (key < 1 || (uint64_t)key > len || lg_hsum_get(&run->hlog_corr, i, tmp))
			continue;
		lg_series_point *p = &pts[key - 1];
		p->requests = rb_hist_count(tmp);
		p->p50_ns = rb_hist_value_at_percentile(tmp, 50.0);
		p->p99_ns = rb_hist_value_at_percentile(tmp, 99.0);
		p->max_ns = rb_hist_max(tmp);
	}
	free(run->series);
	run->series = pts;
	run->nseries = run->series_cap = len;
}

/* Rank 0: every rank's part summed into res, and the report's `ranks`. */
static void lg_mpi_sum(lg_mpi *m, lg_result *res, lg_run *run, const lg_mpi_part *all)
{
	rb_hist *hs[LG_MPI_NHIST] = LG_MPI_HISTS(res);
	memset(&res->counts, 0, sizeof(res->counts));
	res->cpu_user_s = res->cpu_sys_s = res->busy_max = res->duration_s = 0;
	for (int i = 0; i < LG_MPI_NHIST; i++) {
		hs[i]->total = hs[i]->max = hs[i]->below = hs[i]->above = 0;
		hs[i]->min = UINT64_MAX;
		hs[i]->sum = 0;
	}
	m->ranks = lg_mpi_alloc(m, (size_t)m->nranks * sizeof(*m->ranks), "the ranks");
	for (int r = 0; r < m->nranks; r++) {
		const lg_mpi_part *p = &all[r];
		m->ranks[r] = p->rank;
		lg_counts_add(&res->counts, &p->counts);
		for (int k = 0; k < LG_E__COUNT - LG_E_TLS_HANDSHAKE; k++)
			if (!res->tls_why[k][0] && p->tls_why[k][0])
				memcpy(res->tls_why[k], p->tls_why[k], sizeof(res->tls_why[k]));
		if (!res->ktls_why[0] && p->ktls_why[0]) /* rank 0's own first */
			memcpy(res->ktls_why, p->ktls_why, sizeof(res->ktls_why));
		for (int i = 0; i < LG_MPI_NHIST; i++) {
			const lg_mpi_hfig *f = &p->h[i];
			hs[i]->total += f->total;
			hs[i]->below += f->below;
			hs[i]->above += f->above;
			hs[i]->sum += f->sum;
			if (f->min < hs[i]->min)
				hs[i]->min = f->min;
			if (f->max > hs[i]->max)
				hs[i]->max = f->max;
		}
		res->cpu_user_s += p->cpu_user_s;
		res->cpu_sys_s += p->cpu_sys_s;
		if (p->rank.busy_max > res->busy_max)
			res->busy_max = p->rank.busy_max;
		if (p->rank.duration_s > res->duration_s)
			res->duration_s = p->rank.duration_s;
		if (p->max_rss_bytes > res->max_rss_bytes)
			res->max_rss_bytes = p->max_rss_bytes;
		res->interrupted |= p->interrupted;
		run->hlog_failed |= p->hlog_failed;
		if (!p->multishot_recv)
			res->env.multishot_recv = 0;
		if (p->legacy_buffers)
			res->env.legacy_buffers = 1;
		if (!p->cancel_fd)
			res->env.cancel_fd = 0;
	}
	/* Some socket on some rank handed a direction to the kernel (the counts
	 * are summed; rank 0's own flag would speak for its host only). */
	res->ktls = res->counts.ktls_tx > 0 || res->counts.ktls_rx > 0;
	res->ranks = m->ranks;
	res->nranks = (uint32_t)m->nranks;
	/* The report gives the run's totals. */
	m->cfg->connections = m->total_connections;
	m->cfg->requests = m->total_requests;
	m->cfg->rate = m->total_rate;
}

int lg_mpi_finish(void *arg, lg_result *res, lg_run *run, const lg_worker *ws, uint32_t nworkers,
		  int *failed)
{
	lg_mpi *m = arg;
	int root = m->rank == 0;
	/* This rank's own log: its own bins, before rank 0 adds the others'. */
	if (m->hlog_prefix && lg_mpi_own_log(m, run))
		*failed = 1;

	/* Every rank's window is over before any MPI traffic. */
	MPI_Request rq;
	MPI_Ibarrier(m->comm, &rq);
	lg_mpi_wait(&rq);

	lg_mpi_part *mine = lg_mpi_alloc(m, sizeof(*mine), "its part");
	lg_mpi_fill(m, mine, res, run, ws, nworkers);
	size_t nbytes = lg_mpi_packed_size(&run->hlog_corr) + lg_mpi_packed_size(&run->hlog_unc);
	uint8_t *bins = NULL;
	if (!root) {
		bins = nbytes <= INT_MAX ? malloc(nbytes ? nbytes : 1) : NULL;
		if (bins)
			lg_mpi_pack(lg_mpi_pack(bins, &run->hlog_corr, 0), &run->hlog_unc, 1);
		else
			mine->hlog_failed = 1; /* the report says --hlog could not be whole */
		mine->bin_bytes = bins ? nbytes : 0;
	}
	lg_mpi_part *all = root ? lg_mpi_alloc(m, (size_t)m->nranks * sizeof(*all), "the parts")
				: NULL;
	MPI_Gather(mine, (int)sizeof(*mine), MPI_BYTE, all, (int)sizeof(*mine), MPI_BYTE, 0,
		   m->comm);

	/* The histograms' slots, summed on rank 0. */
	rb_hist *hs[LG_MPI_NHIST] = LG_MPI_HISTS(res);
	for (int i = 0; i < LG_MPI_NHIST; i++)
		MPI_Reduce(root ? MPI_IN_PLACE : hs[i]->counts, hs[i]->counts,
			   (int)hs[i]->counts_len, MPI_UINT64_T, MPI_SUM, 0, m->comm);

	/* The per-second series and bins, rank by rank. */
	if (!root) {
		MPI_Request two[2];
		MPI_Isend(run->series, (int)(run->nseries * sizeof(*run->series)), MPI_BYTE, 0,
			  LG_TAG_SERIES, m->comm, &two[0]);
		MPI_Isend(bins, (int)mine->bin_bytes, MPI_BYTE, 0, LG_TAG_BINS, m->comm, &two[1]);
		lg_mpi_wait(&two[0]);
		lg_mpi_wait(&two[1]);
		free(bins);
		free(mine);
		return 0;
	}
	uint64_t len = 0;
	for (int r = 0; r < m->nranks; r++)
		if (all[r].nseries > len)
			len = all[r].nseries;
	uint64_t *errs = lg_mpi_alloc(m, 2 * len * sizeof(*errs), "the series");
	uint64_t *conns = errs + len;
	rb_hist tmp;
	if (rb_hist_init(&tmp, RB_HIST_HOUR_NS)) {
		fprintf(stderr, "rbload-mpi: rank 0: no memory for a histogram\n");
		MPI_Abort(m->comm, 1);
	}
	for (int r = 0; r < m->nranks; r++) {
		const lg_series_point *pts = run->series;
		lg_series_point *got = NULL;
		if (r) {
			size_t n = all[r].nseries * sizeof(*got);
			got = lg_mpi_alloc(m, n, "a rank's series");
			MPI_Recv(got, (int)n, MPI_BYTE, r, LG_TAG_SERIES, m->comm,
				 MPI_STATUS_IGNORE);
			pts = got;
		}
		for (uint64_t k = 0; k < all[r].nseries; k++) {
			errs[k] += pts[k].errors;
			conns[k] += pts[k].connects;
		}
		free(got);
		if (r) {
			uint8_t *buf = lg_mpi_alloc(m, all[r].bin_bytes, "a rank's bins");
			MPI_Recv(buf, (int)all[r].bin_bytes, MPI_BYTE, r, LG_TAG_BINS, m->comm,
				 MPI_STATUS_IGNORE);
			if (lg_mpi_unpack(run, buf, all[r].bin_bytes, &tmp)) {
				fprintf(stderr,
					"rbload-mpi: rank %d's per-second histograms could not "
					"be added\n",
					r);
				run->hlog_failed = 1;
			}
			free(buf);
		}
	}
	lg_mpi_sum(m, res, run, all);
	lg_mpi_series(m, run, errs, conns, len, &tmp);
	rb_hist_free(&tmp);
	free(errs);
	free(all);
	free(mine);
	return 1;
}
