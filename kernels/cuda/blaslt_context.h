// cuBLASLt state reused by every matmul instead of being made per call: one handle per
// device, and one workspace per (calling thread, device, stream).
//
// Thread safety: the per-device handle is created once under a lock and then shared by all
// threads; cuBLASLt takes the stream as an argument of each call, so concurrent
// cublasLtMatmul calls on one handle are allowed. A workspace must not be used by two
// matmuls that can run at the same time, so workspaces are owned by the calling thread and
// keyed by stream (CUDA's per-thread default stream has the same handle value in every
// thread but is a different stream in each). A workspace lives as long as its thread and is
// reused by a later stream that gets the same handle value on that thread: synchronize a
// stream with matmuls in flight before destroying it.
// Only for translation units built with the CUDA backend.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace spindle::kernels {

struct BlasLtContext {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;  // device memory of workspace_bytes, for cublasLtMatmul
  size_t workspace_bytes = 0;
};

// The context for matmuls on the current device in `stream`, created on first use.
BlasLtContext blaslt_context(cudaStream_t stream);

}  // namespace spindle::kernels
