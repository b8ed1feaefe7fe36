/* The benchmark table and JSON object: rbp_report_table, rbp_report_json. */
#include "bench.h"

#include <string.h>

#include "json_out.h"

#ifndef RB_VERSION
#define RB_VERSION "unknown"
#endif

static const rbp_result *rbp_find_reference(const rbp_result *row, size_t nsubjects,
					    const char *reference)
{
	if (!reference)
		return NULL;
	for (size_t s = 0; s < nsubjects; s++)
		if (strcmp(row[s].subject->name, reference) == 0)
			return &row[s];
	return NULL;
}

static int rbp_max_width(const rbp_result *results, size_t n, int subject, int floor)
{
	int w = floor;

	for (size_t i = 0; i < n; i++) {
		const char *name = subject ? results[i].subject->name : results[i].file->name;
		int len = (int)strlen(name);
		if (len > w)
			w = len;
	}
	return w;
}

void rbp_report_table(FILE *f, const rbp_result *results, size_t nsubjects, size_t nfiles,
		      const rbp_report_meta *meta)
{
	const rbp_sysinfo *si = meta->sys;
	size_t n = nsubjects * nfiles;
	int vw = rbp_max_width(results, n, 1, 7), mw = rbp_max_width(results, n, 0, 7);

	fprintf(f, "# %s %s on %s (%ld CPUs), %s\n", meta->tool, RB_VERSION, si->cpu_model,
		si->cores, si->kernel);
	if (meta->pinned_cpu >= 0)
		fprintf(f, "# pinned to CPU %d\n", meta->pinned_cpu);
	else if (si->allowed_cpus == 1)
		fprintf(f, "# running on CPU %s (affinity set by the caller)\n", si->affinity);
	else
		fprintf(f, "# NOT pinned (may run on CPUs %s): use --cpu N or taskset\n",
			si->affinity);
	fprintf(f,
		"# %u samples of >= %.2f ms per variant and message, taken round-robin over variants and messages; "
		"ns per message: median, min, max over the samples\n",
		meta->cfg->runs, meta->cfg->min_time_ms);
	if (meta->corpus_dir)
		fprintf(f, "# corpus: %s\n", meta->corpus_dir);

	fprintf(f, "%-*s  %-*s  %9s  %4s  %13s  %10s  %10s  %7s\n", vw, "variant", mw, "message",
		"bytes/msg", "msgs", "median ns/msg", "min", "max", "GB/s");
	for (size_t i = 0; i < n; i++) {
		const rbp_result *r = &results[i];
		fprintf(f, "%-*s  %-*s  %9.0f  %4u  %13.1f  %10.1f  %10.1f  %7.3f\n", vw,
			r->subject->name, mw, r->file->name, r->bytes_per_msg, r->messages,
			r->median_ns, r->min_ns, r->max_ns, r->gb_per_s);
	}

	if (!rbp_find_reference(results, nsubjects, meta->reference) || nsubjects < 2)
		return;
	fprintf(f, "\nspeedup vs %s (ratio of medians):\n", meta->reference);
	for (size_t fi = 0; fi < nfiles; fi++) {
		const rbp_result *row = &results[fi * nsubjects];
		const rbp_result *ref = rbp_find_reference(row, nsubjects, meta->reference);
		if (!ref)
			continue;
		fprintf(f, "  %-*s", mw, row[0].file->name);
		for (size_t s = 0; s < nsubjects; s++)
			if (&row[s] != ref)
				fprintf(f, "  %s %.2fx", row[s].subject->name,
					ref->median_ns / row[s].median_ns);
		fputc('\n', f);
	}
}

static void rbp_json_meta(rbp_json *j, const rbp_report_meta *meta)
{
	const rbp_sysinfo *si = meta->sys;

	rbp_json_kv_str(j, "tool", meta->tool);
	rbp_json_kv_str(j, "version", RB_VERSION);
	rbp_json_kv_str(j, "cpu", si->cpu_model);
	rbp_json_key(j, "cpu_flags");
	rbp_json_array_begin(j);
	for (size_t i = 0; i < si->nflags; i++)
		rbp_json_str(j, si->flags[i]);
	rbp_json_array_end(j);
	rbp_json_kv_int(j, "cores", si->cores);
	rbp_json_kv_str(j, "kernel", si->kernel);
	rbp_json_key(j, "pinned_cpu");
	if (meta->pinned_cpu >= 0)
		rbp_json_int(j, meta->pinned_cpu);
	else
		rbp_json_null(j);
	rbp_json_kv_str(j, "cpu_affinity", si->affinity);
	rbp_json_kv_str(j, "default_variant", rp_variant_current()->name);
	rbp_json_kv_uint(j, "runs", meta->cfg->runs);
	rbp_json_kv_double(j, "min_time_ms", meta->cfg->min_time_ms, 3);
	rbp_json_kv_double(j, "warmup_ms", meta->cfg->warmup_ms, 3);
	rbp_json_key(j, "corpus_dir");
	rbp_json_str(j, meta->corpus_dir);
}

static void rbp_json_result(rbp_json *j, const rbp_result *r)
{
	rbp_json_object_begin(j);
	rbp_json_kv_str(j, "variant", r->subject->name);
	rbp_json_kv_str(j, "message", r->file->name);
	rbp_json_kv_uint(j, "bytes", r->file->len);
	rbp_json_kv_uint(j, "messages", r->messages);
	rbp_json_kv_double(j, "bytes_per_msg", r->bytes_per_msg, 1);
	rbp_json_kv_uint(j, "iterations", r->iterations);
	rbp_json_key(j, "ns_per_msg");
	rbp_json_object_begin(j);
	rbp_json_kv_double(j, "median", r->median_ns, 2);
	rbp_json_kv_double(j, "min", r->min_ns, 2);
	rbp_json_kv_double(j, "max", r->max_ns, 2);
	rbp_json_object_end(j);
	rbp_json_kv_double(j, "gb_per_s", r->gb_per_s, 4);
	rbp_json_object_end(j);
}

void rbp_report_json(FILE *f, const rbp_result *results, size_t nsubjects, size_t nfiles,
		     const rbp_report_meta *meta)
{
	rbp_json j;

	rbp_json_init(&j, f);
	rbp_json_object_begin(&j);
	rbp_json_meta(&j, meta);
	rbp_json_key(&j, "results");
	rbp_json_array_begin(&j);
	for (size_t i = 0; i < nsubjects * nfiles; i++)
		rbp_json_result(&j, &results[i]);
	rbp_json_array_end(&j);

	/* Ratios of medians against the reference, per message. */
	if (rbp_find_reference(results, nsubjects, meta->reference)) {
		rbp_json_kv_str(&j, "reference", meta->reference);
		rbp_json_key(&j, "speedups");
		rbp_json_array_begin(&j);
		for (size_t fi = 0; fi < nfiles; fi++) {
			const rbp_result *row = &results[fi * nsubjects];
			const rbp_result *ref = rbp_find_reference(row, nsubjects, meta->reference);
			for (size_t s = 0; ref && s < nsubjects; s++) {
				if (&row[s] == ref)
					continue;
				rbp_json_object_begin(&j);
				rbp_json_kv_str(&j, "message", row[s].file->name);
				rbp_json_kv_str(&j, "variant", row[s].subject->name);
				rbp_json_kv_str(&j, "vs", meta->reference);
				rbp_json_kv_double(&j, "ratio", ref->median_ns / row[s].median_ns,
						   3);
				rbp_json_object_end(&j);
			}
		}
		rbp_json_array_end(&j);
	}
	rbp_json_object_end(&j);
	rbp_json_finish(&j);
}
