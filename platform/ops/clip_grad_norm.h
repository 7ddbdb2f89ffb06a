// Global gradient-norm clipping over a list of gradient tensors (kernels/grad_norm.h has
// the definition, as torch.nn.utils.clip_grad_norm_): every gradient is scaled in place by
// min(1, max_norm / (norm + 1e-6)), where norm is the L2 norm of all of them together.
// All tensors contiguous on one device: f32 or f64 on the CPU, f32 on CUDA.
#pragma once

#include <vector>

#include "platform/tensor.h"

namespace spindle::ops {

// Returns the norm before clipping. The gradients must be distinct tensors. The sum is in
// a fixed order (on the CPU the list's order, then the elements'; on a GPU fixed block
// partials, kernels/grad_norm.h), so the result is the same from run to run. On a GPU the
// scaling stays on the device; returning the norm waits for the stream.
double clip_grad_norm(const std::vector<Tensor*>& gradients, double max_norm, const Stream* stream = nullptr);

}  // namespace spindle::ops
