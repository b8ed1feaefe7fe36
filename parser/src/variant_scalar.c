/* The scalar variant: the one grammar with portable C: byte tables, and SWAR for values.
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * the dispatcher (rp_variant_select, rp_variant_current) picks it only on a
 * CPU that has them. */
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

#include "kernels_nowindow.h"

/* No vector state in the field loop: one function frame is cheaper. */
#define RP_INLINE_FIELDS
#include "parse_impl.h"

RP_DEFINE_VARIANT(scalar)
