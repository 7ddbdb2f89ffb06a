// Checks for CUDA runtime, cuBLAS and cuFFT calls: a failing call throws spindle::Error
// naming the call and the library's own description of the status.
// Only for translation units built with the CUDA backend.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cufft.h>

#include <source_location>

#include "kernels/error.h"

namespace spindle {

void check_cuda(cudaError_t status, const char* call,
                std::source_location at = std::source_location::current());
void check_cublas(cublasStatus_t status, const char* call,
                  std::source_location at = std::source_location::current());
void check_cufft(cufftResult status, const char* call,
                 std::source_location at = std::source_location::current());

// Checks the launch of the kernel just enqueued (configuration errors surface here;
// faults during execution surface at the next synchronizing call).
inline void check_launch(const char* kernel, std::source_location at = std::source_location::current()) {
  check_cuda(cudaGetLastError(), kernel, at);
}

}  // namespace spindle

#define SPINDLE_CUDA_CHECK(call) ::spindle::check_cuda((call), #call)
#define SPINDLE_CUBLAS_CHECK(call) ::spindle::check_cublas((call), #call)
#define SPINDLE_CUFFT_CHECK(call) ::spindle::check_cufft((call), #call)
