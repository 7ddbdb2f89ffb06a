#include <cmath>

#include "platform/ops/selective_scan.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// Awkward sizes: lengths not multiples of the 32-step chunk, one
// step, state 1..64, both directions, with and without the optional inputs; 8300 steps fold
// more than one tile of 128 chunks in the forward, 16500 (129 segments of 4 chunks) in the
// backward; segments of 2 and 3 chunks last (lengths 1100 and 200). `segments` forces the forward's segment
// count (0: automatic, which at these sizes gives one chunk per segment): one segment runs
// from h0 without a fold; several walk many chunks per block, the last segment shorter, a
// partial chunk last (length 1000) or every chunk unaligned for vector loads (length 1001).
// Reverse at length 1000: full chunks aligned for vector loads, the short one at the start.
// `saved`: on the GPU the backward starts from the states a forward saved (poisoned before
// the forward writes them) instead of saving them itself; the CPU reference is the same.
struct ScanCase {
  int64_t batch, channels, length, state;
  bool reverse, full;
  int64_t segments = 0;
  bool softplus = true;
  bool saved = false;
};

// Where the GPU backward of `c` takes its saved states from: a forward of `tensors` saving
// them (its output discarded), or null.
template <typename Forward>
Tensor saved_states(const Backend& be, ScanCase c, const ops::ScanTensors& tensors, Forward forward) {
  if (!c.saved || be.device.is_cpu()) return {};
  Tensor saved = be.parameter_output(ops::selective_scan_saved_shape(tensors));
  Tensor out = be.output(tensors.u->shape());
  forward(out, saved);
  return saved;
}

struct Inputs {
  Tensor u, delta, A, B, C, D, z, delta_bias, h0;
  Inputs(const Backend& be, ScanCase c)
      : u(be.input({c.batch, c.channels, c.length}, 1)),
        delta(be.input({c.batch, c.channels, c.length}, 2, -2.0, 0.5)),
        A(be.parameter({c.channels, c.state}, 3, -2.0, -0.2)),
        B(be.input({c.batch, c.state, c.length}, 4)),
        C(be.input({c.batch, c.state, c.length}, 5)),
        D(be.parameter({c.channels}, 6)),
        z(be.input({c.batch, c.channels, c.length}, 7)),
        delta_bias(be.parameter({c.channels}, 8)),
        h0(be.parameter({c.batch, c.channels, c.state}, 9)) {}
  ops::ScanTensors tensors(bool full) const {
    return {&u, &delta, &A, &B, &C, full ? &D : nullptr, full ? &z : nullptr, full ? &delta_bias : nullptr,
            full ? &h0 : nullptr};
  }
};

std::vector<std::pair<std::string, Tensor>> run_forward(const Backend& be, ScanCase c) {
  const Inputs in(be, c);
  Tensor out = be.output(in.u.shape());
  Tensor h_final = be.parameter_output(in.h0.shape());
  ops::selective_scan_forward(in.tensors(c.full), out, &h_final,
                              {.softplus = true, .reverse = c.reverse, .forward_segments = c.segments});
  return {{"out", out}, {"h_final", h_final}};
}

std::vector<std::pair<std::string, Tensor>> run_backward(const Backend& be, ScanCase c) {
  Inputs in(be, c);
  // Without softplus dt is delta itself: drawn positive and small, so that no state grows.
  if (!c.softplus) in.delta = be.input(in.u.shape(), 2, 0.0, 0.1);
  const Tensor dout = be.input(in.u.shape(), 10);
  const Tensor dh_final = be.parameter(in.h0.shape(), 11);
  Tensor du = be.output(in.u.shape()), ddelta = be.output(in.u.shape()), dz = be.output(in.u.shape());
  Tensor dB = be.output(in.B.shape()), dC = be.output(in.C.shape());
  Tensor dA = be.parameter_gradient(in.A.shape(), 12), dD = be.parameter_gradient(in.D.shape(), 13),
         dbias = be.parameter_gradient(in.D.shape(), 14);
  Tensor dh0 = be.parameter_output(in.h0.shape());
  ops::ScanGradientTensors grad{&du, &ddelta, &dA, &dB, &dC};
  if (c.full) grad = {&du, &ddelta, &dA, &dB, &dC, &dD, &dz, &dbias, &dh0};
  const kernels::ScanOptions options{.softplus = c.softplus, .reverse = c.reverse, .forward_segments = c.segments};
  const Tensor saved = saved_states(be, c, in.tensors(c.full), [&](Tensor& out, Tensor& states) {
    ops::selective_scan_forward(in.tensors(c.full), out, nullptr, options, nullptr, &states);
  });
  ops::selective_scan_backward(in.tensors(c.full), dout, &dh_final, grad, options, nullptr,
                               saved.defined() ? &saved : nullptr);
  std::vector<std::pair<std::string, Tensor>> outputs{{"du", du}, {"ddelta", ddelta}, {"dA", dA}, {"dB", dB}, {"dC", dC}};
  if (c.full) outputs.insert(outputs.end(), {{"dD", dD}, {"dz", dz}, {"ddelta_bias", dbias}, {"dh0", dh0}});
  return outputs;
}

// The exchanging passes (two calls each): h0 holds NaN until the test writes the initial
// state between the calls (and dh_final NaN until it writes the final state's gradient), so
// a first call that read them fails the NaN check; reached, decay and dh0_alone are compared
// as copied between the calls, so a second call that wrote them fails too. At the random
// inputs' dt sums (hundreds) every decay underflows to zero, so the decay is checked with
// `small_dt`: inputs drawn so that the piece's dt sum is about 2 (decays of order 0.01 to
// 1): dt = softplus(delta + bias) ~ e^(delta + bias) around 2 / length, or dt = delta in
// [0, 4 / length] without softplus (and without a bias). The offset log(2 / length) sits in
// the f32 bias where there is one: in delta, bf16's rounding of a value near -10 (steps of
// 1/16) would change each dt by up to 3%, and the state, a sum over thousands of such
// steps, by 1-2% (measured), which is the test data's rounding, not the kernel's error.
std::vector<std::pair<std::string, Tensor>> run_forward_exchanging(const Backend& be, ScanCase c, bool small_dt) {
  Inputs in(be, c);
  if (small_dt) {
    const double length = static_cast<double>(c.length), typical = std::log(2.0 / length);
    if (!c.softplus) {
      in.delta = be.input(in.u.shape(), 2, 0.0, 4.0 / length);
    } else if (c.full) {
      in.delta = be.input(in.u.shape(), 2, -1.0, 1.0);
      in.delta_bias = be.parameter({c.channels}, 8, typical, typical);
    } else {
      in.delta = be.input(in.u.shape(), 2, typical - 1.0, typical + 1.0);
    }
  }
  const Tensor h0 = in.h0;
  in.h0 = be.parameter_output(h0.shape());
  Tensor out = be.output(in.u.shape()), reached = be.parameter_output(h0.shape()),
         decay = be.parameter_output(h0.shape());
  ops::ScanTensors tensors = in.tensors(c.full);
  tensors.h0 = nullptr;
  const kernels::ScanOptions options{.softplus = c.softplus, .reverse = c.reverse, .forward_segments = c.segments};
  ops::ScanExchange exchange = ops::selective_scan_forward_begin(tensors, reached, decay, out, options);
  Tensor reached_at_exchange = be.parameter_output(h0.shape()), decay_at_exchange = be.parameter_output(h0.shape());
  reached_at_exchange.copy_from(reached), decay_at_exchange.copy_from(decay);
  in.h0.copy_from(h0);
  tensors.h0 = &in.h0;
  ops::selective_scan_forward_finish(exchange, tensors, out, options);
  std::vector<std::pair<std::string, Tensor>> outputs{{"out", out}, {"reached", reached_at_exchange}};
  if (small_dt) outputs.emplace_back("decay", decay_at_exchange);
  return outputs;
}

std::vector<std::pair<std::string, Tensor>> run_backward_exchanging(const Backend& be, ScanCase c) {
  const Inputs in(be, c);
  const Tensor dout = be.input(in.u.shape(), 10);
  const Tensor dh_final_value = be.parameter(in.h0.shape(), 11);
  Tensor dh_final = be.parameter_output(in.h0.shape()), dh0_alone = be.parameter_output(in.h0.shape());
  Tensor du = be.output(in.u.shape()), ddelta = be.output(in.u.shape()), dz = be.output(in.u.shape());
  Tensor dB = be.output(in.B.shape()), dC = be.output(in.C.shape());
  Tensor dA = be.parameter_gradient(in.A.shape(), 12), dD = be.parameter_gradient(in.D.shape(), 13),
         dbias = be.parameter_gradient(in.D.shape(), 14);
  ops::ScanTensors tensors = in.tensors(c.full);
  tensors.h0 = &in.h0;
  ops::ScanGradientTensors grad{&du, &ddelta, &dA, &dB, &dC};
  if (c.full) grad = {&du, &ddelta, &dA, &dB, &dC, &dD, &dz, &dbias};
  Tensor dh0_at_exchange = be.parameter_output(in.h0.shape());
  const kernels::ScanOptions options{.softplus = true, .reverse = c.reverse, .forward_segments = c.segments};
  // Saved by the exchanging forward, finished from the same h0.
  const Tensor saved = saved_states(be, c, tensors, [&](Tensor& out, Tensor& states) {
    Tensor reached = be.parameter_output(in.h0.shape()), decay = be.parameter_output(in.h0.shape());
    ops::ScanTensors from_zero = tensors;
    from_zero.h0 = nullptr;
    ops::ScanExchange forward =
        ops::selective_scan_forward_begin(from_zero, reached, decay, out, options, nullptr, &states);
    ops::selective_scan_forward_finish(forward, tensors, out, options, nullptr, &states);
  });
  ops::ScanExchange exchange = ops::selective_scan_backward_begin(tensors, dout, dh0_alone, options, nullptr,
                                                                  saved.defined() ? &saved : nullptr);
  dh0_at_exchange.copy_from(dh0_alone), dh_final.copy_from(dh_final_value);
  ops::selective_scan_backward_finish(exchange, tensors, dout, dh_final, grad, options);
  std::vector<std::pair<std::string, Tensor>> outputs{{"dh0_alone", dh0_at_exchange}, {"du", du}, {"ddelta", ddelta},
                                                      {"dA", dA}, {"dB", dB}, {"dC", dC}};
  if (c.full) outputs.insert(outputs.end(), {{"dD", dD}, {"dz", dz}, {"ddelta_bias", dbias}});
  return outputs;
}

#define SCAN_SMALL_DT_CASE(name, ...)                                  \
  RegisterOpCase({"selective_scan_forward_exchanging_small_dt_" name, \
                  [](const Backend& be) { return run_forward_exchanging(be, {__VA_ARGS__}, true); }})

#define SCAN_EXCHANGING_CASES(name, ...)                                                                     \
  RegisterOpCase({"selective_scan_forward_exchanging_" name,                                                  \
                  [](const Backend& be) { return run_forward_exchanging(be, {__VA_ARGS__}, false); }}),              \
      RegisterOpCase({"selective_scan_backward_exchanging_" name,                                             \
                      [](const Backend& be) { return run_backward_exchanging(be, {__VA_ARGS__}); }})

#define SCAN_CASES(name, ...)                                                                              \
  RegisterOpCase({"selective_scan_forward_" name, [](const Backend& be) { return run_forward(be, {__VA_ARGS__}); }}), \
      RegisterOpCase({"selective_scan_backward_" name, [](const Backend& be) { return run_backward(be, {__VA_ARGS__}); }})

#define SCAN_BACKWARD_SAVED_CASE(name, ...)                                                                 \
  RegisterOpCase({"selective_scan_backward_saved_" name, [](const Backend& be) {                                \
                    ScanCase c{__VA_ARGS__};                                                                   \
                    c.saved = true;                                                                            \
                    return run_backward(be, c);                                                                \
                  }}),                                                                                         \
      RegisterOpCase({"selective_scan_backward_exchanging_saved_" name, [](const Backend& be) {                \
                        ScanCase c{__VA_ARGS__};                                                               \
                        c.saved = true;                                                                        \
                        return run_backward_exchanging(be, c);                                                 \
                      }})

#define SCAN_FORWARD_CASE(name, ...) \
  RegisterOpCase({"selective_scan_forward_" name, [](const Backend& be) { return run_forward(be, {__VA_ARGS__}); }})

const RegisterOpCase kCases[] = {
    SCAN_CASES("b2_d37_l1000_n16", 2, 37, 1000, 16, false, true),
    SCAN_CASES("b1_d5_l1_n3_reverse", 1, 5, 1, 3, true, true),
    SCAN_CASES("b1_d70_l130_n64_reverse", 1, 70, 130, 64, true, true),
    SCAN_CASES("b2_d3_l257_n1_minimal", 2, 3, 257, 1, false, false),
    SCAN_CASES("b1_d9_l4097_n8", 1, 9, 4097, 8, false, true),
    SCAN_CASES("b1_d3_l8300_n5_reverse", 1, 3, 8300, 5, true, true),
    SCAN_CASES("b1_d130_l2051_n32", 1, 130, 2051, 32, false, true),
    SCAN_CASES("b2_d70_l1000_n16_reverse", 2, 70, 1000, 16, true, true),
    SCAN_FORWARD_CASE("b2_d37_l1000_n16_one_segment", 2, 37, 1000, 16, false, true, 1),
    SCAN_FORWARD_CASE("b1_d3_l8300_n5_reverse_minimal_one_segment", 1, 3, 8300, 5, true, false, 1),
    SCAN_FORWARD_CASE("b1_d70_l1000_n64_reverse_3_segments", 1, 70, 1000, 64, true, true, 3),
    SCAN_FORWARD_CASE("b2_d9_l1001_n8_2_segments", 2, 9, 1001, 8, false, true, 2),
    SCAN_FORWARD_CASE("b1_d130_l4097_n16_5_segments", 1, 130, 4097, 16, false, true, 5),
    // Phase 3 from phase 1's dt with lengths of whole 8-step groups: its rows move by cp.async
    // into both of its buffers in turn (a partial chunk last at 2000), gated and (minimal)
    // not, in every thread layout (d_state 3, 5: states past d_state zero-filled; 16; 32).
    SCAN_FORWARD_CASE("b2_d70_l4096_n16_3_segments", 2, 70, 4096, 16, false, true, 3),
    SCAN_FORWARD_CASE("b1_d37_l2000_n16_reverse_4_segments", 1, 37, 2000, 16, true, true, 4),
    SCAN_FORWARD_CASE("b1_d37_l2048_n16_minimal_4_segments", 1, 37, 2048, 16, false, false, 4),
    SCAN_FORWARD_CASE("b2_d9_l1024_n3_2_segments", 2, 9, 1024, 3, false, true, 2),
    SCAN_FORWARD_CASE("b1_d37_l2048_n5_reverse_4_segments", 1, 37, 2048, 5, true, true, 4),
    SCAN_FORWARD_CASE("b1_d70_l1024_n32_3_segments", 1, 70, 1024, 32, false, true, 3),
    SCAN_SMALL_DT_CASE("b2_d37_l1000_n16", 2, 37, 1000, 16, false, true),
    SCAN_SMALL_DT_CASE("b1_d70_l130_n64_reverse_minimal", 1, 70, 130, 64, true, false),
    SCAN_SMALL_DT_CASE("b1_d9_l4097_n8_one_segment", 1, 9, 4097, 8, false, true, 1),
    SCAN_EXCHANGING_CASES("b2_d37_l1000_n16", 2, 37, 1000, 16, false, true),
    SCAN_EXCHANGING_CASES("b1_d70_l130_n64_reverse_minimal", 1, 70, 130, 64, true, false),
    SCAN_EXCHANGING_CASES("b1_d9_l4097_n8_one_segment", 1, 9, 4097, 8, false, true, 1),
    SCAN_EXCHANGING_CASES("b1_d130_l4097_n16_5_segments_reverse", 1, 130, 4097, 16, true, true, 5),
    SCAN_EXCHANGING_CASES("b2_d9_l1001_n8_2_segments", 2, 9, 1001, 8, false, true, 2),
    SCAN_BACKWARD_SAVED_CASE("b2_d37_l1000_n16", 2, 37, 1000, 16, false, true),
    SCAN_BACKWARD_SAVED_CASE("b1_d70_l130_n64_reverse_minimal", 1, 70, 130, 64, true, false),
    SCAN_BACKWARD_SAVED_CASE("b1_d3_l8300_n5_reverse_one_segment", 1, 3, 8300, 5, true, true, 1),
    SCAN_BACKWARD_SAVED_CASE("b2_d9_l1001_n8_3_segments", 2, 9, 1001, 8, false, true, 3),
    SCAN_BACKWARD_SAVED_CASE("b1_d130_l4097_n32_reverse", 1, 130, 4097, 32, true, true),
    SCAN_CASES("b2_d9_l16500_n8_reverse", 2, 9, 16500, 8, true, true),
    SCAN_BACKWARD_SAVED_CASE("b2_d9_l16500_n8_reverse", 2, 9, 16500, 8, true, true),
    SCAN_CASES("b2_d70_l200_n16_reverse", 2, 70, 200, 16, true, true),
    SCAN_BACKWARD_SAVED_CASE("b2_d9_l1100_n3", 2, 9, 1100, 3, false, true),
    // Lengths of whole 8-step groups: the gradient phase stages its next chunk (cp.async) at
    // the largest and smallest state sizes; and the backward without softplus (minimal
    // inputs, so dt = delta > 0).
    SCAN_BACKWARD_SAVED_CASE("b1_d70_l1024_n64_reverse", 1, 70, 1024, 64, true, true),
    SCAN_BACKWARD_SAVED_CASE("b2_d9_l1024_n3", 2, 9, 1024, 3, false, true),
    RegisterOpCase({"selective_scan_backward_b1_d37_l1000_n16_minimal_no_softplus",
                    [](const Backend& be) { return run_backward(be, {1, 37, 1000, 16, false, false, 0, false}); }}),
    RegisterOpCase({"selective_scan_forward_exchanging_small_dt_b3_d5_l70001_n16",
                    [](const Backend& be) { return run_forward_exchanging(be, {3, 5, 70001, 16, false, true}, true); }}),
    RegisterOpCase({"selective_scan_forward_exchanging_small_dt_b3_d5_l70001_n16_no_softplus",
                    [](const Backend& be) {
                      return run_forward_exchanging(be, {3, 5, 70001, 16, false, false, 0, false}, true);
                    }}),
};

}  // namespace
}  // namespace spindle::testing
