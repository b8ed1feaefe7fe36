/* The timing engine (rbp_bench_run): verify, calibrate, warm up, sample, summarise. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rbp.h"

/* Every run's result lands here, so no pass over a buffer is dead code. */
static volatile uint64_t rbp_sink;

static uint64_t rbp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One sample: iters passes over buf, timed as a whole. */
static uint64_t rbp_sample(const rbp_subject *s, const char *buf, size_t len, uint64_t iters)
{
	uint64_t acc = 0, t0, t1;

	t0 = rbp_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		acc += s->run(s->ctx, buf, len);
		/* The buffer may have changed, as far as the compiler knows: no
		 * pass can be hoisted out of the loop or merged with another. */
		__asm__ volatile("" ::: "memory");
	}
	t1 = rbp_now_ns();
	rbp_sink += acc;
	return t1 - t0;
}

/* The iteration count that makes one sample last at least min_ns: grow from
 * one pass, aiming 20% above min_ns, by at most 16x a step. */
static uint64_t rbp_calibrate(const rbp_subject *s, const char *buf, size_t len, uint64_t min_ns)
{
	uint64_t iters = 1;

	for (;;) {
		uint64_t t = rbp_sample(s, buf, len, iters);
		if (t >= min_ns)
			return iters;
		uint64_t next = iters * 16;
		if (t > 0)
			next = (uint64_t)((double)iters * 1.2 * (double)min_ns / (double)t) + 1;
		if (next > iters * 16)
			next = iters * 16;
		if (next <= iters)
			next = iters + 1;
		iters = next;
	}
}

static void rbp_warm_up(const rbp_subject *s, const char *buf, size_t len, uint64_t iters,
			uint64_t warmup_ns)
{
	uint64_t spent = 0;

	while (spent < warmup_ns)
		spent += rbp_sample(s, buf, len, iters);
}

static int rbp_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void rbp_summarise(rbp_result *r, double *samples, unsigned n)
{
	qsort(samples, n, sizeof(*samples), rbp_cmp_double);
	r->min_ns = samples[0];
	r->max_ns = samples[n - 1];
	r->median_ns = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
	r->bytes_per_msg = (double)r->file->len / r->messages;
	r->gb_per_s = r->median_ns > 0 ? r->bytes_per_msg / r->median_ns : 0;
}

/* The message count of every file, checked with every subject. */
static int rbp_verify_all(const rbp_subject *subjects, size_t nsubjects, const rbp_corpus *corpus,
			  char *const *bufs, rbp_result *results)
{
	char err[512];

	for (size_t f = 0; f < corpus->count; f++) {
		const rbp_corpus_file *file = &corpus->files[f];
		long first = 0;
		for (size_t s = 0; s < nsubjects; s++) {
			long n = subjects[s].verify(subjects[s].ctx, bufs[f], file->len, err,
						    sizeof(err));
			if (n < 0) {
				fprintf(stderr, "rbparse: %s cannot parse %s (%s): %s\n",
					subjects[s].name, file->name, file->path, err);
				return RBP_EXIT_FAIL;
			}
			if (s == 0)
				first = n;
			if (n != first || n > UINT32_MAX) {
				fprintf(stderr,
					"rbparse: %s finds %ld messages in %s but %s finds %ld\n",
					subjects[s].name, n, file->name, subjects[0].name, first);
				return RBP_EXIT_FAIL;
			}
			rbp_result *r = &results[f * nsubjects + s];
			memset(r, 0, sizeof(*r));
			r->subject = &subjects[s];
			r->file = file;
			r->messages = (uint32_t)n;
		}
	}
	return 0;
}

/* Calibrate and warm every subject on one file. */
static void rbp_prepare_file(const rbp_subject *subjects, size_t nsubjects, const char *buf,
			     size_t len, const rbp_bench_cfg *cfg, rbp_result *results)
{
	uint64_t min_ns = (uint64_t)(cfg->min_time_ms * 1e6);
	uint64_t warmup_ns = (uint64_t)(cfg->warmup_ms * 1e6);

	for (size_t s = 0; s < nsubjects; s++) {
		results[s].iterations = rbp_calibrate(&subjects[s], buf, len, min_ns);
		rbp_warm_up(&subjects[s], buf, len, results[s].iterations, warmup_ns);
	}
}

/* One sample of every subject on every file per round, files and subjects
 * interleaved: a burst of noise on this shared machine then touches one
 * sample of many results instead of every sample of one. */
static void rbp_time_all(const rbp_subject *subjects, size_t nsubjects, const rbp_corpus *corpus,
			 char *const *bufs, const rbp_bench_cfg *cfg, rbp_result *results,
			 double *samples)
{
	size_t nfiles = corpus->count;

	for (unsigned round = 0; round < cfg->runs; round++) {
		if (cfg->progress)
			fprintf(stderr, "\r\033[Kbench: round %u/%u", round + 1, cfg->runs);
		for (size_t f = 0; f < nfiles; f++) {
			/* Rotate who goes first so no subject always follows the same one. */
			for (size_t k = 0; k < nsubjects; k++) {
				size_t s = (k + round) % nsubjects;
				rbp_result *r = &results[f * nsubjects + s];
				uint64_t t = rbp_sample(&subjects[s], bufs[f], corpus->files[f].len,
							r->iterations);
				samples[(f * nsubjects + s) * cfg->runs + round] =
					(double)t / ((double)r->iterations * r->messages);
			}
		}
	}
	for (size_t i = 0; i < nfiles * nsubjects; i++)
		rbp_summarise(&results[i], &samples[i * cfg->runs], cfg->runs);
}

int rbp_bench_run(const rbp_subject *subjects, size_t nsubjects, const rbp_corpus *corpus,
		  const rbp_bench_cfg *cfg, rbp_result *results)
{
	char **bufs = calloc(corpus->count, sizeof(*bufs));
	double *samples = calloc(corpus->count * nsubjects * cfg->runs, sizeof(*samples));
	int rc = 0;

	if (!bufs || !samples) {
		fputs("rbparse: out of memory\n", stderr);
		rc = RBP_EXIT_FAIL;
		goto out;
	}
	/* Each file is copied once into a 64-byte aligned buffer, so every
	 * subject and every run sees the same alignment. */
	for (size_t f = 0; f < corpus->count; f++) {
		size_t len = corpus->files[f].len;
		bufs[f] = aligned_alloc(64, (len + 63) / 64 * 64 + 64);
		if (!bufs[f]) {
			fputs("rbparse: out of memory\n", stderr);
			rc = RBP_EXIT_FAIL;
			goto out;
		}
		memcpy(bufs[f], corpus->files[f].data, len);
	}
	rc = rbp_verify_all(subjects, nsubjects, corpus, bufs, results);
	if (rc)
		goto out;
	for (size_t f = 0; f < corpus->count; f++)
		rbp_prepare_file(subjects, nsubjects, bufs[f], corpus->files[f].len, cfg,
				 &results[f * nsubjects]);
	rbp_time_all(subjects, nsubjects, corpus, bufs, cfg, results, samples);
	if (cfg->progress)
		fputs("\r\033[K", stderr);
out:
	if (bufs)
		for (size_t f = 0; f < corpus->count; f++)
			free(bufs[f]);
	free(bufs);
	free(samples);
	return rc;
}
