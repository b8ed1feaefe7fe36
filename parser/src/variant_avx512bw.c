/* The avx512bw variant: the one grammar with 64-byte class lookups with masked tail loads.
 * Built with this variant's instruction-set flags (parser/CMakeLists.txt);
 * the dispatcher (rp_variant_select, rp_variant_current) picks it only on a
 * CPU that has them. */
#include "kernels_avx512bw.h"
#include "parse_impl.h"

RP_DEFINE_VARIANT(avx512bw)
