// Stream-ordered scratch memory for a launcher's workspaces (CUDA builds only).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "kernels/cuda_check.h"
#include "kernels/error.h"

namespace spindle::kernels {

// `bytes` of device memory from cudaMallocAsync on `stream`, freed on the same stream when
// the scope ends, so kernels enqueued before then may still use it. `what` names the
// workspace in the out-of-memory error, worded as the device pool words it so callers
// recognise one kind of failure.
class Scratch {
 public:
  Scratch(size_t bytes, cudaStream_t stream, const char* what) : stream_(stream) {
    const cudaError_t status = cudaMallocAsync(&pointer_, bytes, stream);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw Error(std::string("cudaMallocAsync (") + what + ")",
                  "out of device memory allocating " + std::to_string(bytes) + " bytes",
                  "an allocation that fits in the free device memory");
    }
    SPINDLE_CUDA_CHECK(status);
  }
  ~Scratch() { cudaFreeAsync(pointer_, stream_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* get() const { return static_cast<float*>(pointer_); }

 private:
  void* pointer_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace spindle::kernels
