/* The avx2 variant: the one grammar with 32-byte pshufb class lookups.
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * the dispatcher (rp_variant_select, rp_variant_current) picks it only on a
 * CPU that has them. */
#include "kernels_avx2.h"
#include "parse_impl.h"

RP_DEFINE_VARIANT(avx2)
