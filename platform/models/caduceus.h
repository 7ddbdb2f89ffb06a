// Caduceus: a bidirectional, reverse-complement (RC) aware Mamba language model for DNA
// (Schiff et al. 2024), computing what the reference CaduceusForMaskedLM computes with the
// same configuration, with the reference's parameter names.
//
//   embedding -> n_layer x [add + norm -> BiMamba mixer] -> add + final norm -> tied LM head
//
// BiMamba: out = mamba_fwd(x) + flip(mamba_rev(flip(x))) along the length, in_proj and
// out_proj shared between the directions when bidirectional_weight_tie.
//
// Caduceus-PS (rcps): the residual stream has 2 d_model channels, [forward half, RC half],
// and every layer is RC-equivariant by construction. Internally the RC half is kept in
// RC coordinates (flipped along length and channels) and stacked on the batch axis, so the
// same BiMamba and norm run once over a batch of 2 x batch:
//   embedding: rows 0..B-1 embed ids, rows B..2B-1 embed RC(ids);
//   mixer and norm (unfused reference path): plain, per stacked row;
//   norm with fused_add_norm (the reference's fused RCPS path reads the halves crosswise):
//     the residual stream's two halves are exchanged and each RC'd before the add + norm;
//   LM head: logits = W h_fwd + flip_length(W[complement] h_rc).
// Outputs (logits, last hidden state) are in the reference's coordinates.
//
// Parameters are f32 (or f64 on the CPU for gradient checks); on a GPU the activations may
// be bf16 (matrix products in bf16 with f32 accumulation, scan state and residual in f32).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/layers/parameter.h"
#include "platform/models/caduceus_config.h"
#include "platform/random.h"
#include "platform/stream.h"

namespace spindle {

class BiMamba;
class Communicator;

class Caduceus {
 public:
  // Parameters uninitialized until initialize() or a checkpoint load. Validates `config`.
  Caduceus(const CaduceusConfig& config, Device device, DType dtype = DType::f32);
  ~Caduceus();
  Caduceus(Caduceus&&) noexcept;
  Caduceus& operator=(Caduceus&&) noexcept;

  const CaduceusConfig& config() const { return config_; }
  Device device() const { return device_; }
  DType dtype() const { return dtype_; }

  // Every trainable tensor once, in the reference state dict's order, named as there
  // (e.g. "caduceus.backbone.layers.0.mixer.mamba_fwd.in_proj.weight"; for rcps
  // "caduceus.backbone.layers.0.mixer.submodule.mamba_fwd.in_proj.weight").
  std::vector<Parameter*> parameters();
  Parameter& parameter(std::string_view name);
  // Names in the reference state dict that are the same tensor as a listed parameter
  // (tied weights): {alias, listed name}, e.g. {"lm_head.weight",
  // "caduceus.backbone.embeddings.word_embeddings.weight"}.
  std::vector<std::pair<std::string, std::string>> tied_names() const;
  // Non-trainable int64 buffers of the reference state dict (rcps: the complement maps):
  // {name, values}.
  std::vector<std::pair<std::string, std::vector<int64_t>>> buffers() const;

  // The reference initialization: Mamba's (see MambaBlock::initialize), embedding
  // normal(0, initializer_range), norms 1 (bias 0), out_proj rescaled by
  // 1/sqrt(n_residuals_per_layer * n_layer) when rescale_prenorm_residual.
  void initialize(RandomStream& random);
  // Sets every gradient to zero.
  void zero_grad(const Stream* stream = nullptr);

  // ids (batch, length) int32 or int64 on the model's device -> logits (batch, length,
  // padded_vocab_size) of dtype `activations`. last_hidden, if given, receives the final
  // normed hidden state (batch, length, width()). With `training`, saves what backward needs.
  void forward(const Tensor& ids, DType activations, Tensor& logits, Tensor* last_hidden = nullptr,
               bool training = true, const Stream* stream = nullptr);
  // Called by backward with parameters whose gradients it will not change again (in the
  // order of `stream`: work queued there after the call sees their final values).
  using GradientsFinal = std::function<void(std::span<Parameter* const>)>;
  // From the last training forward, whose saved activations it releases as it goes:
  // accumulates every parameter's gradient. `final`, if given, hears of the parameters as
  // their gradients become final: the final norm's, then each layer's from the last to the
  // first (its mixer's, tied tensors included, and its norm's), and the embedding's last
  // (the tied LM head adds to it at the start of backward, the embedding at the end).
  // Together the calls name every parameter once, in groups that follow parameters()
  // reversed: reversed parameters() is the order to bucket gradient sums in.
  void backward(const Tensor& dlogits, const Stream* stream = nullptr, const GradientsFinal& final = {});

  // Activation recomputation for long sequences. When on, a training forward keeps only
  // each layer's residual stream (f32, d_model or 2 d_model channels per position), and
  // backward runs each layer's norm and, per direction, the mixer's forward up to out_proj
  // again just before that direction's backward (with sequence parallelism both directions
  // side by side: BiMamba). The gradients are the same bit for bit; saved bytes per position
  // drop from about n_layer x 48 x d_model (bf16 activations: both directions' inputs,
  // projections, conv and scan outputs, and the f32 residual) to n_layer x 4 x d_model plus
  // one direction's (sharded: both directions'), for one more forward of every mixer.
  void set_recompute(bool on) { recompute_ = on; }
  bool recompute() const { return recompute_; }

  // Sequence parallelism over `ring` (null: off). Every rank of the ring then passes
  // forward its own slice of the same rows (ring_slice: contiguous, in ring-rank order,
  // each at least config.min_slice_length() long) and gets that slice of the logits and hidden
  // states the whole rows give; backward leaves this slice's share of every parameter
  // gradient, which the ranks sum (GradientBuckets over the ring, or over the world with
  // data parallelism). dlogits must be the whole loss's gradient: a mean over masked
  // positions divides by the count over the whole ring. `ring` must outlive its use.
  void set_sequence_parallel(Communicator* ring) { ring_ = ring; }
  // The ring set by set_sequence_parallel, or null.
  Communicator* sequence_parallel() const { return ring_; }

 private:
  struct Layer;
  struct Saved;
  // A layer's trainable tensors: its mixer's, then its norm's.
  static std::vector<Parameter*> layer_parameters(Layer& layer);
  // padded_complement_map() as an int64 tensor on the model's device.
  Tensor complement_ids() const;
  CaduceusConfig config_;
  Device device_;
  DType dtype_;
  Parameter embedding_;
  std::vector<std::unique_ptr<Layer>> layers_;
  Parameter norm_f_weight_, norm_f_bias_;
  std::unique_ptr<Saved> saved_;
  bool recompute_ = false;
  Communicator* ring_ = nullptr;
};

}  // namespace spindle
