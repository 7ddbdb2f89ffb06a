// A named trainable tensor and its gradient.
#pragma once

#include <string>

#include "platform/tensor.h"

namespace spindle {

struct Parameter {
  std::string name;   // stable: checkpoints use it (the reference implementation's state-dict name)
  Tensor value;       // master copy (f32 on GPUs; f32 or f64 on the CPU)
  Tensor grad;        // same shape and dtype; backward passes ACCUMULATE into it
  bool weight_decay;  // false for biases, norms, A_log and D, as the reference exempts them
};

}  // namespace spindle
