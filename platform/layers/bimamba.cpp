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

void BiMamba::run_directions(std::initializer_list<Step> steps, bool side_by_side) {
  auto block = [&](int direction) -> MambaBlock& { return direction == 0 ? fwd_ : rev_[0]; };
  const int directions = bidirectional_ ? 2 : 1;
  if (side_by_side) {
    for (const Step& step : steps) {
      for (int direction = 0; direction < directions; ++direction) step(block(direction), direction);
    }
    return;
  }
  for (int direction = 0; direction < directions; ++direction) {
    for (const Step& step : steps) step(block(direction), direction);
  }
}

BiMamba::Step BiMamba::start_forward_step(const Tensor& x, bool keep, const SequenceParallel* sp,
                                          const std::optional<SequenceParallel>& flipped, const Stream* stream) {
  return [&x, keep, sp, &flipped, stream](MambaBlock& block, int direction) {
    if (direction == 0) return block.start_forward(x, keep, stream, sp);
    block.start_forward(flipped_length(x, stream), keep, stream, flipped ? &*flipped : nullptr);
  };
}

BiMamba::Step BiMamba::start_forward_scan_step(const Stream* stream) {
  return [stream](MambaBlock& block, int) { block.start_forward_scan(stream); };
}

BiMamba::Step BiMamba::start_backward_step(const Tensor& dout, const Stream* stream) {
  return [&dout, stream](MambaBlock& block, int direction) {
    block.start_backward(direction == 0 ? dout : flipped_length(dout, stream), stream);
  };
}

BiMamba::Step BiMamba::finish_backward_step(Tensor& dx, Tensor& dreversed_x, const Stream* stream) {
  return [&dx, &dreversed_x, stream](MambaBlock& block, int direction) {
    if (direction == 0) return block.finish_backward(dx, stream);
    dreversed_x = Tensor::empty(dx.shape(), dx.dtype(), dx.device(), stream);
    block.finish_backward(dreversed_x, stream);
  };
}

void BiMamba::forward(const Tensor& x, Tensor& out, bool training, const Stream* stream, const SequenceParallel* sp) {
  const std::optional<SequenceParallel> flipped = sp ? std::optional(sp->flipped()) : std::nullopt;
  Tensor reversed_out;
  run_directions({start_forward_step(x, training, sp, flipped, stream), start_forward_scan_step(stream),
                  [&](MambaBlock& block, int direction) {
                    if (direction == 0) return block.finish_forward(&out, stream);
                    reversed_out = Tensor::empty(out.shape(), out.dtype(), out.device(), stream);
                    block.finish_forward(&reversed_out, stream);
                  }},
                 sp != nullptr);
  if (bidirectional_) ops::axpy(1.0, flipped_length(reversed_out, stream), out, stream);
}

void BiMamba::backward(const Tensor& dout, Tensor& dx, const Stream* stream) {
  Tensor dreversed_x;
  run_directions({start_backward_step(dout, stream), finish_backward_step(dx, dreversed_x, stream)},
                 fwd_.sharded());
  if (bidirectional_) ops::axpy(1.0, flipped_length(dreversed_x, stream), dx, stream);
}

void BiMamba::backward_recomputing(const Tensor& x, const Tensor& dout, Tensor& dx, const Stream* stream,
                                   const SequenceParallel* sp) {
  const std::optional<SequenceParallel> flipped = sp ? std::optional(sp->flipped()) : std::nullopt;
  Tensor dreversed_x;
  run_directions({start_forward_step(x, true, sp, flipped, stream), start_forward_scan_step(stream),
                  [&](MambaBlock& block, int) { block.finish_forward(nullptr, stream); },
                  start_backward_step(dout, stream), finish_backward_step(dx, dreversed_x, stream)},
                 sp != nullptr);
  if (bidirectional_) ops::axpy(1.0, flipped_length(dreversed_x, stream), dx, stream);
}

}  // namespace spindle
