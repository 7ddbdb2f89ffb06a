// Caduceus's bidirectional Mamba mixer (BiMambaWrapper in the reference, strategy "add"):
//
//   out = mamba_fwd(x) + flip(mamba_rev(flip(x)))      flip: along the length
//
// With weight tying (the published models), mamba_rev's in_proj and out_proj are
// mamba_fwd's tensors, so their gradients sum over both directions. Without
// bidirectionality only mamba_fwd exists. x and out are (batch, length, d_model).
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/layers/mamba_block.h"

namespace spindle {

class BiMamba {
 public:
  // Parameter names are `name_prefix` + "mamba_fwd." / "mamba_rev." + the mamba_ssm name.
  BiMamba(const MambaConfig& config, bool bidirectional, bool weight_tie, Device device, DType dtype,
          const std::string& name_prefix);

  // Every trainable tensor once, forward direction first; tied tensors only under their
  // mamba_fwd name.
  std::vector<Parameter*> parameters();
  // {mamba_rev name, mamba_fwd name} of each tied tensor.
  const std::vector<std::pair<std::string, std::string>>& tied_names() const { return tied_; }
  // Both directions' mamba_ssm initialization (see MambaBlock::initialize).
  void initialize(RandomStream& random);

  // With `sp`, x is this rank's slice of rows cut over a ring (see MambaBlock::forward);
  // the reverse direction's rows run the other way round the ring. The two directions then
  // run step by step side by side (MambaBlock's steps), so that the ranks' scan summaries of
  // one direction travel while the other direction computes: both halo exchanges first
  // (NCCL runs one communicator's calls in the order they are made), then each direction's
  // scan with its all-gather, then their finishes. Both directions' activations and scan
  // workspaces are then held at once; without `sp` one direction runs after the other.
  void forward(const Tensor& x, Tensor& out, bool training, const Stream* stream = nullptr,
               const SequenceParallel* sp = nullptr);
  // dx written, parameter gradients accumulated.
  void backward(const Tensor& dout, Tensor& dx, const Stream* stream = nullptr);
  // The same for a forward that kept nothing (training = false): each direction reruns its
  // forward from x just before its own backward, so one direction's activations are held at
  // a time (with `sp` both, side by side as in forward). Gradients are those of forward +
  // backward, bit for bit.
  void backward_recomputing(const Tensor& x, const Tensor& dout, Tensor& dx, const Stream* stream = nullptr,
                            const SequenceParallel* sp = nullptr);

 private:
  // A step of a pass for one direction: the block, its index (0 forward, 1 reverse).
  using Step = std::function<void(MambaBlock&, int)>;
  // Runs `steps` for every direction: step by step, each for both directions (`side_by_side`),
  // or direction by direction.
  void run_directions(std::initializer_list<Step> steps, bool side_by_side);
  // The steps the passes share. The reverse direction takes its input flipped along the
  // length, and its rows run the other way round the ring (`flipped`); its dx is written
  // into dreversed_x (allocated here), which the caller adds to dx flipped back.
  static Step start_forward_step(const Tensor& x, bool keep, const SequenceParallel* sp,
                                 const std::optional<SequenceParallel>& flipped, const Stream* stream);
  static Step start_forward_scan_step(const Stream* stream);
  static Step start_backward_step(const Tensor& dout, const Stream* stream);
  static Step finish_backward_step(Tensor& dx, Tensor& dreversed_x, const Stream* stream);

  static constexpr const char* kTiedNames[] = {"in_proj.weight", "out_proj.weight"};
  bool bidirectional_;
  MambaBlock fwd_;
  std::vector<MambaBlock> rev_;  // one block when bidirectional, else none
  std::vector<std::pair<std::string, std::string>> tied_;
};

}  // namespace spindle
