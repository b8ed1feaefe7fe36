# Third-party libraries, each found once and exposed as an imported target:
#
#   rb_require_uring()      -> rb::uring      (liburing-dev)
#   rb_require_jemalloc()   -> rb::jemalloc   (libjemalloc-dev)
#   rb_require_criterion()  -> rb::criterion  (libcriterion-dev)
#   rb_require_zlib()       -> rb::zlib       (zlib1g-dev)
#   rb_require_openssl()    -> rb::openssl    (libssl-dev: OpenSSL 3's libssl and libcrypto)
#
# Call the function in the CMakeLists.txt that needs the library, then link the target:
#
#   rb_require_uring()
#   target_link_libraries(rbserver PRIVATE rb::uring)
#
# pkg-config is asked first; without it (or without the .pc file) the header and library are
# looked up directly. A missing library stops the configure with one message naming the Debian
# package to install. Calling a function twice is harmless; the targets are global.
include_guard(GLOBAL)
find_package(PkgConfig QUIET)

# _rb_find_dep(<target> <pkg-config module> <header> <library name> <debian package>)
function(_rb_find_dep target module header library package)
  if(TARGET ${target})
    return()
  endif()
  string(TOUPPER "${library}" var)

  if(PKG_CONFIG_FOUND)
    pkg_check_modules(RB_PC_${var} QUIET IMPORTED_TARGET GLOBAL ${module})
    if(RB_PC_${var}_FOUND)
      add_library(${target} ALIAS PkgConfig::RB_PC_${var})
      message(STATUS "Found ${module} ${RB_PC_${var}_VERSION} (pkg-config): ${target}")
      return()
    endif()
  endif()

  find_path(RB_${var}_INCLUDE_DIR ${header})
  find_library(RB_${var}_LIBRARY ${library})
  if(NOT RB_${var}_INCLUDE_DIR OR NOT RB_${var}_LIBRARY)
    message(FATAL_ERROR "${module} not found: apt-get install ${package}")
  endif()
  add_library(${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${RB_${var}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RB_${var}_INCLUDE_DIR}")
  message(STATUS "Found ${module}: ${RB_${var}_LIBRARY}: ${target}")
endfunction()

function(rb_require_uring)
  _rb_find_dep(rb::uring liburing liburing.h uring liburing-dev)
endfunction()

function(rb_require_jemalloc)
  _rb_find_dep(rb::jemalloc jemalloc jemalloc/jemalloc.h jemalloc libjemalloc-dev)
endfunction()

function(rb_require_criterion)
  _rb_find_dep(rb::criterion criterion criterion/criterion.h criterion libcriterion-dev)
endfunction()

function(rb_require_zlib)
  _rb_find_dep(rb::zlib zlib zlib.h z zlib1g-dev)
endfunction()

# OpenSSL 3 (rb_tls): CMake's own FindOpenSSL knows libssl's link order and libcrypto, so it is
# asked instead of pkg-config; the same one-line message when it is missing or older than 3.
function(rb_require_openssl)
  if(TARGET rb::openssl)
    return()
  endif()
  find_package(OpenSSL 3 QUIET)
  if(NOT OPENSSL_FOUND OR NOT TARGET OpenSSL::SSL)
    message(FATAL_ERROR "OpenSSL 3 not found: apt-get install libssl-dev")
  endif()
  add_library(rb::openssl INTERFACE IMPORTED GLOBAL)
  target_link_libraries(rb::openssl INTERFACE OpenSSL::SSL OpenSSL::Crypto)
  message(STATUS "Found OpenSSL ${OPENSSL_VERSION}: rb::openssl")
endfunction()
