// Gradient-norm clipping over a list of gradient tensors:
//   norm   = sqrt(sum over every tensor and element of g^2)
//   factor = min(1, max_norm / (norm + 1e-6))      (torch.nn.utils.clip_grad_norm_)
//   g     *= factor, for every tensor
// The sum is taken in a fixed order on both backends: on the CPU in double with Kahan
// compensation, tensor by tensor; on CUDA in double, each tensor into block partials
// (fixed-order block reductions over a fixed share each), then those partials reduced in a
// fixed order by one block.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/backend.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

inline constexpr double kClipEpsilon = 1e-6;

SPINDLE_HOST_DEVICE double clip_factor(double norm, double max_norm) {
  const double factor = max_norm / (norm + kClipEpsilon);
  return factor < 1.0 ? factor : 1.0;
}

// CPU reference; T is float or double. A Kahan-compensated double sum of g[i]^2, carried
// across calls in (sum, compensation) so a list of tensors sums as one sequence.
struct KahanSum {
  double sum = 0, compensation = 0;
};
template <typename T>
void add_sum_of_squares_cpu(const T* g, int64_t n, KahanSum& total);
template <typename T>
void scale_cpu(T* g, int64_t n, double factor);

#if SPINDLE_WITH_CUDA
// One gradient of the list: n floats (the list's gradients are distinct tensors).
struct GradientRef {
  float* data;
  int64_t n;
};
// Block partials of the sum of g^2 over the list, each tensor's blocks in turn (fixed-order
// block reductions over a fixed share each): sum_of_squares_partial_count(gradients) doubles
// written to partials (device memory).
int64_t sum_of_squares_partial_count(std::span<const GradientRef> gradients);
void sum_of_squares_partials_cuda(std::span<const GradientRef> gradients, double* partials, cudaStream_t stream);
// Reduces the count partials in a fixed order (thread j adds partials j, j + 256, ..., then
// a block sum): norm_and_factor[0] = sqrt(sum), [1] = clip_factor (written, device memory).
void clip_factor_cuda(const double* partials, int64_t count, double max_norm, double* norm_and_factor,
                      cudaStream_t stream);
// g *= *factor for every gradient of the list (factor: a device double, such as
// norm_and_factor + 1).
void scale_by_device_factor_cuda(std::span<const GradientRef> gradients, const double* factor, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
