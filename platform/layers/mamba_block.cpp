#include "platform/layers/mamba_block.h"

#include <cmath>

#include "kernels/error.h"
#include "platform/ops/activation.h"
#include "platform/ops/axpy.h"
#include "platform/ops/conv1d.h"
#include "platform/ops/convert.h"
#include "platform/ops/matmul.h"
#include "platform/ops/selective_scan.h"

namespace spindle {
namespace {

// Rows [begin, end) of a matrix: a view.
Tensor rows(const Tensor& matrix, int64_t begin, int64_t end) { return matrix.slice(0, begin, end); }

// Entry b of a batch of matrices (batch, m, n) as an (m, n) view.
Tensor entry(const Tensor& batch, int64_t b) { return batch.slice(0, b, b + 1).reshape({batch.size(1), batch.size(2)}); }

// Rows [begin, end) of every entry of a batch of matrices (batch, m, n), as a contiguous
// (batch, end - begin, n) copy.
Tensor rows_of_entries(const Tensor& batch, int64_t begin, int64_t end, const Stream* stream) {
  Tensor part = Tensor::empty({batch.size(0), end - begin, batch.size(2)}, batch.dtype(), batch.device(), stream);
  for (int64_t b = 0; b < batch.size(0); ++b) entry(part, b).copy_from(rows(entry(batch, b), begin, end), stream);
  return part;
}

// grad += sum over the batch of op(a[b]) op(c[b]): a weight's gradient from batched activations.
void accumulate_over_batch(const Tensor& a, const Tensor& c, Tensor grad, ops::MatmulArgs args, const Stream* stream) {
  args.beta = 1.0;
  for (int64_t b = 0; b < a.size(0); ++b) ops::matmul(entry(a, b), entry(c, b), grad, args, stream);
}

// Host values uniform in [low, high) from the Philox stream, as `dtype` on `device`.
Tensor uniform(const Shape& shape, double low, double high, RandomStream& random, DType dtype, Device device) {
  Tensor unit = Tensor::empty(shape, DType::f32);
  fill_uniform(unit, random);
  Tensor values = Tensor::empty(shape, DType::f64);
  const float* u = unit.data<float>();
  double* v = values.data<double>();
  for (int64_t i = 0; i < values.numel(); ++i) v[i] = low + (high - low) * u[i];
  return ops::converted(values, dtype).to(device);
}

Tensor from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  return ops::converted(Tensor::from_vector(values, shape), dtype).to(device);
}

}  // namespace

MambaBlock::MambaBlock(const MambaConfig& config, Device device, DType dtype, std::string name_prefix)
    : config_(config), name_prefix_(std::move(name_prefix)), device_(device), dtype_(dtype) {
  SPINDLE_CHECK(config.d_model > 0 && config.d_state > 0 && config.d_conv > 0 && config.expand > 0, "MambaConfig",
                "d_model " + std::to_string(config.d_model) + ", d_state " + std::to_string(config.d_state) +
                    ", d_conv " + std::to_string(config.d_conv) + ", expand " + std::to_string(config.expand),
                "positive sizes");
  SPINDLE_CHECK(device.is_cpu() ? (dtype == DType::f32 || dtype == DType::f64) : dtype == DType::f32, "MambaBlock",
                "parameters of dtype " + std::string(dtype_name(dtype)) + " on " + device.str(),
                "f32 (or f64 on the CPU)");
  const int64_t d = config.d_inner(), n = config.d_state, r = config.resolved_dt_rank();
  auto add = [&](const char* name, const Shape& shape, bool decay) {
    parameters_.push_back(
        {name_prefix_ + name, Tensor::empty(shape, dtype, device), Tensor::zeros(shape, dtype, device), decay});
  };
  add("in_proj.weight", {2 * d, config.d_model}, true);
  add("conv1d.weight", {d, 1, config.d_conv}, true);
  add("conv1d.bias", {d}, false);
  add("x_proj.weight", {r + 2 * n, d}, true);
  add("dt_proj.weight", {d, r}, true);
  add("dt_proj.bias", {d}, false);
  add("A_log", {d, n}, false);
  add("D", {d}, false);
  add("out_proj.weight", {config.d_model, d}, true);
}

std::vector<Parameter*> MambaBlock::parameters() {
  std::vector<Parameter*> all;
  for (Parameter& parameter : parameters_) all.push_back(&parameter);
  return all;
}

Parameter& MambaBlock::parameter(std::string_view name) {
  for (Parameter& parameter : parameters_) {
    if (std::string_view(parameter.name).substr(name_prefix_.size()) == name) return parameter;
  }
  throw Error("MambaBlock", "no parameter named '" + std::string(name) + "'", "one of mamba_ssm's Mamba parameters");
}

void MambaBlock::tie(std::string_view name, const Parameter& source) {
  Parameter& tied = parameter(name);
  SPINDLE_CHECK(source.value.shape() == tied.value.shape() && source.value.dtype() == tied.value.dtype(),
                "MambaBlock::tie: " + tied.name, source.name + " is " + source.value.describe(),
                tied.value.describe());
  tied.value = source.value;
  tied.grad = source.grad;
}

void MambaBlock::initialize(RandomStream& random) {
  const int64_t d = config_.d_inner(), n = config_.d_state, r = config_.resolved_dt_rank();
  auto linear_default = [&](const char* name, double fan_in) {
    Parameter& p = parameter(name);
    const double bound = 1.0 / std::sqrt(fan_in);
    p.value.copy_from(uniform(p.value.shape(), -bound, bound, random, dtype_, device_));
  };
  linear_default("in_proj.weight", static_cast<double>(config_.d_model));
  linear_default("conv1d.weight", static_cast<double>(config_.d_conv));
  linear_default("conv1d.bias", static_cast<double>(config_.d_conv));
  linear_default("x_proj.weight", static_cast<double>(d));
  const double dt_std = config_.dt_scale / std::sqrt(static_cast<double>(r));
  parameter("dt_proj.weight").value.copy_from(uniform({d, r}, -dt_std, dt_std, random, dtype_, device_));
  // dt log-uniform in [dt_min, dt_max]; the bias is its inverse softplus, so that
  // softplus(bias) = dt at initialization.
  const Tensor unit = uniform({d}, 0.0, 1.0, random, DType::f64, Device::cpu());
  std::vector<double> bias(static_cast<size_t>(d));
  for (int64_t i = 0; i < d; ++i) {
    const double log_min = std::log(config_.dt_min), log_max = std::log(config_.dt_max);
    const double dt = std::max(std::exp(unit.data<double>()[i] * (log_max - log_min) + log_min), config_.dt_init_floor);
    bias[i] = dt + std::log(-std::expm1(-dt));
  }
  parameter("dt_proj.bias").value.copy_from(from_doubles(bias, {d}, dtype_, device_));
  std::vector<double> a_log(static_cast<size_t>(d * n)), ones(static_cast<size_t>(d), 1.0);
  for (int64_t i = 0; i < d * n; ++i) a_log[i] = std::log(static_cast<double>(i % n + 1));
  parameter("A_log").value.copy_from(from_doubles(a_log, {d, n}, dtype_, device_));
  parameter("D").value.copy_from(from_doubles(ones, {d}, dtype_, device_));
  linear_default("out_proj.weight", static_cast<double>(d));
}

Tensor MambaBlock::weight_for(const Parameter& parameter, DType activations, const Stream* stream) const {
  return activations == parameter.value.dtype() ? parameter.value : ops::converted(parameter.value, activations, stream);
}

void MambaBlock::forward(const Tensor& hidden, Tensor& out, bool training, const Stream* stream,
                         const SequenceParallel* sp) {
  start_forward(hidden, training, stream, sp);
  start_forward_scan(stream);
  finish_forward(&out, stream);
}

void MambaBlock::save_for_backward(const Tensor& hidden, const Stream* stream, const SequenceParallel* sp) {
  start_forward(hidden, true, stream, sp);
  start_forward_scan(stream);
  finish_forward(nullptr, stream);
}

ops::ScanTensors MambaBlock::scan_inputs(const Saved& s) {
  return {&s.xc, &s.delta, &s.A, &s.B, &s.C, &parameter("D").value, &s.z, &parameter("dt_proj.bias").value, nullptr};
}

void MambaBlock::expect_stage(ForwardStage stage, const char* call, const char* before) const {
  SPINDLE_CHECK(forward_stage_ == stage && !dy_.defined(), std::string("MambaBlock::") + call,
                dy_.defined() ? "a backward started and not finished" : "a forward at another step",
                std::string(before) + " first, each start followed by its finish");
}

void MambaBlock::start_forward(const Tensor& hidden, bool keep, const Stream* stream, const SequenceParallel* sp) {
  expect_stage(ForwardStage::idle, "start_forward", "finish_forward() of the last forward");
  SPINDLE_CHECK(hidden.dim() == 3 && hidden.size(2) == config_.d_model && hidden.device() == device_,
                "MambaBlock::forward: hidden", hidden.describe(),
                "(batch, length, " + std::to_string(config_.d_model) + ") on " + device_.str());
  const int64_t batch = hidden.size(0), length = hidden.size(1), d = config_.d_inner();
  if (sp) {
    SPINDLE_CHECK(static_cast<int64_t>(sp->reversed.size()) == batch, "MambaBlock::forward: sequence parallel",
                  std::to_string(sp->reversed.size()) + " row orders", "one per batch row (" + std::to_string(batch) + ")");
  }
  const Tensor w_in = weight_for(parameter("in_proj.weight"), hidden.dtype(), stream);
  saved_ = Saved{};
  Saved& s = saved_;
  s.hidden = hidden;
  s.x = Tensor::empty({batch, d, length}, hidden.dtype(), device_, stream);
  s.z = Tensor::empty({batch, d, length}, hidden.dtype(), device_, stream);
  ops::matmul(rows(w_in, 0, d), hidden, s.x, {.transpose_b = true}, stream);
  ops::matmul(rows(w_in, d, 2 * d), hidden, s.z, {.transpose_b = true}, stream);
  if (sp) {
    s.sp = *sp;
    s.conv_context = conv_halo(s.x, static_cast<int>(config_.d_conv), *sp, stream);
  }
  keep_ = keep;
  forward_stage_ = ForwardStage::started;
}

void MambaBlock::start_forward_scan(const Stream* stream) {
  expect_stage(ForwardStage::started, "start_forward_scan", "start_forward()");
  Saved& s = saved_;
  const int64_t batch = s.hidden.size(0), length = s.hidden.size(1);
  const int64_t d = config_.d_inner(), n = config_.d_state, r = config_.resolved_dt_rank();
  const DType act = s.hidden.dtype();
  auto activation = [&](const Shape& shape) { return Tensor::empty(shape, act, device_, stream); };
  const Tensor w_x = weight_for(parameter("x_proj.weight"), act, stream);
  const Tensor w_dt = weight_for(parameter("dt_proj.weight"), act, stream);
  const Tensor conv_weight = parameter("conv1d.weight").value.reshape({d, config_.d_conv});
  s.xc = activation({batch, d, length});
  const Tensor* context = s.conv_context.defined() ? &s.conv_context : nullptr;
  ops::causal_conv1d_forward(s.x, conv_weight, s.xc, {&parameter("conv1d.bias").value, context, true}, stream);
  // dt_low, B, C = x_proj(xc) in one product, so xc (d_inner rows) is read once, then split
  // into the contiguous tensors the scan and dt_proj take (r + 2n rows, a small copy).
  Tensor projected = activation({batch, r + 2 * n, length});
  ops::matmul(w_x, s.xc, projected, {}, stream);
  s.dt_low = rows_of_entries(projected, 0, r, stream);
  s.B = rows_of_entries(projected, r, r + n, stream);
  s.C = rows_of_entries(projected, r + n, r + 2 * n, stream);
  s.delta = activation({batch, d, length});
  ops::matmul(w_dt, s.dt_low, s.delta, {}, stream);
  s.A = Tensor::empty({d, n}, dtype_, device_, stream);
  ops::activation_forward(parameter("A_log").value, s.A, ops::Activation::negative_exp, stream);
  s.y = activation({batch, d, length});
  const ops::ScanTensors scan = scan_inputs(s);
  // The CUDA backward starts from the states the forward saves instead of running the
  // forward's scan again (kernels/selective_scan.h).
  const bool save_states = keep_ && device_.is_cuda();
  if (s.sp) {
    scan_in_flight_ = start_sharded_scan_forward(scan, s.y, *s.sp, save_states, stream);
  } else {
    if (save_states) s.scan_states = Tensor::empty(ops::selective_scan_saved_shape(scan), DType::f32, device_, stream);
    ops::selective_scan_forward(scan, s.y, nullptr, {true, false}, stream,
                                s.scan_states.defined() ? &s.scan_states : nullptr);
  }
  forward_stage_ = ForwardStage::scanning;
}

void MambaBlock::finish_forward(Tensor* out, const Stream* stream) {
  expect_stage(ForwardStage::scanning, "finish_forward", "start_forward_scan()");
  forward_stage_ = ForwardStage::idle;
  Saved& s = saved_;
  if (s.sp) {
    s.scan = finish_sharded_scan_forward(*scan_in_flight_, scan_inputs(s), s.y, *s.sp, stream);
    scan_in_flight_.reset();
  }
  if (out) {
    const Tensor w_out = weight_for(parameter("out_proj.weight"), s.hidden.dtype(), stream);
    ops::matmul(s.y, w_out, *out, {.transpose_a = true, .transpose_b = true}, stream);
  }
  if (!keep_) saved_ = Saved{};
}

void MambaBlock::backward(const Tensor& dout, Tensor& dhidden, const Stream* stream) {
  start_backward(dout, stream);
  finish_backward(dhidden, stream);
}

void MambaBlock::start_backward(const Tensor& dout, const Stream* stream) {
  Saved& s = saved_;
  expect_stage(ForwardStage::idle, "start_backward", "finish_forward() of a training forward, and finish_backward()");
  SPINDLE_CHECK(s.hidden.defined(), "MambaBlock::backward", "no saved forward", "forward() before backward()");
  SPINDLE_CHECK(dout.shape() == s.hidden.shape() && dout.dtype() == s.hidden.dtype(), "MambaBlock::backward: dout",
                dout.describe(), s.hidden.describe());
  const int64_t batch = s.hidden.size(0), length = s.hidden.size(1), d = config_.d_inner();
  const Tensor w_out = weight_for(parameter("out_proj.weight"), s.hidden.dtype(), stream);

  // out = out_proj(y)
  Tensor dy = Tensor::empty({batch, d, length}, s.hidden.dtype(), device_, stream);
  ops::matmul(w_out, dout, dy, {.transpose_a = true, .transpose_b = true}, stream);
  accumulate_over_batch(dout, s.y, parameter("out_proj.weight").grad, {.transpose_a = true, .transpose_b = true},
                        stream);
  s.y = Tensor();  // not needed again: freed before the scan's workspaces are taken
  if (s.sp) scan_in_flight_ = start_sharded_scan_backward(scan_inputs(s), dy, s.scan, *s.sp, stream);
  dy_ = std::move(dy);
}

void MambaBlock::finish_backward(Tensor& dhidden, const Stream* stream) {
  SPINDLE_CHECK(dy_.defined(), "MambaBlock::finish_backward", "no backward started", "start_backward() first");
  Saved& s = saved_;
  const int64_t batch = s.hidden.size(0), length = s.hidden.size(1);
  const int64_t d = config_.d_inner(), n = config_.d_state, r = config_.resolved_dt_rank();
  const DType act = s.hidden.dtype();
  auto activation = [&](const Shape& shape) { return Tensor::empty(shape, act, device_, stream); };
  const Tensor w_in = weight_for(parameter("in_proj.weight"), act, stream);
  const Tensor w_x = weight_for(parameter("x_proj.weight"), act, stream);
  const Tensor w_dt = weight_for(parameter("dt_proj.weight"), act, stream);
  const Tensor conv_weight = parameter("conv1d.weight").value.reshape({d, config_.d_conv});

  // y = selective_scan(xc, delta, A, B, C, D, z)
  Tensor dxc = activation({batch, d, length}), ddelta = activation({batch, d, length}), dz = activation({batch, d, length});
  Tensor dB = activation({batch, n, length}), dC = activation({batch, n, length});
  Tensor dA = Tensor::zeros({d, n}, dtype_, device_, stream);
  const ops::ScanTensors scan = scan_inputs(s);
  const ops::ScanGradientTensors scan_grad{&dxc, &ddelta, &dA, &dB, &dC, &parameter("D").grad, &dz,
                                           &parameter("dt_proj.bias").grad, nullptr};
  if (s.sp) {
    finish_sharded_scan_backward(*scan_in_flight_, scan, dy_, scan_grad, s.scan, *s.sp, stream);
    scan_in_flight_.reset();
  } else {
    ops::selective_scan_backward(scan, dy_, nullptr, scan_grad, {true, false}, stream,
                                 s.scan_states.defined() ? &s.scan_states : nullptr);
  }
  dy_ = Tensor();
  s.scan_states = Tensor();
  s.scan = ShardedScanState{};
  Tensor da_log = Tensor::empty({d, n}, dtype_, device_, stream);
  ops::activation_backward(parameter("A_log").value, dA, da_log, ops::Activation::negative_exp, stream);
  ops::axpy(1.0, da_log, parameter("A_log").grad, stream);

  // delta = dt_proj.weight dt_low
  accumulate_over_batch(ddelta, s.dt_low, parameter("dt_proj.weight").grad, {.transpose_b = true}, stream);
  Tensor ddt_low = activation({batch, r, length});
  ops::matmul(w_dt, ddelta, ddt_low, {.transpose_a = true}, stream);

  // dt_low, B, C = x_proj(xc): the three row blocks of x_proj.weight.
  const Tensor& gx = parameter("x_proj.weight").grad;
  accumulate_over_batch(ddt_low, s.xc, rows(gx, 0, r), {.transpose_b = true}, stream);
  accumulate_over_batch(dB, s.xc, rows(gx, r, r + n), {.transpose_b = true}, stream);
  accumulate_over_batch(dC, s.xc, rows(gx, r + n, r + 2 * n), {.transpose_b = true}, stream);
  ops::matmul(rows(w_x, 0, r), ddt_low, dxc, {.transpose_a = true, .beta = 1.0}, stream);
  ops::matmul(rows(w_x, r, r + n), dB, dxc, {.transpose_a = true, .beta = 1.0}, stream);
  ops::matmul(rows(w_x, r + n, r + 2 * n), dC, dxc, {.transpose_a = true, .beta = 1.0}, stream);

  // xc = silu(conv(x))
  Tensor dx = activation({batch, d, length});
  Tensor conv_weight_grad = parameter("conv1d.weight").grad.reshape({d, config_.d_conv});
  const Tensor* context = s.conv_context.defined() ? &s.conv_context : nullptr;
  Tensor dcontext = context ? Tensor::empty(context->shape(), act, device_, stream) : Tensor();
  ops::causal_conv1d_backward(s.x, conv_weight, dxc, dx, conv_weight_grad, &parameter("conv1d.bias").grad,
                              context ? &dcontext : nullptr, {&parameter("conv1d.bias").value, context, true}, stream);
  if (s.sp) return_conv_halo_gradient(dcontext, dx, *s.sp, stream);

  // x, z = in_proj(hidden)
  const Tensor& g_in = parameter("in_proj.weight").grad;
  accumulate_over_batch(dx, s.hidden, rows(g_in, 0, d), {}, stream);
  accumulate_over_batch(dz, s.hidden, rows(g_in, d, 2 * d), {}, stream);
  ops::matmul(dx, rows(w_in, 0, d), dhidden, {.transpose_a = true}, stream);
  ops::matmul(dz, rows(w_in, d, 2 * d), dhidden, {.transpose_a = true, .beta = 1.0}, stream);
  saved_ = Saved{};
}

}  // namespace spindle
