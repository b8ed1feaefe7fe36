/* The scalar variant: the one grammar with portable C: byte tables, and SWAR for values.
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * dispatch.c calls it only on a CPU that has them. */
#include "kernels_scalar.h"

/* The scalar variant runs the portable kernels directly; it has no
 * constants to keep in registers. */
typedef struct k_ctx {
	char unused;
} k_ctx;

static inline void k_ctx_init(k_ctx *kc)
{
	(void)kc;
}

#define k_scan_tchar(kc, p, end) ks_scan_tchar(p, end)
#define k_scan_target(kc, p, end) ks_scan_target(p, end)
#define k_scan_fvalue(kc, p, end) ks_scan_fvalue(p, end)
#define k_scan_regname(kc, p, end) ks_scan_regname(p, end)

typedef struct k_win {
	char unused;
} k_win;

static inline void k_win_init(k_win *w)
{
	(void)w;
}

static inline void k_scan_field(k_win *w, const k_ctx *kc, const char *p, const char *begin,
				const char *end, const char **name_end, const char **value_end)
{
	(void)w;
	(void)kc;
	(void)begin;
	rp_scan_field_seq(p, end, name_end, value_end, ks_scan_tchar, ks_scan_fvalue);
}

#include "parse_impl.h"

RP_DEFINE_VARIANT(scalar)
