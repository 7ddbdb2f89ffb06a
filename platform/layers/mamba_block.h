// The Mamba block (Gu & Dao 2023), as mamba_ssm's `Mamba` module computes it, with the same
// parameter names and shapes (so its state dict maps one to one):
//
//   in_proj.weight   (2 d_inner, d_model)      x, z = split(in_proj(hidden))
//   conv1d.weight    (d_inner, 1, d_conv)      x = silu(causal depthwise conv(x) + conv1d.bias)
//   conv1d.bias      (d_inner)
//   x_proj.weight    (dt_rank + 2 d_state, d_inner)   dt_low, B, C = split(x_proj(x))
//   dt_proj.weight   (d_inner, dt_rank)        delta = dt_proj.weight dt_low (bias inside the scan)
//   dt_proj.bias     (d_inner)
//   A_log            (d_inner, d_state)        A = -exp(A_log)
//   D                (d_inner)
//   out_proj.weight  (d_model, d_inner)        out = out_proj(selective_scan(x, delta, A, B, C, D, z))
//
// No in_proj/out_proj bias (mamba_ssm's default bias=False), conv bias on (conv_bias=True).
// Activations: hidden and out (batch, length, d_model); inside, (batch, channels, length)
// so that the convolution and the scan read time contiguously. The projections write that
// layout directly (no transposes). Forward saves what backward needs; backward accumulates
// into every parameter's gradient and writes dhidden.
//
// dtypes: on the CPU, parameters and activations share one dtype (f32, or f64 for gradient
// checks). On a GPU, parameters are f32 and activations f32 or bf16 (weights are rounded to
// bf16 for the bf16 matrix products; the scan keeps its state in f32).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/layers/parameter.h"
#include "platform/layers/sequence_parallel.h"
#include "platform/random.h"

namespace spindle {

struct MambaConfig {
  int64_t d_model = 0;
  int64_t d_state = 16;
  int64_t d_conv = 4;
  int64_t expand = 2;
  int64_t dt_rank = 0;  // 0: ceil(d_model / 16), mamba_ssm's "auto"
  // Initialization (mamba_ssm's defaults).
  double dt_min = 0.001, dt_max = 0.1, dt_init_floor = 1e-4, dt_scale = 1.0;

  int64_t d_inner() const { return expand * d_model; }
  int64_t resolved_dt_rank() const { return dt_rank > 0 ? dt_rank : (d_model + 15) / 16; }
};

class MambaBlock {
 public:
  // Parameters of `dtype` on `device`, uninitialized until initialize() or a checkpoint load.
  // Their names are `name_prefix` + the mamba_ssm name ("layers.0.mixer." + "A_log").
  MambaBlock(const MambaConfig& config, Device device, DType dtype = DType::f32, std::string name_prefix = "");

  const MambaConfig& config() const { return config_; }
  // In the order of mamba_ssm's state dict.
  std::vector<Parameter*> parameters();
  // By the mamba_ssm name, without the prefix ("A_log").
  Parameter& parameter(std::string_view name);
  // Makes this block's `name` parameter the same tensors (value and gradient) as `source`'s:
  // weight tying, as BiMamba ties in_proj and out_proj of its two directions.
  void tie(std::string_view name, const Parameter& source);

  // mamba_ssm's initialization: Linear/Conv1d defaults (uniform +-1/sqrt(fan_in)),
  // dt_proj.weight uniform +-dt_rank^-0.5 * dt_scale, dt_proj.bias = softplus^-1(dt) for dt
  // log-uniform in [dt_min, dt_max] (floored at dt_init_floor), A_log = log(1..d_state) in
  // every row, D = 1. Draws come from `random` (advanced), identically on every device.
  // Values are written into the existing tensors, so tied parameters stay tied.
  void initialize(RandomStream& random);

  // hidden (batch, length, d_model) -> out (same shape and dtype); with `training`, saves
  // the activations backward needs (else keeps nothing). With `sp`, hidden is this rank's
  // slice of rows cut over sp->ring (every slice at least d_conv - 1 long: check_slices)
  // and out is the same slice of what the whole rows give.
  void forward(const Tensor& hidden, Tensor& out, bool training = true, const Stream* stream = nullptr,
               const SequenceParallel* sp = nullptr);
  // The training forward without its output (out_proj is skipped): only what backward
  // needs, for recomputation just before backward.
  void save_for_backward(const Tensor& hidden, const Stream* stream = nullptr, const SequenceParallel* sp = nullptr);
  // From the last training forward (or save_for_backward), whose saved activations it then
  // releases: dhidden written, parameter gradients accumulated (with sequence parallelism:
  // this slice's share, to be summed over the ring).
  void backward(const Tensor& dout, Tensor& dhidden, const Stream* stream = nullptr);

  // The same in steps, so that BiMamba can run its other direction while this one's
  // sequence-parallel exchanges are under way. Forward: start_forward(hidden, keep, ...)
  // runs the input projection and (with sp) the convolution's halo exchange;
  // start_forward_scan runs the convolution, the projections the scan takes and the scan,
  // whose sharded form it leaves waiting for the ranks' summaries; finish_forward completes
  // it and writes *out (null: save_for_backward, no out_proj). `keep`: keep what backward
  // needs (forward's `training`). Backward: start_backward runs the output projection's
  // backward and, sharded, starts the scan backward's exchange; finish_backward does the
  // rest. The steps of one pass run in order on one stream, and a pass ends before the
  // next starts.
  void start_forward(const Tensor& hidden, bool keep, const Stream* stream = nullptr,
                     const SequenceParallel* sp = nullptr);
  void start_forward_scan(const Stream* stream = nullptr);
  void finish_forward(Tensor* out, const Stream* stream = nullptr);
  void start_backward(const Tensor& dout, const Stream* stream = nullptr);
  void finish_backward(Tensor& dhidden, const Stream* stream = nullptr);
  // Whether the saved forward ran with sequence parallelism (its backward then exchanges).
  bool sharded() const { return saved_.sp.has_value(); }

 private:
  struct Saved {
    Tensor hidden, x, z, xc, dt_low, B, C, delta, A, y;
    Tensor scan_states;                  // the scan's saved states (CUDA, unsharded)
    std::optional<SequenceParallel> sp;  // set when the forward was sharded
    Tensor conv_context;                 // the halo (sharded, d_conv > 1)
    ShardedScanState scan;               // sharded
  };
  // The forward's step reached: none under way, started, scan started.
  enum class ForwardStage { idle, started, scanning };
  // Refuses a call (`call`) made at another step or during a backward; `before` names what
  // must come first.
  void expect_stage(ForwardStage stage, const char* call, const char* before) const;
  // The scan's inputs, pointing into `s` and the parameters.
  ops::ScanTensors scan_inputs(const Saved& s);
  // The f32 master weight as the activations' dtype (a bf16 copy for bf16 activations).
  Tensor weight_for(const Parameter& parameter, DType activations, const Stream* stream) const;

  MambaConfig config_;
  std::string name_prefix_;
  Device device_;
  DType dtype_;
  std::vector<Parameter> parameters_;
  Saved saved_;
  // Between a pass's steps.
  ForwardStage forward_stage_ = ForwardStage::idle;
  bool keep_ = false;                                 // the forward's `keep`
  Tensor dy_;                                         // the backward's gradient of y, until its finish
  std::optional<ShardedScanInFlight> scan_in_flight_;  // sharded: the exchange under way
};

}  // namespace spindle
