/*
 * rbload-mpi's state, and the sum of its ranks' results after the window
 * (lg_mpi_finish, drive.h's `finish` hook): every rank sends rank 0 its
 * figures; histograms are summed slot by slot (MPI_Reduce, MPI_SUM over the
 * counts), their exact counts, sums, min and max beside them; the per-second
 * histograms (each rank's lg_hsum bins, V2-encoded) are gathered and added
 * bin by bin, so the series and --hlog are those of one run.  Only rank 0
 * reports.  No MPI call is made inside the window: the first one waits for
 * every rank to have finished (a non-blocking barrier, polled with sleeps, so
 * a rank done early takes no CPU from those still measuring).
 */
#ifndef LG_MPI_REDUCE_H
#define LG_MPI_REDUCE_H

#include "drive.h"

#include <mpi.h>
#include <stdint.h>

typedef struct lg_mpi {
	MPI_Comm comm;
	int rank, nranks;
	char host[64];
	const char *hlog_prefix; /* --hlog-per-rank: PREFIX.RANK.hlog from each rank */
	lg_config *cfg;          /* this rank's share; rank 0's gets the totals back */
	uint32_t total_connections;
	uint64_t total_requests; /* -n, 0: none */
	double total_rate;       /* -R, 0: closed loop */
	double start;            /* the agreed window start, epoch s */
	double clock_offset_s, clock_rtt_s;
	int clock_corrected; /* the start was moved by clock_offset_s (lg_mpi_clocks) */
	lg_rank *ranks;      /* rank 0: every rank's part, for the report */
} lg_mpi;

/* Wait for a non-blocking MPI operation, sleeping 1 ms between polls (MPI's
 * blocking calls spin a CPU).  Returns MPI_SUCCESS or the MPI error. */
int lg_mpi_wait(MPI_Request *rq);

/* drive.h's `finish` hook: arg is the lg_mpi. */
int lg_mpi_finish(void *arg, lg_result *res, lg_run *run, const lg_worker *ws, uint32_t nworkers,
		  int *failed);

#endif
