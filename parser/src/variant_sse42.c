/* The sse42 variant: the one grammar with 16-byte pshufb class lookups (x86-64-v2).
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * the dispatcher (rp_variant_select, rp_variant_current) picks it only on a
 * CPU that has them. */
#include "kernels_sse42.h"
#include "parse_impl.h"

RP_DEFINE_VARIANT(sse42)
