/* The scalar variant: the one grammar with portable C: byte tables, and SWAR for values.
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * dispatch.c calls it only on a CPU that has them. */
#include "kernels_scalar.h"

/* The scalar variant runs the portable kernels directly. */
#define k_scan_tchar ks_scan_tchar
#define k_scan_target ks_scan_target
#define k_scan_fvalue ks_scan_fvalue

static inline void k_scan_field(const char *p, const char *begin, const char *end,
				const char **name_end, const char **value_end)
{
	(void)begin;
	rp_scan_field_seq(p, end, name_end, value_end, ks_scan_tchar, ks_scan_fvalue);
}

#include "parse_impl.h"

RP_DEFINE_VARIANT(scalar)
