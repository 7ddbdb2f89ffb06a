#include "platform/models/caduceus.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>

#include "kernels/error.h"
#include "platform/layers/bimamba.h"
#include "platform/layers/sequence_parallel.h"
#include "platform/ops/axpy.h"
#include "platform/ops/convert.h"
#include "platform/ops/embedding.h"
#include "platform/ops/flip.h"
#include "platform/ops/matmul.h"
#include "platform/ops/residual_norm.h"
#include "platform/ops/reverse_complement.h"

namespace spindle {

struct Caduceus::Layer {
  BiMamba mixer;
  Parameter norm_weight, norm_bias;  // norm_bias undefined for RMSNorm
};

struct Caduceus::Saved {
  int64_t batch = 0;
  Tensor ids;                     // (rows, length): rcps stacks RC(ids) under ids
  std::vector<Tensor> residuals;  // per layer: residual_out of its add + norm
  std::optional<SequenceParallel> sp;  // with a ring: how the rows lie on it (recomputation needs it)
  Tensor final_residual, final_hidden;
};

namespace {

constexpr const char* kBackbone = "caduceus.backbone.";

Parameter make_parameter(std::string name, const Shape& shape, DType dtype, Device device, bool weight_decay) {
  return {std::move(name), Tensor::empty(shape, dtype, device), Tensor::zeros(shape, dtype, device), weight_decay};
}

// values *= factor, through the host (initialization only).
void scale_in_place(Tensor& values, double factor) {
  Tensor host = ops::converted(values.to(Device::cpu()), DType::f64);
  for (double& v : std::span(host.data<double>(), static_cast<size_t>(host.numel()))) v *= factor;
  values.copy_from(ops::converted(host, values.dtype()));
}

void fill_constant(Tensor& values, double value) {
  Tensor host = Tensor::from_vector(std::vector<double>(static_cast<size_t>(values.numel()), value), values.shape());
  values.copy_from(ops::converted(host, values.dtype()));
}

Tensor as_dtype(const Tensor& tensor, DType dtype, const Stream* stream) {
  return tensor.dtype() == dtype ? tensor : ops::converted(tensor, dtype, stream);
}

// The (rows, length, dim) tensor as a (rows * length, dim) matrix.
Tensor flat(const Tensor& t) { return t.reshape({t.size(0) * t.size(1), t.size(2)}); }

// Rows [begin, end) of the first axis.
Tensor rows(const Tensor& t, int64_t begin, int64_t end) { return t.slice(0, begin, end); }

Tensor flipped_length(const Tensor& x, const Stream* stream) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), stream);
  ops::flip_length(x, y, ops::SequenceLayout::channels_last, stream);
  return y;
}

// The reference's fused RCPS add + norm reads the residual stream's halves crosswise
// (forward half from the RC half and vice versa). In stacked RC coordinates that is: the
// two batch halves exchanged, each reverse-complemented (flipped along length and
// channels). The map is its own inverse and its own transpose.
Tensor exchanged_halves(const Tensor& stacked, const Stream* stream) {
  const int64_t batch = stacked.size(0) / 2;
  Tensor out = Tensor::empty(stacked.shape(), stacked.dtype(), stacked.device(), stream);
  Tensor first = rows(out, 0, batch), second = rows(out, batch, 2 * batch);
  ops::reverse_complement_channels(rows(stacked, batch, 2 * batch), first, stream);
  ops::reverse_complement_channels(rows(stacked, 0, batch), second, stream);
  return out;
}

}  // namespace

Caduceus::Caduceus(const CaduceusConfig& config, Device device, DType dtype)
    : config_(config), device_(device), dtype_(dtype) {
  config_.validate("Caduceus");
  SPINDLE_CHECK(device.is_cpu() ? (dtype == DType::f32 || dtype == DType::f64) : dtype == DType::f32, "Caduceus",
                "parameters of dtype " + std::string(dtype_name(dtype)) + " on " + device.str(),
                "f32 (or f64 on the CPU)");
  const int64_t d = config_.d_model, vocab = config_.padded_vocab_size();
  const std::string backbone = kBackbone;
  // Norms are wrapped (".submodule") only on the reference's unfused RCPS path.
  const std::string norm_wrap = config_.rcps && !config_.fused_add_norm ? "submodule." : "";
  // Embeddings are exempt from weight decay, as the reference's optimizer groups exempt them.
  embedding_ = make_parameter(
      backbone + (config_.rcps ? "embeddings.word_embeddings.embedding.weight" : "embeddings.word_embeddings.weight"),
      {vocab, d}, dtype, device, false);
  for (int64_t i = 0; i < config_.n_layer; ++i) {
    const std::string layer = backbone + "layers." + std::to_string(i) + ".";
    auto built = std::make_unique<Layer>(Layer{
        BiMamba(config_.ssm, config_.bidirectional, config_.bidirectional_weight_tie, device, dtype,
                layer + "mixer." + (config_.rcps ? "submodule." : "")),
        make_parameter(layer + "norm." + norm_wrap + "weight", {d}, dtype, device, false),
        {}});
    if (!config_.rms_norm) built->norm_bias = make_parameter(layer + "norm." + norm_wrap + "bias", {d}, dtype, device, false);
    layers_.push_back(std::move(built));
  }
  norm_f_weight_ = make_parameter(backbone + "norm_f." + norm_wrap + "weight", {d}, dtype, device, false);
  if (!config_.rms_norm) norm_f_bias_ = make_parameter(backbone + "norm_f." + norm_wrap + "bias", {d}, dtype, device, false);
}

Caduceus::~Caduceus() = default;
Caduceus::Caduceus(Caduceus&&) noexcept = default;
Caduceus& Caduceus::operator=(Caduceus&&) noexcept = default;

std::vector<Parameter*> Caduceus::layer_parameters(Layer& layer) {
  std::vector<Parameter*> all = layer.mixer.parameters();
  all.push_back(&layer.norm_weight);
  if (layer.norm_bias.value.defined()) all.push_back(&layer.norm_bias);
  return all;
}

std::vector<Parameter*> Caduceus::parameters() {
  std::vector<Parameter*> all{&embedding_};
  for (auto& layer : layers_) {
    for (Parameter* parameter : layer_parameters(*layer)) all.push_back(parameter);
  }
  all.push_back(&norm_f_weight_);
  if (norm_f_bias_.value.defined()) all.push_back(&norm_f_bias_);
  return all;
}

Parameter& Caduceus::parameter(std::string_view name) {
  for (Parameter* parameter : parameters()) {
    if (parameter->name == name) return *parameter;
  }
  throw Error("Caduceus", "no parameter named '" + std::string(name) + "'",
              "a name of the reference state dict (see Caduceus::parameters())");
}

std::vector<std::pair<std::string, std::string>> Caduceus::tied_names() const {
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& layer : layers_) {
    for (const auto& tied : layer->mixer.tied_names()) names.push_back(tied);
  }
  names.emplace_back(config_.rcps ? "lm_head.lm_head.weight" : "lm_head.weight", embedding_.name);
  return names;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> Caduceus::buffers() const {
  if (!config_.rcps) return {};
  const std::vector<int64_t> map = config_.padded_complement_map();
  return {{std::string(kBackbone) + "embeddings.word_embeddings.complement_map", map}, {"lm_head.complement_map", map}};
}

void Caduceus::initialize(RandomStream& random) {
  // Draws are f32 on every device (the stream's definition), then scaled and converted.
  Tensor normal = Tensor::empty(embedding_.value.shape(), DType::f32);
  fill_normal(normal, random);
  embedding_.value.copy_from(ops::converted(normal, dtype_));
  scale_in_place(embedding_.value, config_.initializer_range);
  const double out_proj_scale =
      config_.rescale_prenorm_residual
          ? 1.0 / std::sqrt(static_cast<double>(config_.n_residuals_per_layer * config_.n_layer))
          : 1.0;
  for (auto& layer : layers_) {
    layer->mixer.initialize(random);
    for (Parameter* parameter : layer->mixer.parameters()) {
      if (parameter->name.ends_with("out_proj.weight")) scale_in_place(parameter->value, out_proj_scale);
    }
    fill_constant(layer->norm_weight.value, 1.0);
    if (layer->norm_bias.value.defined()) fill_constant(layer->norm_bias.value, 0.0);
  }
  fill_constant(norm_f_weight_.value, 1.0);
  if (norm_f_bias_.value.defined()) fill_constant(norm_f_bias_.value, 0.0);
}

void Caduceus::zero_grad(const Stream* stream) {
  for (Parameter* parameter : parameters()) parameter->grad.set_zero(stream);
}

void Caduceus::forward(const Tensor& ids, DType activations, Tensor& logits, Tensor* last_hidden, bool training,
                       const Stream* stream) {
  SPINDLE_CHECK(ids.dim() == 2 && ids.device() == device_ && (ids.dtype() == DType::i32 || ids.dtype() == DType::i64),
                "Caduceus::forward: ids", ids.describe(), "int32 or int64 (batch, length) on " + device_.str());
  SPINDLE_CHECK(device_.is_cpu() ? activations == dtype_ : (activations == DType::f32 || activations == DType::bf16),
                "Caduceus::forward", "activations of dtype " + std::string(dtype_name(activations)) + " on " + device_.str(),
                device_.is_cpu() ? "the parameters' dtype on the CPU" : "f32 or bf16 on a GPU");
  const int64_t batch = ids.size(0), length = ids.size(1), d = config_.d_model;
  const int64_t stacked = config_.rcps ? 2 * batch : batch, vocab = config_.padded_vocab_size();
  const DType residual_dtype = device_.is_cpu() ? activations : DType::f32;
  auto activation = [&](const Shape& shape, DType dtype) { return Tensor::empty(shape, dtype, device_, stream); };
  const ops::NormKind norm_kind = config_.rms_norm ? ops::NormKind::rms : ops::NormKind::layer;

  auto s = std::make_unique<Saved>();
  s->batch = batch;
  s->ids = ids;
  if (ring_) {
    // PS's RC rows hold this slice in RC coordinates: their order runs against the ring.
    std::vector<bool> reversed(static_cast<size_t>(stacked), false);
    std::fill(reversed.begin() + batch, reversed.end(), true);
    s->sp = SequenceParallel{ring_, reversed};
    check_slices(*s->sp, length, config_.min_slice_length(), "Caduceus::forward");
  }
  const SequenceParallel* sp = s->sp ? &*s->sp : nullptr;
  if (config_.rcps) {
    s->ids = Tensor::empty({stacked, length}, ids.dtype(), device_, stream);
    Tensor forward_rows = rows(s->ids, 0, batch), rc_rows = rows(s->ids, batch, stacked);
    forward_rows.copy_from(ids, stream);
    ops::reverse_complement_tokens(ids, rc_rows, stream);
  }
  Tensor hidden = activation({stacked, length, d}, activations);
  ops::embedding_forward(s->ids, embedding_.value, hidden, stream);
  Tensor residual;
  const bool exchange = config_.rcps && config_.fused_add_norm;
  for (auto& layer : layers_) {
    Tensor x = exchange ? exchanged_halves(hidden, stream) : hidden;
    Tensor r = exchange && residual.defined() ? exchanged_halves(residual, stream) : residual;
    Tensor normed = activation({stacked, length, d}, activations);
    Tensor residual_out = activation({stacked, length, d}, residual_dtype);
    ops::residual_norm_forward(x, layer->norm_weight.value, normed, residual_out,
                               {norm_kind, config_.norm_epsilon, r.defined() ? &r : nullptr,
                                layer->norm_bias.value.defined() ? &layer->norm_bias.value : nullptr},
                               stream);
    hidden = activation({stacked, length, d}, activations);
    layer->mixer.forward(normed, hidden, training && !recompute_, stream, sp);
    residual = residual_out;
    if (training) s->residuals.push_back(residual_out);
  }
  s->final_hidden = activation({stacked, length, d}, activations);
  s->final_residual = activation({stacked, length, d}, residual_dtype);
  ops::residual_norm_forward(hidden, norm_f_weight_.value, s->final_hidden, s->final_residual,
                             {norm_kind, config_.norm_epsilon, &residual,
                              norm_f_bias_.value.defined() ? &norm_f_bias_.value : nullptr},
                             stream);

  // Tied LM head. rcps: W h_fwd + flip_length(W[complement] h_rc).
  const Tensor weight = as_dtype(embedding_.value, activations, stream);
  logits = activation({batch, length, vocab}, activations);
  Tensor flat_logits = flat(logits);
  ops::matmul(flat(rows(s->final_hidden, 0, batch)), weight, flat_logits, {.transpose_b = true}, stream);
  if (config_.rcps) {
    const Tensor complement = complement_ids();
    Tensor complement_weight = activation({vocab, d}, activations);
    ops::embedding_forward(complement, embedding_.value, complement_weight, stream);
    Tensor rc_logits = activation({batch, length, vocab}, activations);
    Tensor flat_rc = flat(rc_logits);
    ops::matmul(flat(rows(s->final_hidden, batch, stacked)), complement_weight, flat_rc, {.transpose_b = true}, stream);
    ops::axpy(1.0, flipped_length(rc_logits, stream), logits, stream);
  }

  if (last_hidden) {
    if (!config_.rcps) {
      *last_hidden = s->final_hidden;
    } else {
      // Back to the reference's coordinates: [forward half, RC(stacked RC rows)].
      *last_hidden = activation({batch, length, 2 * d}, activations);
      Tensor forward_half = last_hidden->slice(-1, 0, d), rc_half = last_hidden->slice(-1, d, 2 * d);
      forward_half.copy_from(rows(s->final_hidden, 0, batch), stream);
      Tensor rc = activation({batch, length, d}, activations);
      ops::reverse_complement_channels(rows(s->final_hidden, batch, stacked), rc, stream);
      rc_half.copy_from(rc, stream);
    }
  }
  if (training) {
    saved_ = std::move(s);
  } else {
    saved_.reset();
  }
}

Tensor Caduceus::complement_ids() const {
  const std::vector<int64_t> map = config_.padded_complement_map();
  return Tensor::from_vector(map, {static_cast<int64_t>(map.size())}).to(device_);
}

void Caduceus::backward(const Tensor& dlogits, const Stream* stream, const GradientsFinal& final) {
  SPINDLE_CHECK(saved_ != nullptr, "Caduceus::backward", "no saved forward", "a forward with training = true first");
  Saved& s = *saved_;
  const int64_t batch = s.batch, length = s.ids.size(1), d = config_.d_model;
  const int64_t stacked = config_.rcps ? 2 * batch : batch, vocab = config_.padded_vocab_size();
  const DType activations = s.final_hidden.dtype();
  SPINDLE_CHECK(dlogits.shape() == Shape({batch, length, vocab}) && dlogits.dtype() == activations &&
                    dlogits.device() == device_,
                "Caduceus::backward: dlogits", dlogits.describe(),
                "the last forward's logits shape and dtype on " + device_.str());
  const DType residual_dtype = s.final_residual.dtype();
  auto activation = [&](const Shape& shape, DType dtype) { return Tensor::empty(shape, dtype, device_, stream); };
  const ops::NormKind norm_kind = config_.rms_norm ? ops::NormKind::rms : ops::NormKind::layer;

  // LM head (tied to the embedding). Its views of dfinal live in this scope only, so that
  // dfinal is freed once the final norm has used it.
  Tensor dfinal = activation({stacked, length, d}, activations);
  {
    const Tensor weight = as_dtype(embedding_.value, activations, stream);
    Tensor dfinal_forward = flat(rows(dfinal, 0, batch));
    ops::matmul(flat(dlogits), weight, dfinal_forward, {}, stream);
  }
  ops::matmul(flat(dlogits), flat(rows(s.final_hidden, 0, batch)), embedding_.grad,
              {.transpose_a = true, .beta = 1.0}, stream);
  if (config_.rcps) {
    const Tensor complement = complement_ids();
    Tensor complement_weight = activation({vocab, d}, activations);
    ops::embedding_forward(complement, embedding_.value, complement_weight, stream);
    const Tensor drc_logits = flipped_length(dlogits, stream);
    Tensor dfinal_rc = flat(rows(dfinal, batch, stacked));
    ops::matmul(flat(drc_logits), complement_weight, dfinal_rc, {}, stream);
    Tensor dcomplement_weight = Tensor::empty({vocab, d}, embedding_.grad.dtype(), device_, stream);
    ops::matmul(flat(drc_logits), flat(rows(s.final_hidden, batch, stacked)), dcomplement_weight,
                {.transpose_a = true}, stream);
    ops::embedding_backward(complement, dcomplement_weight, embedding_.grad, stream);
  }
  s.final_hidden = Tensor();  // each tensor freed once used: they would otherwise add to the layers' peak

  // Final add + norm: gradients reach the last mixer's output and the residual stream.
  Tensor dhidden = activation({stacked, length, d}, activations);
  Tensor dresidual = activation({stacked, length, d}, residual_dtype);
  ops::residual_norm_backward(s.final_residual, norm_f_weight_.value, dfinal, nullptr, dhidden, &dresidual,
                              norm_f_weight_.grad, norm_f_bias_.value.defined() ? &norm_f_bias_.grad : nullptr,
                              {norm_kind, config_.norm_epsilon, nullptr,
                               norm_f_bias_.value.defined() ? &norm_f_bias_.value : nullptr},
                              stream);
  s.final_residual = Tensor();
  dfinal = Tensor();
  auto report = [&](const std::vector<Parameter*>& parameters) {
    if (final) final(parameters);
  };
  std::vector<Parameter*> final_norm{&norm_f_weight_};
  if (norm_f_bias_.value.defined()) final_norm.push_back(&norm_f_bias_);
  report(final_norm);
  const bool exchange = config_.rcps && config_.fused_add_norm;
  // Recomputation: a layer's mixer input is norm(residual_out), residual_out being saved;
  // the norm runs on zeros + residual_out, which is residual_out exactly, so the mixer sees
  // the same input as in the forward.
  Tensor zeros, recomputed_residual;
  if (recompute_) {
    zeros = activation({stacked, length, d}, activations);
    zeros.set_zero(stream);
    recomputed_residual = activation({stacked, length, d}, residual_dtype);
  }
  for (int64_t i = config_.n_layer - 1; i >= 0; --i) {
    Layer& layer = *layers_[static_cast<size_t>(i)];
    const Tensor& residual_out = s.residuals[static_cast<size_t>(i)];
    const ops::ResidualNormArgs norm_args{norm_kind, config_.norm_epsilon, nullptr,
                                          layer.norm_bias.value.defined() ? &layer.norm_bias.value : nullptr};
    Tensor dnormed = activation({stacked, length, d}, activations);
    if (recompute_) {
      Tensor normed = activation({stacked, length, d}, activations);
      ops::ResidualNormArgs args = norm_args;
      args.residual = &residual_out;
      ops::residual_norm_forward(zeros, layer.norm_weight.value, normed, recomputed_residual, args, stream);
      layer.mixer.backward_recomputing(normed, dhidden, dnormed, stream, s.sp ? &*s.sp : nullptr);
    } else {
      layer.mixer.backward(dhidden, dnormed, stream);
    }
    const bool first = i == 0;
    Tensor dx = activation({stacked, length, d}, activations);
    Tensor dr = first ? Tensor() : activation({stacked, length, d}, residual_dtype);
    ops::residual_norm_backward(residual_out, layer.norm_weight.value, dnormed, &dresidual, dx, first ? nullptr : &dr,
                                layer.norm_weight.grad, layer.norm_bias.value.defined() ? &layer.norm_bias.grad : nullptr,
                                norm_args, stream);
    s.residuals[static_cast<size_t>(i)] = Tensor();  // released as soon as used, like the mixers' activations
    report(layer_parameters(layer));  // BiMamba's tied tensors: both directions are done
    dhidden = exchange ? exchanged_halves(dx, stream) : dx;
    if (!first) dresidual = exchange ? exchanged_halves(dr, stream) : dr;
  }
  ops::embedding_backward(s.ids, dhidden, embedding_.grad, stream);
  report({&embedding_});  // only now: the tied LM head added to it first
  saved_.reset();
}

}  // namespace spindle
