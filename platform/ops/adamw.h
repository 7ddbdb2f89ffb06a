// Fused AdamW step on parameter tensors (kernels/adamw.h has the exact update, which is
// torch.optim.AdamW's). param (the master weights), grad, m, v: one shape, contiguous;
// f32 or f64 on the CPU (one dtype), f32 on CUDA. working: null or a bf16 tensor of the
// same shape that receives the updated weights rounded to bf16 in the same pass.
#pragma once

#include <span>

#include "kernels/adamw.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::AdamWArgs;

// One parameter of a step. args.weight_decay applies where decayed, 0 elsewhere (biases,
// norms, ... in torch's usual parameter groups).
struct AdamWParameter {
  Tensor* param;
  const Tensor* grad;
  Tensor* m;
  Tensor* v;
  Tensor* working = nullptr;
  bool decayed = true;
};

// Every parameter of the list stepped: distinct tensors, all on one device; on a GPU a few
// launches for the whole list instead of one per tensor. param, m, v updated in place (args.step is the step
// being taken, from 1); working written.
void adamw_step(std::span<const AdamWParameter> parameters, const AdamWArgs& args, const Stream* stream = nullptr);

// One tensor, decayed by args.weight_decay.
void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, Tensor* working, const AdamWArgs& args,
                const Stream* stream = nullptr);

}  // namespace spindle::ops
