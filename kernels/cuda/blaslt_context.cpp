#include "kernels/cuda/blaslt_context.h"

#include <map>
#include <mutex>
#include <utility>

#include "kernels/cuda_check.h"

namespace spindle::kernels {
namespace {

// NVIDIA's recommendation for Hopper; enough for every algorithm on earlier GPUs too.
constexpr size_t kWorkspaceBytes = size_t{32} << 20;

cublasLtHandle_t device_handle(int device) {
  static std::mutex mutex;
  static std::map<int, cublasLtHandle_t> handles;  // live until the process ends
  const std::lock_guard lock(mutex);
  auto [it, inserted] = handles.try_emplace(device, nullptr);
  if (inserted) {
    try {
      SPINDLE_CUBLAS_CHECK(cublasLtCreate(&it->second));
    } catch (...) {
      handles.erase(it);
      throw;
    }
  }
  return it->second;
}

// The calling thread's workspaces, freed when the thread ends.
class ThreadWorkspaces {
 public:
  ThreadWorkspaces() = default;
  ThreadWorkspaces(const ThreadWorkspaces&) = delete;
  ThreadWorkspaces& operator=(const ThreadWorkspaces&) = delete;
  ~ThreadWorkspaces() {
    for (auto& [key, pointer] : workspaces_) {
      int previous = 0;
      // Errors are dropped: at process exit the CUDA runtime may already be gone.
      if (cudaGetDevice(&previous) == cudaSuccess && cudaSetDevice(key.first) == cudaSuccess) {
        (void)cudaFree(pointer);
        (void)cudaSetDevice(previous);
      }
    }
  }

  void* get(int device, cudaStream_t stream) {
    auto [it, inserted] = workspaces_.try_emplace({device, stream}, nullptr);
    if (inserted) {
      try {
        // Synchronous allocation outside the stream-ordered pool: the buffer lives as long as
        // the thread and is reused by every matmul on this stream.
        SPINDLE_CUDA_CHECK(cudaMalloc(&it->second, kWorkspaceBytes));
      } catch (...) {
        workspaces_.erase(it);
        throw;
      }
    }
    return it->second;
  }

 private:
  std::map<std::pair<int, cudaStream_t>, void*> workspaces_;
};

}  // namespace

BlasLtContext blaslt_context(cudaStream_t stream) {
  thread_local ThreadWorkspaces workspaces;
  int device = 0;
  SPINDLE_CUDA_CHECK(cudaGetDevice(&device));
  return {device_handle(device), workspaces.get(device, stream), kWorkspaceBytes};
}

}  // namespace spindle::kernels
