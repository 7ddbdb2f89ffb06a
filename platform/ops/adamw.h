// Fused AdamW step on one parameter tensor (kernels/adamw.h has the exact update, which is
// torch.optim.AdamW's). param (the master weights), grad, m, v: one shape, contiguous;
// f32 or f64 on the CPU (one dtype), f32 on CUDA. working: null or a bf16 tensor of the
// same shape that receives the updated weights rounded to bf16 in the same pass.
#pragma once

#include "kernels/adamw.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::AdamWArgs;

// param, m, v updated in place (args.step is the step being taken, from 1); working written.
void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, Tensor* working, const AdamWArgs& args,
                const Stream* stream = nullptr);

}  // namespace spindle::ops
