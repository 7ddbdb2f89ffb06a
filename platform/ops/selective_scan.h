// Selective scan (Mamba's S6) on tensors; kernels/selective_scan.h defines the math.
// Shapes: u, delta, z, out: (batch, channels, length); B, C: (batch, state, length);
// A: (channels, state); D, delta_bias: (channels); h0, h_final: (batch, channels, state).
// CPU: every tensor f32 or f64 (one dtype). CUDA: u, delta, z, B, C, out and their
// gradients f32 or bf16 (one dtype); A, D, delta_bias, states and their gradients f32.
#pragma once

#include <memory>

#include "kernels/selective_scan.h"
#include "platform/tensor.h"

namespace spindle::ops {

struct ScanTensors {
  const Tensor* u = nullptr;
  const Tensor* delta = nullptr;
  const Tensor* A = nullptr;
  const Tensor* B = nullptr;
  const Tensor* C = nullptr;
  const Tensor* D = nullptr;           // optional
  const Tensor* z = nullptr;           // optional
  const Tensor* delta_bias = nullptr;  // optional
  const Tensor* h0 = nullptr;          // optional
};

// Written: du, ddelta, dB, dC, dz, dh0. Accumulated: dA, dD, ddelta_bias. Each optional
// gradient is given iff its input is.
struct ScanGradientTensors {
  Tensor* du = nullptr;
  Tensor* ddelta = nullptr;
  Tensor* dA = nullptr;
  Tensor* dB = nullptr;
  Tensor* dC = nullptr;
  Tensor* dD = nullptr;
  Tensor* dz = nullptr;
  Tensor* ddelta_bias = nullptr;
  Tensor* dh0 = nullptr;  // optional even when h0 is given
};

// saved_states (CUDA only, optional; f32 of selective_scan_saved_shape(in)): the forward
// writes there the states its backward starts from (kernels/selective_scan.h), which a
// backward given them reads instead of running the forward again (without its output) for
// them. That backward must get the inputs, h0 and options of the forward that saved them
// (only their shape is checked). Their values are the scan's own, not part of its defined
// result.
Shape selective_scan_saved_shape(const ScanTensors& in);

void selective_scan_forward(const ScanTensors& in, Tensor& out, Tensor* h_final, kernels::ScanOptions options,
                            const Stream* stream = nullptr, Tensor* saved_states = nullptr);

void selective_scan_backward(const ScanTensors& in, const Tensor& dout, const Tensor* dh_final,
                             const ScanGradientTensors& grad, kernels::ScanOptions options,
                             const Stream* stream = nullptr, const Tensor* saved_states = nullptr);

// Sequence parallelism's passes over one piece of a sharded sequence, each in two calls
// with the exchange between the ranks between them, so that the caller can compute other
// work while the exchange is in flight. The first call returns a ScanExchange for the
// second. Both calls get the same tensors (but for the forward's h0: null in the first,
// the true initial state in the second), options and stream. The forward's first call
// checks the second's arguments too (out, saved_states), so that a bad one is refused
// before the caller starts its exchange; the backward's gradients are checked by its
// second call (they need not exist before it).
// Forward: begin writes reached (the state the piece reaches from zero: h_final of the
// forward with h0 null) and decay (the state it reaches from a unit state with no input,
// exp(A x the piece's dt sum) per (batch, channel, state); kernels/selective_scan.h);
// finish writes out as selective_scan_forward does (and saved_states, from the true initial
// state).
// Backward (in.h0: the true initial state the forward ran from): begin writes dh0_alone (the
// initial state's gradient with dh_final null, which does not depend on h0); finish writes
// and accumulates grad as selective_scan_backward(in, dout, &dh_final) does (every gradient
// of that op; dh0 optional). saved_states are read by begin and must stay alive until the
// finish.
// On CUDA each pair shares its first pass: phase 1 runs once per forward, the adjoint's
// chunk pass once per backward (kernels/selective_scan.h).
struct ScanExchange {
  std::unique_ptr<kernels::ScanExchangeWork> work;  // CUDA; none on the CPU
};
ScanExchange selective_scan_forward_begin(const ScanTensors& in, Tensor& reached, Tensor& decay, const Tensor& out,
                                          kernels::ScanOptions options, const Stream* stream = nullptr,
                                          const Tensor* saved_states = nullptr);
void selective_scan_forward_finish(ScanExchange& exchange, const ScanTensors& in, Tensor& out,
                                   kernels::ScanOptions options, const Stream* stream = nullptr,
                                   Tensor* saved_states = nullptr);
ScanExchange selective_scan_backward_begin(const ScanTensors& in, const Tensor& dout, Tensor& dh0_alone,
                                           kernels::ScanOptions options, const Stream* stream = nullptr,
                                           const Tensor* saved_states = nullptr);
void selective_scan_backward_finish(ScanExchange& exchange, const ScanTensors& in, const Tensor& dout,
                                    const Tensor& dh_final, const ScanGradientTensors& grad,
                                    kernels::ScanOptions options, const Stream* stream = nullptr);

}  // namespace spindle::ops
