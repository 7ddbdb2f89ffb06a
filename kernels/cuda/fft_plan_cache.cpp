#include "kernels/cuda/fft_plan_cache.h"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "kernels/cuda_check.h"

namespace spindle::kernels {

class FftPlan {
 public:
  FftPlan(FftDirection direction, int64_t n, int64_t batch) : direction_(direction) {
    SPINDLE_CUFFT_CHECK(cufftCreate(&handle_));
    try {
      SPINDLE_CUFFT_CHECK(cufftSetAutoAllocation(handle_, 0));
      long long length = n, embed = n;
      SPINDLE_CUFFT_CHECK(cufftMakePlanMany64(handle_, 1, &length, &embed, 1, embed, &embed, 1, embed, CUFFT_C2C, batch,
                                              &work_bytes_));
    } catch (...) {
      (void)cufftDestroy(handle_);
      throw;
    }
  }
  ~FftPlan() { (void)cufftDestroy(handle_); }
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  size_t work_bytes() const { return work_bytes_; }

  void execute(void* in, void* out, void* work_area, cudaStream_t stream) {
    const std::lock_guard lock(mutex_);
    SPINDLE_CUFFT_CHECK(cufftSetStream(handle_, stream));
    SPINDLE_CUFFT_CHECK(cufftSetWorkArea(handle_, work_area));
    SPINDLE_CUFFT_CHECK(cufftExecC2C(handle_, static_cast<cufftComplex*>(in), static_cast<cufftComplex*>(out),
                                     direction_ == FftDirection::forward ? CUFFT_FORWARD : CUFFT_INVERSE));
  }

 private:
  FftDirection direction_;
  cufftHandle handle_ = 0;
  size_t work_bytes_ = 0;
  std::mutex mutex_;
};

FftPlan& fft_plan(FftDirection direction, int64_t n, int64_t batch) {
  using Key = std::tuple<int, FftDirection, int64_t, int64_t>;
  static std::mutex mutex;
  // Never destroyed: plans outlive every caller, and cuFFT must not be torn down after the
  // CUDA runtime at process exit.
  static auto* plans = new std::map<Key, std::unique_ptr<FftPlan>>;
  int device = 0;
  SPINDLE_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard lock(mutex);
  std::unique_ptr<FftPlan>& plan = (*plans)[Key{device, direction, n, batch}];
  if (!plan) plan = std::make_unique<FftPlan>(direction, n, batch);
  return *plan;
}

size_t fft_work_bytes(const FftPlan& plan) { return plan.work_bytes(); }

void fft_execute(FftPlan& plan, void* in, void* out, void* work_area, cudaStream_t stream) {
  plan.execute(in, out, work_area, stream);
}

}  // namespace spindle::kernels
