#include "kernels/cuda_check.h"

#include <string>

namespace spindle {
namespace {

const char* cufft_status_name(cufftResult status) {
  switch (status) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    case CUFFT_MISSING_DEPENDENCY: return "CUFFT_MISSING_DEPENDENCY";
    case CUFFT_NVRTC_FAILURE: return "CUFFT_NVRTC_FAILURE";
    case CUFFT_NVJITLINK_FAILURE: return "CUFFT_NVJITLINK_FAILURE";
    case CUFFT_NVSHMEM_FAILURE: return "CUFFT_NVSHMEM_FAILURE";
    default: return "unknown cuFFT status";
  }
}

}  // namespace

void check_cuda(cudaError_t status, const char* call, std::source_location at) {
  if (status == cudaSuccess) return;
  throw Error(call, std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status),
              "cudaSuccess", at);
}

void check_cublas(cublasStatus_t status, const char* call, std::source_location at) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(call, std::string(cublasGetStatusName(status)) + ": " + cublasGetStatusString(status),
              "CUBLAS_STATUS_SUCCESS", at);
}

void check_cufft(cufftResult status, const char* call, std::source_location at) {
  if (status == CUFFT_SUCCESS) return;
  throw Error(call, cufft_status_name(status), "CUFFT_SUCCESS", at);
}

}  // namespace spindle
