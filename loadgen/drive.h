/*
 * One run, from the command line to the reports: flags -> workers (one pinned
 * thread and ring each) -> a progress line once a second -> the summary and
 * the reports.  rbload's main is lg_drive with no hooks.
 *
 * The hooks let a caller run several rbload processes as one (rbload-mpi,
 * mpi_main.c): each process takes its share of the load, opens its
 * connections with the start held, the processes agree that all of them did
 * and on the window's start, each measures alone, and the results are summed
 * into one report.  Every hook is optional.  With `agree` set, every path
 * after the command line is parsed calls `agree` exactly once (a process
 * that fails before its workers start calls it with the reason; command-line
 * errors are captured, not printed, for it to say), and every path after an
 * agreement calls `finish`: the caller's collectives never wait on a process
 * that left.
 */
#ifndef LG_DRIVE_H
#define LG_DRIVE_H

#include "result.h"
#include "worker_state.h"

#include <stdint.h>

typedef struct lg_start {
	double at;         /* the window opens then: seconds since the epoch on the
			    * reference clock (rank 0's), as the reports say it */
	double offset_s;   /* this process's wall clock minus the reference clock */
	uint64_t phase_ns; /* open loop: this process's schedule starts so much later */
} lg_start;

typedef struct lg_hooks {
	void *arg;
	/* This process prints no --help or --version: another one (rank 0)
	 * prints them, the same. */
	int mute;
	/* After the command line is parsed and checked: make cfg this
	 * process's share.  0, or the exit status with why in why[len]. */
	int (*configure)(void *arg, lg_config *cfg, char *why, size_t len);
	/* The banner line (instead of rbload's), when not quiet. */
	void (*banner)(void *arg, const lg_config *cfg);
	/* Called exactly once on every path after the command line is parsed
	 * (the processes' collectives must match even when only one of them
	 * fails, or fails differently): why NULL once every connection of this
	 * process has opened, with the start held; why a message when this
	 * process cannot run (a command-line error as rbload prints it, the
	 * reason of a failed set-up or connect), "" when it stops without an
	 * error (--help).  0 with *start filled: every process is ready; -1:
	 * some process is not, and the run stops. */
	int (*agree)(void *arg, const char *why, lg_start *start);
	/* After the run, the workers summed into res: sum over the processes.
	 * Returns 1 when this process writes the summary and the reports, 0
	 * when it does not; *failed set: exit status 1 (it took its part all
	 * the same). */
	int (*finish)(void *arg, lg_result *res, lg_run *run, const lg_worker *ws,
		      uint32_t nworkers, int *failed);
} lg_hooks;

/* Run rbload with argv; hooks may be NULL.  Returns the exit status. */
int lg_drive(int argc, char **argv, const lg_hooks *hooks);

#endif
