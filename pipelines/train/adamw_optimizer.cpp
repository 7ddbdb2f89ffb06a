#include "pipelines/train/adamw_optimizer.h"

#include <vector>

#include "platform/ops/adamw.h"

namespace spindle {

AdamWOptimizer::AdamWOptimizer(std::vector<Parameter*> parameters, const AdamWSettings& settings)
    : settings_(settings) {
  for (Parameter* parameter : parameters) {
    const Tensor& value = parameter->value;
    moments_.push_back({parameter, Tensor::zeros(value.shape(), value.dtype(), value.device()),
                        Tensor::zeros(value.shape(), value.dtype(), value.device())});
  }
}

void AdamWOptimizer::step(double lr, const Stream* stream) {
  ++steps_taken_;
  if (moments_.empty()) return;  // a model without parameters: nothing to update
  std::vector<ops::AdamWParameter> list;
  list.reserve(moments_.size());
  for (Moments& moments : moments_) {
    Parameter& parameter = *moments.parameter;
    list.push_back({&parameter.value, &parameter.grad, &moments.m, &moments.v, nullptr, parameter.weight_decay});
  }
  const ops::AdamWArgs args{.lr = lr,
                            .beta1 = settings_.beta1,
                            .beta2 = settings_.beta2,
                            .eps = settings_.eps,
                            .weight_decay = settings_.weight_decay,
                            .step = steps_taken_};
  ops::adamw_step(list, args, stream);
}

}  // namespace spindle
