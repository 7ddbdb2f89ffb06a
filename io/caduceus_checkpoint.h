// Caduceus model folders, as Hugging Face's save_pretrained writes them for the reference
// CaduceusForMaskedLM (kuleshov-group/caduceus) and from_pretrained reads them:
//
//   config.json        the CaduceusConfig fields (docs/formats.md lists them)
//   model.safetensors  the state dict: every parameter under its reference name, f32, and for
//                      rcps models the int64 complement maps; a tied tensor once, under its
//                      first name in state-dict order (Caduceus::parameters() lists exactly
//                      that name), as save_pretrained drops the later aliases
//
// So the published checkpoints (caduceus-{ph,ps}_seqlen-131k_d_model-256_n_layer-16) load
// here, and a folder spindle writes loads in the reference.
#pragma once

#include <string>

#include "platform/models/caduceus.h"

namespace spindle {

// config.json -> a validated configuration. model_type must be "caduceus"; d_model, n_layer
// and vocab_size are required, other fields default as in the reference. Generic Hugging Face
// keys (architectures, auto_map, torch_dtype, transformers_version, ...) are accepted and
// ignored, but tie_word_embeddings must be true if given. Any other key, a wrong type, or a
// value spindle does not implement is an Error naming the file and the key.
CaduceusConfig read_caduceus_config(const std::string& path);
// What save_pretrained writes for `config` (keys sorted, 2-space indent; vocab_size and
// complement_map padded, as the reference holds them after building the model), through a
// temporary file renamed over `path`.
void write_caduceus_config(const std::string& path, const CaduceusConfig& config);

// Writes the folder `directory` (config.json + model.safetensors) through a temporary folder
// that replaces `directory` only when complete. Parameters are written as f32.
void save_caduceus(const std::string& directory, Caduceus& model);
// A model of `dtype` parameters on `device` built from the folder's config.json, holding its
// weights.
Caduceus load_caduceus(const std::string& directory, Device device, DType dtype = DType::f32);
// Copies the folder's weights into `model`'s existing parameter tensors (tied parameters
// share storage, so values are copied in, never replaced). The folder's config.json must
// describe `model`'s configuration. Floating tensors (F32, BF16, F16, F64) are converted to
// the parameters' dtype. A tied tensor may be stored under any of its names (under several only
// if equal). A missing, extra or misshaped tensor, or complement maps other than the
// configuration's, is an Error naming the tensor; then `model` is unchanged.
void load_caduceus_weights(const std::string& directory, Caduceus& model);

}  // namespace spindle
