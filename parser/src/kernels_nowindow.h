/*
 * Field lines one at a time, for the variants without a field window
 * (scalar, sse42): the name scan, then the value scan.  Included after the
 * variant has defined k_ctx, k_scan_tchar and k_scan_fvalue; keeps the
 * k_scan_field contract stated at rp_scan_field_seq.
 */
#ifndef RP_KERNELS_NOWINDOW_H
#define RP_KERNELS_NOWINDOW_H

typedef struct k_win {
	char unused;
} k_win;

static inline void k_win_init(k_win *w)
{
	w->unused = 0;
}

static inline void k_win_preload(k_win *w, const k_ctx *kc, const char *at, const char *begin,
				 const char *end)
{
	(void)w;
	(void)kc;
	(void)at;
	(void)begin;
	(void)end;
}

static inline void k_scan_field(k_win *w, const k_ctx *kc, const char *p, const char *begin,
				const char *end, const char **name_end, const char **value_end)
{
	(void)w;
	(void)kc; /* the scalar kernels take none */
	(void)begin;
	const char *q = k_scan_tchar(kc, p, end);
	*name_end = q;
	*value_end = q < end && *q == ':' ? k_scan_fvalue(kc, q + 1, end) : NULL;
}

#endif
