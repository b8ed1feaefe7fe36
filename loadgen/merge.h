/*
 * rbload merge FILE.hlog... [--json F] [--hgrm F] [--hlog F] [-q]: HdrHistogram
 * interval logs (rbload --hlog's, or any integer histogram log whose buckets
 * map exactly into rb_hist's) summed second by second in absolute time and in
 * total, summarised as a run is (docs/loadgen.md, "rbload merge").
 */
#ifndef LG_MERGE_H
#define LG_MERGE_H

/* argv[0] is "merge".  Returns the exit status: 0, 1 (a log could not be
 * read, is corrupt, or cannot be merged exactly; a report not written), 2 (a
 * bad command line). */
int lg_merge_main(int argc, char **argv);

#endif
