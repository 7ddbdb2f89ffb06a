// The configuration of a Caduceus model (Schiff et al. 2024): the fields of the published
// Hugging Face `config.json` (kuleshov-group/caduceus, CaduceusConfig), as spindle holds
// them after validation. Reading and writing config.json is io/caduceus_checkpoint.h; this
// header is the in-memory form the model is built from.
//
// Supported values are those of the published models and their documented variants:
// bidirectional_strategy "add"; ssm_cfg with dt_init "random", conv_bias true, bias false.
// validate() refuses anything else, naming the field.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/layers/mamba_block.h"

namespace spindle {

struct CaduceusConfig {
  int64_t d_model = 256;
  int64_t n_layer = 16;
  int64_t vocab_size = 12;  // as written in config.json, before padding
  int64_t pad_vocab_size_multiple = 8;
  MambaConfig ssm;          // ssm_cfg; ssm.d_model is set to d_model by validate()
  bool rms_norm = true;     // false: LayerNorm (with bias)
  bool residual_in_fp32 = true;  // spindle keeps the residual stream in f32 either way
  bool fused_add_norm = true;    // changes the function for rcps models (see caduceus.h)
  double norm_epsilon = 1e-5;
  bool bidirectional = true;
  std::string bidirectional_strategy = "add";
  bool bidirectional_weight_tie = true;  // mamba_rev shares in_proj and out_proj with mamba_fwd
  bool rcps = false;                     // true: Caduceus-PS, false: Caduceus-Ph
  // complement_map[id] = complement id, for ids 0 .. vocab_size-1 (may be empty when !rcps).
  std::vector<int64_t> complement_map;
  // initializer_cfg
  double initializer_range = 0.02;
  bool rescale_prenorm_residual = true;
  int64_t n_residuals_per_layer = 1;

  // vocab_size rounded up to pad_vocab_size_multiple (the rows of the embedding).
  int64_t padded_vocab_size() const;
  // complement_map extended to padded_vocab_size() with identity entries (as the reference
  // extends it); identity when complement_map is empty.
  std::vector<int64_t> padded_complement_map() const;
  // Channels of the residual stream: 2 d_model for rcps, else d_model.
  int64_t width() const { return rcps ? 2 * d_model : d_model; }
  // The fewest positions a rank's slice of a sequence may hold under sequence parallelism:
  // the convolution's halo of d_conv - 1 inputs comes from one neighbour (at least 1).
  int64_t min_slice_length() const { return std::max<int64_t>(1, ssm.d_conv - 1); }
  // Throws spindle::Error naming the field (`source` is the file or caller, for messages)
  // for values spindle does not implement or that are inconsistent; sets ssm.d_model.
  void validate(const std::string& source);
};

// The configuration of the published caduceus-{ph,ps}_seqlen-131k_d_model-256_n_layer-16
// models (d_model 256, 16 layers, vocab 12 padded to 16, the DNA complement map).
CaduceusConfig caduceus_131k_config(bool rcps);

}  // namespace spindle
