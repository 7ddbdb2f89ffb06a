#include "platform/layers/parameter.h"

namespace spindle {

void zero_gradients(const std::vector<Parameter*>& parameters, const Stream* stream) {
  for (Parameter* parameter : parameters) {
    parameter->grad.copy_from(Tensor::zeros(parameter->grad.shape(), parameter->grad.dtype(), parameter->grad.device(),
                                            stream && stream->device() == parameter->grad.device() ? stream : nullptr),
                              stream);
  }
}

}  // namespace spindle
