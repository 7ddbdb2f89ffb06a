#include "platform/distributed/gradient_sum.h"

#include "kernels/error.h"

namespace spindle {

void sum_gradients(const std::vector<Parameter*>& parameters, Communicator& group, const Stream* stream) {
  if (parameters.empty()) return;
  const DType dtype = parameters.front()->grad.dtype();
  int64_t total = 0;
  for (const Parameter* parameter : parameters) {
    SPINDLE_CHECK(parameter->grad.dtype() == dtype, "sum_gradients: " + parameter->name, parameter->grad.describe(),
                  "dtype " + std::string(dtype_name(dtype)) + ", as " + parameters.front()->name);
    total += parameter->grad.numel();
  }
  Tensor buffer = Tensor::empty({total}, dtype, group.device(), stream);
  auto each_slot = [&](auto&& visit) {
    int64_t offset = 0;
    for (Parameter* parameter : parameters) {
      const int64_t n = parameter->grad.numel();
      Tensor slot = buffer.slice(0, offset, offset + n).reshape(parameter->grad.shape());
      visit(parameter->grad, slot);
      offset += n;
    }
  };
  each_slot([&](const Tensor& grad, Tensor& slot) { slot.copy_from(grad, stream); });
  group.all_reduce_sum(buffer, stream);
  each_slot([&](Tensor& grad, const Tensor& slot) { grad.copy_from(slot, stream); });
}

}  // namespace spindle
