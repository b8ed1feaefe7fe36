# rb::version: an interface target whose consumers can #include "rb_version.h" for
#   RB_VERSION      "0.1.0"     (project() version)
#   RB_GIT_COMMIT   "<40 hex>"  or "unknown" outside a git checkout
#   RB_GIT_DIRTY    1 when tracked files differ from that commit, else 0
# The header is regenerated on every build (cheap: two git commands) and rewritten only when
# its content changes, so result files never carry a stale commit and nothing rebuilds needlessly.
include_guard(GLOBAL)

set(RB_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
add_custom_target(rb_version_header
  COMMAND ${CMAKE_COMMAND}
          -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DOUTPUT=${RB_GENERATED_DIR}/rb_version.h
          -DVERSION=${PROJECT_VERSION}
          -P ${CMAKE_CURRENT_LIST_DIR}/GitVersion.cmake
  BYPRODUCTS ${RB_GENERATED_DIR}/rb_version.h
  VERBATIM)
add_library(rb_version INTERFACE)
target_include_directories(rb_version INTERFACE ${RB_GENERATED_DIR})
add_dependencies(rb_version rb_version_header)
add_library(rb::version ALIAS rb_version)
