# Compiler flags for every target: warnings, the Release optimisation level, sanitizers
# (RB_SANITIZE) and libFuzzer instrumentation (RB_FUZZ). Included once, from the root.
include_guard(GLOBAL)
include(CheckCSourceCompiles)

if(NOT CMAKE_C_COMPILER_ID MATCHES "^(GNU|Clang)$")
  message(FATAL_ERROR "ringbench builds with gcc or clang, not ${CMAKE_C_COMPILER_ID}: "
                      "apt-get install gcc")
endif()

# Release is -O2 -DNDEBUG rather than CMake's -O3 default. A value the user set on the command
# line or in the cache (anything but CMake's default) is left alone.
if(CMAKE_C_FLAGS_RELEASE STREQUAL "-O3 -DNDEBUG")
  set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "C flags for Release builds" FORCE)
endif()

add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
if(RB_WERROR)
  add_compile_options(-Werror)
endif()

# A fuzz build is always a sanitizer build: libFuzzer finds nothing that ASan cannot see.
set(RB_SANITIZE_EFFECTIVE ${RB_SANITIZE})
if(RB_FUZZ)
  set(RB_SANITIZE_EFFECTIVE ON)
endif()

if(RB_SANITIZE_EFFECTIVE)
  set(_rb_san -fsanitize=address,undefined -fno-sanitize-recover=all)
  set(CMAKE_REQUIRED_FLAGS "${_rb_san}")
  set(CMAKE_REQUIRED_LINK_OPTIONS ${_rb_san})
  check_c_source_compiles("int main(void) { return 0; }" RB_HAVE_SANITIZERS)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT RB_HAVE_SANITIZERS)
    unset(RB_HAVE_SANITIZERS CACHE) # look again on the next configure, after the install
    if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
      message(FATAL_ERROR "AddressSanitizer runtime not found for clang: "
                          "apt-get install libclang-rt-14-dev")
    else()
      message(FATAL_ERROR "AddressSanitizer runtime not found for gcc: "
                          "apt-get install libasan8 libubsan1")
    endif()
  endif()
  add_compile_options(${_rb_san} -fno-omit-frame-pointer)
  add_link_options(${_rb_san})
endif()

if(RB_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RB_FUZZ needs clang, not ${CMAKE_C_COMPILER_ID}: configure with "
                        "-DCMAKE_C_COMPILER=clang (apt-get install clang)")
  endif()
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  check_c_source_compiles([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
]] RB_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT RB_HAVE_LIBFUZZER)
    unset(RB_HAVE_LIBFUZZER CACHE)
    message(FATAL_ERROR "libFuzzer not found for clang: "
                        "apt-get install libfuzzer-14-dev libclang-rt-14-dev")
  endif()
  # Coverage instrumentation everywhere; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
endif()

# Environment for every test ctest runs (see tests/CMakeLists.txt). abort_on_error makes a leak
# found when a Criterion test process exits a crash Criterion reports; without it LeakSanitizer
# prints its report and the test still passes. Options in ASAN_OPTIONS/UBSAN_OPTIONS at configure
# time come last and win.
set(RB_TEST_ENVIRONMENT
    "ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:$ENV{ASAN_OPTIONS}"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:$ENV{UBSAN_OPTIONS}")
