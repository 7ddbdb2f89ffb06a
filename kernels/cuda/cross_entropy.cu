#include <cuda_bf16.h>

#include "kernels/cross_entropy.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

constexpr int kCrossEntropyThreads = 512;

// One block per row. The valid-row count is an integer atomic add: exact in any order.
template <typename T, typename Id>
__global__ void cross_entropy_kernel(const T* logits, const Id* targets, float* loss, T* dlogits,
                                     unsigned long long* valid_rows, int* bad_target_flag, CrossEntropyShape shape,
                                     CrossEntropyArgs args) {
  const int64_t r = blockIdx.x;
  const T* z = logits + r * shape.vocab;
  T* dz = dlogits ? dlogits + r * shape.vocab : nullptr;
  const int64_t t = static_cast<int64_t>(targets[r]);
  const bool out_of_range = t != args.ignore_index && (t < 0 || t >= shape.vocab);
  if (t == args.ignore_index || out_of_range) {
    if (threadIdx.x == 0) {
      loss[r] = 0.0f;
      if (out_of_range) *bad_target_flag = 1;
    }
    if (dz) {
      for (int64_t k = threadIdx.x; k < shape.vocab; k += blockDim.x) dz[k] = from_float<T>(0.0f);
    }
    return;
  }
  float max = -FLT_MAX;
  for (int64_t k = threadIdx.x; k < shape.vocab; k += blockDim.x) max = fmaxf(max, to_float(z[k]));
  max = block_max(max);
  float sum_exp = 0.0f, sum_shifted = 0.0f;
  for (int64_t k = threadIdx.x; k < shape.vocab; k += blockDim.x) {
    const float shifted = to_float(z[k]) - max;
    sum_exp += expf(shifted);
    sum_shifted += shifted;
  }
  sum_exp = block_sum(sum_exp);
  sum_shifted = block_sum(sum_shifted);
  const float lse = max + logf(sum_exp);
  const float smoothing = static_cast<float>(args.label_smoothing);
  const float uniform = smoothing / static_cast<float>(shape.vocab);
  if (threadIdx.x == 0) {
    // The loss with every logit shifted by -max (the weights of the target sum to 1).
    loss[r] = logf(sum_exp) - (1.0f - smoothing) * (to_float(z[t]) - max) - uniform * sum_shifted;
    atomicAdd(valid_rows, 1ull);
  }
  if (!dz) return;
  const float scale = static_cast<float>(args.dloss_scale);
  for (int64_t k = threadIdx.x; k < shape.vocab; k += blockDim.x) {
    const float target_weight = (k == t ? 1.0f - smoothing : 0.0f) + uniform;
    dz[k] = from_float<T>((expf(to_float(z[k]) - lse) - target_weight) * scale);
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T, typename Id>
void cross_entropy_cuda(const T* logits, const Id* targets, float* loss, T* dlogits, int64_t* valid_rows,
                        int* bad_target_flag, CrossEntropyShape shape, CrossEntropyArgs args, cudaStream_t stream) {
  SPINDLE_CUDA_CHECK(cudaMemsetAsync(valid_rows, 0, sizeof(int64_t), stream));
  if (shape.rows == 0) return;
  cross_entropy_kernel<<<static_cast<unsigned>(shape.rows), kCrossEntropyThreads, 0, stream>>>(
      reinterpret_cast<const Device<T>*>(logits), targets, loss, reinterpret_cast<Device<T>*>(dlogits),
      reinterpret_cast<unsigned long long*>(valid_rows), bad_target_flag, shape, args);
  check_launch("cross_entropy_kernel");
}

#define SPINDLE_INSTANTIATE(T, Id)                                                                              \
  template void cross_entropy_cuda<T, Id>(const T*, const Id*, float*, T*, int64_t*, int*, CrossEntropyShape,  \
                                          CrossEntropyArgs, cudaStream_t);
SPINDLE_INSTANTIATE(float, int32_t)
SPINDLE_INSTANTIATE(float, int64_t)
SPINDLE_INSTANTIATE(bfloat16, int32_t)
SPINDLE_INSTANTIATE(bfloat16, int64_t)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
