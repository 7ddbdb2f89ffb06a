#include "platform/layers/bimamba.h"

#include <algorithm>
#include <optional>

#include "platform/ops/axpy.h"
#include "platform/ops/flip.h"

namespace spindle {
namespace {

Tensor flipped_length(const Tensor& x, const Stream* stream) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), stream);
  ops::flip_length(x, y, ops::SequenceLayout::channels_last, stream);
  return y;
}

}  // namespace

BiMamba::BiMamba(const MambaConfig& config, bool bidirectional, bool weight_tie, Device device, DType dtype,
                 const std::string& name_prefix)
    : bidirectional_(bidirectional),
      fwd_(config, device, dtype, name_prefix + "mamba_fwd.") {
  if (!bidirectional) return;
  rev_.emplace_back(config, device, dtype, name_prefix + "mamba_rev.");
  if (!weight_tie) return;
  for (const char* name : kTiedNames) {
    rev_[0].tie(name, fwd_.parameter(name));
    tied_.emplace_back(rev_[0].parameter(name).name, fwd_.parameter(name).name);
  }
}

std::vector<Parameter*> BiMamba::parameters() {
  std::vector<Parameter*> all = fwd_.parameters();
  for (MambaBlock& rev : rev_) {
    for (Parameter* parameter : rev.parameters()) {
      const bool tied = std::any_of(tied_.begin(), tied_.end(),
                                    [&](const auto& alias) { return alias.first == parameter->name; });
      if (!tied) all.push_back(parameter);
    }
  }
  return all;
}

void BiMamba::initialize(RandomStream& random) {
  fwd_.initialize(random);
  for (MambaBlock& rev : rev_) rev.initialize(random);
}

void BiMamba::forward(const Tensor& x, Tensor& out, bool training, const Stream* stream, const SequenceParallel* sp) {
  fwd_.forward(x, out, training, stream, sp);
  if (!bidirectional_) return;
  Tensor reversed_out = Tensor::empty(x.shape(), x.dtype(), x.device(), stream);
  const std::optional<SequenceParallel> flipped = sp ? std::optional(sp->flipped()) : std::nullopt;
  rev_[0].forward(flipped_length(x, stream), reversed_out, training, stream, flipped ? &*flipped : nullptr);
  ops::axpy(1.0, flipped_length(reversed_out, stream), out, stream);
}

void BiMamba::backward(const Tensor& dout, Tensor& dx, const Stream* stream) {
  fwd_.backward(dout, dx, stream);
  if (bidirectional_) reverse_backward(dout, dx, stream);
}

void BiMamba::backward_recomputing(const Tensor& x, const Tensor& dout, Tensor& dx, const Stream* stream,
                                   const SequenceParallel* sp) {
  fwd_.save_for_backward(x, stream, sp);
  fwd_.backward(dout, dx, stream);
  if (!bidirectional_) return;
  const std::optional<SequenceParallel> flipped = sp ? std::optional(sp->flipped()) : std::nullopt;
  rev_[0].save_for_backward(flipped_length(x, stream), stream, flipped ? &*flipped : nullptr);
  reverse_backward(dout, dx, stream);
}

void BiMamba::reverse_backward(const Tensor& dout, Tensor& dx, const Stream* stream) {
  Tensor dreversed_x = Tensor::empty(dout.shape(), dout.dtype(), dout.device(), stream);
  rev_[0].backward(flipped_length(dout, stream), dreversed_x, stream);
  ops::axpy(1.0, flipped_length(dreversed_x, stream), dx, stream);
}

}  // namespace spindle
