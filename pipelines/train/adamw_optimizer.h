// AdamW over a model's parameters (torch.optim.AdamW's update, ops::adamw_step): first and
// second moments beside each parameter, in the master weights' dtype on their device.
// Parameters whose Parameter::weight_decay is false (biases, norms, A_log, D, as the
// reference exempts them) take no weight decay.
#pragma once

#include <cstdint>
#include <vector>

#include "platform/layers/parameter.h"
#include "platform/stream.h"

namespace spindle {

struct AdamWSettings {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

class AdamWOptimizer {
 public:
  // Moments start at zero. `parameters` must outlive the optimizer.
  AdamWOptimizer(std::vector<Parameter*> parameters, const AdamWSettings& settings);

  // One update of every parameter from its gradient at learning rate `lr`.
  void step(double lr, const Stream* stream = nullptr);
  // Updates taken so far (the bias correction's t of the next update is this + 1).
  int64_t steps_taken() const { return steps_taken_; }

  // Per parameter, in the parameters' order: the moments (for checkpoints; loading writes
  // into them), and the step count they belong to.
  struct Moments {
    Parameter* parameter;
    Tensor m, v;
  };
  std::vector<Moments>& moments() { return moments_; }
  const std::vector<Moments>& moments() const { return moments_; }
  void set_steps_taken(int64_t steps) { steps_taken_ = steps; }

 private:
  std::vector<Moments> moments_;
  AdamWSettings settings_;
  int64_t steps_taken_ = 0;
};

}  // namespace spindle
