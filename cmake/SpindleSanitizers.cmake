# Sanitizer and fuzzing builds, CPU only. deploy/sanitize.sh runs the test suite under
# AddressSanitizer and UBSan (SPINDLE_SANITIZE); deploy/fuzz.sh runs the libFuzzer targets
# of tests/fuzz (SPINDLE_BUILD_FUZZERS: Clang, sanitized as well). Included before any
# target is made, because every library must be instrumented.
option(SPINDLE_SANITIZE "Build with AddressSanitizer and UBSan (CPU only)" OFF)
option(SPINDLE_BUILD_FUZZERS "Build the libFuzzer targets of tests/fuzz (Clang, CPU only)" OFF)

if(SPINDLE_SANITIZE OR SPINDLE_BUILD_FUZZERS)
  if(SPINDLE_WITH_CUDA)
    message(FATAL_ERROR "SPINDLE_SANITIZE and SPINDLE_BUILD_FUZZERS need SPINDLE_CUDA=OFF")
  endif()
  # Every UBSan report stops the program, so that a test fails on it.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SPINDLE_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SPINDLE_BUILD_FUZZERS needs Clang (-DCMAKE_CXX_COMPILER=clang++), "
                        "not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
