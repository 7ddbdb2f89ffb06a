// Selective scan on the CPU: gradients by finite differences in float64 for every input,
// both directions; pieces with the final state passed on equal the whole; reverse
// direction equals the forward direction on flipped inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "platform/ops/selective_scan.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using kernels::ScanOptions;
using testing::random_tensor;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Inputs of one problem, f64 on the CPU. A is negative (a decaying system), as Mamba's
// A = -exp(A_log) is.
struct ScanProblem {
  Tensor u, delta, A, B, C, D, z, delta_bias, h0;

  ScanProblem(int64_t batch, int64_t channels, int64_t length, int64_t state, uint64_t seed)
      : u(random_tensor({batch, channels, length}, DType::f64, seed + 1)),
        delta(random_tensor({batch, channels, length}, DType::f64, seed + 2, -2.0, 0.5)),
        A(random_tensor({channels, state}, DType::f64, seed + 3, -2.0, -0.2)),
        B(random_tensor({batch, state, length}, DType::f64, seed + 4)),
        C(random_tensor({batch, state, length}, DType::f64, seed + 5)),
        D(random_tensor({channels}, DType::f64, seed + 6)),
        z(random_tensor({batch, channels, length}, DType::f64, seed + 7)),
        delta_bias(random_tensor({channels}, DType::f64, seed + 8, -1.0, 1.0)),
        h0(random_tensor({batch, channels, state}, DType::f64, seed + 9)) {}

  ops::ScanTensors tensors(bool full = true) const {
    return {&u, &delta, &A, &B, &C, full ? &D : nullptr, full ? &z : nullptr, full ? &delta_bias : nullptr,
            full ? &h0 : nullptr};
  }
};

struct GradCase {
  int64_t batch, channels, length, state;
  bool reverse, full, softplus;
};

class ScanGradcheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(ScanGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const GradCase p = GetParam();
  ScanProblem in(p.batch, p.channels, p.length, p.state, 100);
  if (!p.softplus) {  // dt is used as given: keep it positive, as callers must
    in.delta = random_tensor(in.delta.shape(), DType::f64, 60, 0.05, 0.5);
    in.delta_bias = random_tensor(in.delta_bias.shape(), DType::f64, 61, 0.0, 0.1);
  }
  const ScanOptions options{.softplus = p.softplus, .reverse = p.reverse};
  const Tensor dout = random_tensor(in.u.shape(), DType::f64, 50);
  const Tensor dh_final = random_tensor(in.h0.shape(), DType::f64, 51);
  auto zeros = [](const Tensor& like) { return Tensor::zeros(like.shape(), DType::f64); };
  Tensor du = zeros(in.u), ddelta = zeros(in.delta), dA = zeros(in.A), dB = zeros(in.B), dC = zeros(in.C),
         dD = zeros(in.D), dz = zeros(in.z), dbias = zeros(in.delta_bias), dh0 = zeros(in.h0);
  ops::ScanGradientTensors grad{&du, &ddelta, &dA, &dB, &dC};
  if (p.full) {
    grad.dD = &dD;
    grad.dz = &dz;
    grad.ddelta_bias = &dbias;
    grad.dh0 = &dh0;
  }
  ops::selective_scan_backward(in.tensors(p.full), dout, &dh_final, grad, options);

  Tensor out = zeros(in.u), h_final = zeros(in.h0);
  auto loss = [&] {
    ops::selective_scan_forward(in.tensors(p.full), out, &h_final, options);
    return testing::weighted_sum(out, dout) + testing::weighted_sum(h_final, dh_final);
  };
  std::vector<testing::GradcheckInput> inputs{
      {"u", &in.u, &du}, {"delta", &in.delta, &ddelta}, {"A", &in.A, &dA}, {"B", &in.B, &dB}, {"C", &in.C, &dC}};
  if (p.full) {
    inputs.insert(inputs.end(), {{"D", &in.D, &dD},
                                 {"z", &in.z, &dz},
                                 {"delta_bias", &in.delta_bias, &dbias},
                                 {"h0", &in.h0, &dh0}});
  }
  testing::expect_gradients_match(loss, inputs, 1e-6, 2e-6);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ScanGradcheck,
                         ::testing::Values(GradCase{1, 1, 1, 1, false, true, true}, GradCase{2, 3, 7, 4, false, true, true},
                                           GradCase{1, 2, 9, 3, true, true, true}, GradCase{2, 2, 5, 16, false, false, true},
                                           GradCase{1, 3, 6, 2, true, false, false}, GradCase{1, 1, 33, 5, false, true, false}));

// Each optional input on its own (the cases above give all four or none): D, z, delta_bias
// and h0 singly and in pairs, h0 without its gradient asked for (dh0 is optional), no
// dh_final (a null final-state gradient is zero), and awkward sizes (one step reversed, one
// state, a length past the CUDA chunk). Same tolerance as above: 2e-6 relative, the
// central difference's O(h^2) and rounding error through exp at step 1e-6.
struct OptionalCase {
  int64_t batch, channels, length, state;
  bool reverse, softplus, D, z, delta_bias, h0, dh0, dh_final;
};

class ScanOptionalGradcheck : public ::testing::TestWithParam<OptionalCase> {};

TEST_P(ScanOptionalGradcheck, EachOptionalInputAloneMatchesFiniteDifferences) {
  const OptionalCase p = GetParam();
  ScanProblem in(p.batch, p.channels, p.length, p.state, 200);
  if (!p.softplus) {
    in.delta = random_tensor(in.delta.shape(), DType::f64, 70, 0.05, 0.5);
    in.delta_bias = random_tensor(in.delta_bias.shape(), DType::f64, 71, 0.0, 0.1);
  }
  const ScanOptions options{.softplus = p.softplus, .reverse = p.reverse};
  const ops::ScanTensors tensors{&in.u,
                                 &in.delta,
                                 &in.A,
                                 &in.B,
                                 &in.C,
                                 p.D ? &in.D : nullptr,
                                 p.z ? &in.z : nullptr,
                                 p.delta_bias ? &in.delta_bias : nullptr,
                                 p.h0 ? &in.h0 : nullptr};
  const Tensor dout = random_tensor(in.u.shape(), DType::f64, 52);
  const Tensor dh_final = random_tensor(in.h0.shape(), DType::f64, 53);
  auto zeros = [](const Tensor& like) { return Tensor::zeros(like.shape(), DType::f64); };
  // Written gradients start poisoned, so an unwritten element shows; accumulated ones at zero.
  auto poisoned = [](const Tensor& like) { return testing::poisoned(like.shape(), DType::f64, Device::cpu()); };
  Tensor du = poisoned(in.u), ddelta = poisoned(in.delta), dA = zeros(in.A), dB = poisoned(in.B), dC = poisoned(in.C),
         dD = zeros(in.D), dz = poisoned(in.z), dbias = zeros(in.delta_bias), dh0 = poisoned(in.h0);
  ops::ScanGradientTensors grad{&du, &ddelta, &dA, &dB, &dC};
  if (p.D) grad.dD = &dD;
  if (p.z) grad.dz = &dz;
  if (p.delta_bias) grad.ddelta_bias = &dbias;
  if (p.dh0) grad.dh0 = &dh0;
  ops::selective_scan_backward(tensors, dout, p.dh_final ? &dh_final : nullptr, grad, options);

  Tensor out = zeros(in.u), h_final = zeros(in.h0);
  auto loss = [&] {
    ops::selective_scan_forward(tensors, out, &h_final, options);
    return testing::weighted_sum(out, dout) + (p.dh_final ? testing::weighted_sum(h_final, dh_final) : 0.0);
  };
  std::vector<testing::GradcheckInput> inputs{
      {"u", &in.u, &du}, {"delta", &in.delta, &ddelta}, {"A", &in.A, &dA}, {"B", &in.B, &dB}, {"C", &in.C, &dC}};
  if (p.D) inputs.push_back({"D", &in.D, &dD});
  if (p.z) inputs.push_back({"z", &in.z, &dz});
  if (p.delta_bias) inputs.push_back({"delta_bias", &in.delta_bias, &dbias});
  if (p.dh0) inputs.push_back({"h0", &in.h0, &dh0});
  testing::expect_gradients_match(loss, inputs, 1e-6, 2e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Options, ScanOptionalGradcheck,
    ::testing::Values(
        //            b  ch  L  N  reverse softplus D      z      bias   h0     dh0    dh_final
        OptionalCase{2, 3, 6, 3, false, true, true, false, false, false, false, true},   // D alone
        OptionalCase{2, 3, 6, 3, true, true, false, true, false, false, false, true},    // z alone, reversed
        OptionalCase{1, 2, 7, 2, false, true, false, false, true, false, false, false},  // delta_bias alone
        OptionalCase{1, 2, 7, 2, true, false, false, false, true, false, false, true},   // bias, no softplus
        OptionalCase{2, 2, 5, 3, false, true, false, false, false, true, true, false},   // h0 alone, no dh_final
        OptionalCase{2, 2, 5, 3, true, true, false, false, false, true, false, true},    // h0 without dh0
        OptionalCase{1, 2, 6, 2, false, true, true, true, false, false, false, false},   // D and z
        OptionalCase{1, 2, 6, 2, true, true, false, true, true, true, true, false},      // z, bias, h0
        OptionalCase{1, 1, 1, 1, true, true, true, true, true, true, true, true},        // one step reversed
        OptionalCase{1, 2, 4, 1, false, false, true, false, true, true, true, true},     // one state
        OptionalCase{1, 1, 37, 2, true, true, true, true, true, true, true, false}));    // past a 32-step chunk

Tensor empty_like(const Tensor& t) { return Tensor::empty(t.shape(), t.dtype()); }

// Piece boundaries: run [0, split) then [split, L) with the first piece's final state as
// the second's initial state; equals the whole, for outputs, final state and gradients.
void expect_pieces_equal_whole(bool reverse) {
  const int64_t batch = 2, channels = 3, length = 23, state = 4, split = 9;
  ScanProblem in(batch, channels, length, state, 7);
  const ScanOptions options{.softplus = true, .reverse = reverse};
  Tensor out = empty_like(in.u), h_final = empty_like(in.h0);
  ops::selective_scan_forward(in.tensors(), out, &h_final, options);

  // In reverse direction the scan starts at the end: the "first" piece is the tail.
  const int64_t first_begin = reverse ? split : 0, first_end = reverse ? length : split;
  const int64_t second_begin = reverse ? 0 : split, second_end = reverse ? split : length;
  auto piece = [](const Tensor& t, int64_t begin, int64_t end) { return t.slice(-1, begin, end).contiguous(); };
  struct Piece {
    Tensor u, delta, B, C, z;
  };
  auto make = [&](int64_t begin, int64_t end) {
    return Piece{piece(in.u, begin, end), piece(in.delta, begin, end), piece(in.B, begin, end), piece(in.C, begin, end),
                 piece(in.z, begin, end)};
  };
  const Piece first = make(first_begin, first_end), second = make(second_begin, second_end);
  Tensor out1 = empty_like(first.u), out2 = empty_like(second.u), h_mid = empty_like(in.h0), h_end = empty_like(in.h0);
  ops::selective_scan_forward({&first.u, &first.delta, &in.A, &first.B, &first.C, &in.D, &first.z, &in.delta_bias, &in.h0},
                              out1, &h_mid, options);
  ops::selective_scan_forward({&second.u, &second.delta, &in.A, &second.B, &second.C, &in.D, &second.z, &in.delta_bias,
                               &h_mid},
                              out2, &h_end, options);
  EXPECT_LT(testing::relative_error(out1, out.slice(-1, first_begin, first_end)), 1e-14);
  EXPECT_LT(testing::relative_error(out2, out.slice(-1, second_begin, second_end)), 1e-14);
  EXPECT_LT(testing::relative_error(h_end, h_final), 1e-14);

  // Backward: the second piece's dh0 is the first piece's dh_final.
  const Tensor dout = random_tensor(in.u.shape(), DType::f64, 3);
  auto zeros = [](const Tensor& like) { return Tensor::zeros(like.shape(), DType::f64); };
  Tensor du = zeros(in.u), ddelta = zeros(in.u), dA = zeros(in.A), dB = zeros(in.B), dC = zeros(in.C), dD = zeros(in.D),
         dz = zeros(in.u), dbias = zeros(in.D), dh0 = zeros(in.h0);
  ops::selective_scan_backward(in.tensors(), dout, nullptr, {&du, &ddelta, &dA, &dB, &dC, &dD, &dz, &dbias, &dh0},
                               options);
  Tensor pieces_dA = zeros(in.A), pieces_dD = zeros(in.D), pieces_dbias = zeros(in.D);
  struct PieceGrad {
    Tensor du, ddelta, dB, dC, dz, dh0;
  };
  auto grads_for = [&](const Piece& p) {
    return PieceGrad{empty_like(p.u), empty_like(p.u), empty_like(p.B), empty_like(p.C), empty_like(p.u),
                     empty_like(in.h0)};
  };
  PieceGrad g1 = grads_for(first), g2 = grads_for(second);
  const Tensor dout2 = piece(dout, second_begin, second_end), dout1 = piece(dout, first_begin, first_end);
  ops::selective_scan_backward({&second.u, &second.delta, &in.A, &second.B, &second.C, &in.D, &second.z,
                                &in.delta_bias, &h_mid},
                               dout2, nullptr,
                               {&g2.du, &g2.ddelta, &pieces_dA, &g2.dB, &g2.dC, &pieces_dD, &g2.dz, &pieces_dbias, &g2.dh0},
                               options);
  ops::selective_scan_backward({&first.u, &first.delta, &in.A, &first.B, &first.C, &in.D, &first.z, &in.delta_bias,
                                &in.h0},
                               dout1, &g2.dh0,
                               {&g1.du, &g1.ddelta, &pieces_dA, &g1.dB, &g1.dC, &pieces_dD, &g1.dz, &pieces_dbias, &g1.dh0},
                               options);
  EXPECT_LT(testing::relative_error(g1.dh0, dh0), 1e-13);
  EXPECT_LT(testing::relative_error(pieces_dA, dA), 1e-13);
  EXPECT_LT(testing::relative_error(pieces_dD, dD), 1e-13);
  EXPECT_LT(testing::relative_error(pieces_dbias, dbias), 1e-13);
  for (const auto& [whole, part1, part2] : {std::tuple{&du, &g1.du, &g2.du}, std::tuple{&ddelta, &g1.ddelta, &g2.ddelta},
                                           std::tuple{&dB, &g1.dB, &g2.dB}, std::tuple{&dC, &g1.dC, &g2.dC},
                                           std::tuple{&dz, &g1.dz, &g2.dz}}) {
    EXPECT_LT(testing::relative_error(*part1, whole->slice(-1, first_begin, first_end)), 1e-13);
    EXPECT_LT(testing::relative_error(*part2, whole->slice(-1, second_begin, second_end)), 1e-13);
  }
}

TEST(SelectiveScan, PiecesEqualWholeForward) { expect_pieces_equal_whole(false); }
TEST(SelectiveScan, PiecesEqualWholeReverse) { expect_pieces_equal_whole(true); }

Tensor flipped(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  const int64_t length = t.size(-1);
  for (int64_t row = 0; row < t.rows(); ++row) std::reverse(v.begin() + row * length, v.begin() + (row + 1) * length);
  return Tensor::from_vector(v, t.shape());
}

TEST(SelectiveScan, ReverseEqualsForwardOnFlippedInputs) {
  ScanProblem in(2, 3, 17, 5, 21);
  Tensor out = empty_like(in.u), h_final = empty_like(in.h0);
  ops::selective_scan_forward(in.tensors(), out, &h_final, {true, true});
  const Tensor u = flipped(in.u), delta = flipped(in.delta), B = flipped(in.B), C = flipped(in.C), z = flipped(in.z);
  Tensor out_flipped = empty_like(in.u), h_final_flipped = empty_like(in.h0);
  ops::selective_scan_forward({&u, &delta, &in.A, &B, &C, &in.D, &z, &in.delta_bias, &in.h0}, out_flipped,
                              &h_final_flipped, {true, false});
  EXPECT_LT(testing::relative_error(flipped(out_flipped), out), 1e-15);
  EXPECT_LT(testing::relative_error(h_final_flipped, h_final), 1e-15);
}

// The decay the exchanging forward's begin writes is the state the piece reaches from a unit
// state with no input.
TEST(SelectiveScan, DecayIsTheUnitStateReachedWithoutInput) {
  for (const bool reverse : {false, true}) {
    for (const bool softplus : {false, true}) {
      for (const bool bias : {false, true}) {
        ScanProblem in(2, 3, 19, 5, 41);
        if (!softplus) in.delta = random_tensor(in.delta.shape(), DType::f64, 42, 0.05, 0.5);
        const ScanOptions options{.softplus = softplus, .reverse = reverse};
        const Tensor no_input = Tensor::zeros(in.B.shape(), DType::f64);
        const Tensor unit = Tensor::from_vector(std::vector<double>(static_cast<size_t>(in.h0.numel()), 1.0), in.h0.shape());
        const ops::ScanTensors from_unit{&in.u, &in.delta, &in.A, &no_input, &in.C, nullptr, nullptr,
                                         bias ? &in.delta_bias : nullptr, &unit};
        Tensor reached = empty_like(in.h0), decay = empty_like(in.h0), scratch = empty_like(in.u);
        ops::selective_scan_forward(from_unit, scratch, &reached, options);
        ops::ScanTensors plain = in.tensors(false);
        plain.delta_bias = bias ? &in.delta_bias : nullptr;
        plain.h0 = nullptr;
        Tensor reached_from_zero = empty_like(in.h0);
        ops::selective_scan_forward_begin(plain, reached_from_zero, decay, scratch, options);
        EXPECT_LT(testing::relative_error(decay, reached), 1e-13)
            << "reverse " << reverse << ", softplus " << softplus << ", bias " << bias;
        const std::vector<double> values = testing::to_doubles(decay);
        EXPECT_TRUE(std::any_of(values.begin(), values.end(), [](double v) { return std::abs(v - 1.0) > 1e-3; }))
            << "a decay this test cannot tell from none";
      }
    }
  }
}

// Sequence parallelism's two-call passes give what the whole passes give: the begin calls
// write reached, decay and dh0_alone; the finish calls read h0 and dh_final, which hold NaN
// until the test fills them between the calls.
TEST(SelectiveScan, ExchangingPassesEqualTheWholePasses) {
  for (const bool reverse : {false, true}) {
    ScanProblem in(2, 3, 19, 5, 61);
    const ScanOptions options{.softplus = true, .reverse = reverse};
    auto nan_state = [&] {
      return Tensor::from_vector(
          std::vector<double>(static_cast<size_t>(in.h0.numel()), std::numeric_limits<double>::quiet_NaN()),
          in.h0.shape());
    };
    const Tensor dout = random_tensor(in.u.shape(), DType::f64, 62);
    const Tensor dh_final_value = random_tensor(in.h0.shape(), DType::f64, 63);

    Tensor out = empty_like(in.u), reached = empty_like(in.h0), decay = empty_like(in.h0), h0 = nan_state();
    ops::ScanTensors from_zero = in.tensors();
    from_zero.h0 = nullptr;
    ops::ScanExchange forward = ops::selective_scan_forward_begin(from_zero, reached, decay, out, options);
    const Tensor reached_at_exchange = reached.to(Device::cpu()), decay_at_exchange = decay.to(Device::cpu());
    h0.copy_from(in.h0);
    ops::ScanTensors exchanging = in.tensors();
    exchanging.h0 = &h0;
    ops::selective_scan_forward_finish(forward, exchanging, out, options);
    Tensor expected_out = empty_like(in.u), expected_reached = empty_like(in.h0), scratch = empty_like(in.u);
    ops::selective_scan_forward(in.tensors(), expected_out, nullptr, options);
    ops::selective_scan_forward(from_zero, scratch, &expected_reached, options);
    EXPECT_EQ(testing::relative_error(out, expected_out), 0.0) << "reverse " << reverse;
    EXPECT_EQ(testing::relative_error(reached_at_exchange, expected_reached), 0.0) << "reverse " << reverse;
    EXPECT_EQ(testing::relative_error(decay_at_exchange, decay), 0.0) << "reverse " << reverse;

    auto zeros = [](const Tensor& like) { return Tensor::zeros(like.shape(), DType::f64); };
    Tensor grads[3][9];
    for (Tensor* g : grads) {
      g[0] = zeros(in.u), g[1] = zeros(in.delta), g[2] = zeros(in.A), g[3] = zeros(in.B), g[4] = zeros(in.C),
      g[5] = zeros(in.D), g[6] = zeros(in.z), g[7] = zeros(in.delta_bias), g[8] = zeros(in.h0);
    }
    auto set = [](Tensor* g) { return ops::ScanGradientTensors{&g[0], &g[1], &g[2], &g[3], &g[4], &g[5], &g[6], &g[7]}; };
    Tensor dh0_alone = empty_like(in.h0), dh_final = nan_state();
    ops::ScanExchange backward = ops::selective_scan_backward_begin(in.tensors(), dout, dh0_alone, options);
    const Tensor dh0_at_exchange = dh0_alone.to(Device::cpu());
    dh_final.copy_from(dh_final_value);
    ops::selective_scan_backward_finish(backward, in.tensors(), dout, dh_final, set(grads[0]), options);
    ops::ScanGradientTensors with_dh0 = set(grads[1]);
    with_dh0.dh0 = &grads[1][8];
    ops::selective_scan_backward(in.tensors(), dout, nullptr, with_dh0, options);  // dh0 with nothing after
    ops::selective_scan_backward(in.tensors(), dout, &dh_final_value, set(grads[2]), options);
    EXPECT_GT(testing::relative_error(grads[1][8], zeros(in.h0)), 0.0);  // non-zero: the comparison means something
    EXPECT_EQ(testing::relative_error(dh0_at_exchange, grads[1][8]), 0.0) << "reverse " << reverse;
    for (int k = 0; k < 8; ++k) EXPECT_EQ(testing::relative_error(grads[0][k], grads[2][k]), 0.0) << "gradient " << k;
  }
}

TEST(SelectiveScan, BadArgumentsAreRefused) {
  ScanProblem in(1, 2, 8, 4, 1);
  Tensor out = empty_like(in.u);
  const Tensor wrong_B = Tensor::empty({1, 3, 8}, DType::f64);
  EXPECT_THROW(ops::selective_scan_forward({&in.u, &in.delta, &in.A, &wrong_B, &in.C}, out, nullptr, {}), Error);
  const Tensor float_delta = Tensor::empty({1, 2, 8}, DType::f32);
  EXPECT_THROW(ops::selective_scan_forward({&in.u, &float_delta, &in.A, &in.B, &in.C}, out, nullptr, {}), Error);
  Tensor du = empty_like(in.u), ddelta = empty_like(in.u), dA = empty_like(in.A), dB = empty_like(in.B),
         dC = empty_like(in.C);
  // z given without dz.
  EXPECT_THROW(ops::selective_scan_backward({&in.u, &in.delta, &in.A, &in.B, &in.C, nullptr, &in.z}, in.u, nullptr,
                                            {&du, &ddelta, &dA, &dB, &dC}, {}),
               Error);
  // The two-call passes: an h0 given to the forward's begin (which scans from zero), none to
  // its finish (which needs the true initial state); the finish's output refused by the
  // begin, before any exchange; an incomplete gradient set.
  Tensor state = empty_like(in.h0), decay = empty_like(in.h0);
  const ops::ScanTensors with_h0{&in.u, &in.delta, &in.A, &in.B, &in.C, nullptr, nullptr, nullptr, &in.h0};
  EXPECT_THAT([&] { ops::selective_scan_forward_begin(with_h0, state, decay, out, {}); },
              ThrowsMessage<Error>(HasSubstr("selective_scan_forward_begin: an h0")));
  const Tensor short_out = Tensor::empty({1, 2, 7}, DType::f64);
  EXPECT_THAT([&] { ops::selective_scan_forward_begin({&in.u, &in.delta, &in.A, &in.B, &in.C}, state, decay,
                                                      short_out, {}); },
              ThrowsMessage<Error>(HasSubstr("selective_scan_forward_begin: out")));
  ops::ScanExchange exchange = ops::selective_scan_forward_begin({&in.u, &in.delta, &in.A, &in.B, &in.C}, state,
                                                                 decay, out, {});
  EXPECT_THAT([&] { ops::selective_scan_forward_finish(exchange, {&in.u, &in.delta, &in.A, &in.B, &in.C}, out, {}); },
              ThrowsMessage<Error>(HasSubstr("selective_scan_forward_finish: no h0")));
  ops::ScanExchange backward = ops::selective_scan_backward_begin(with_h0, in.u, state, {});
  EXPECT_THROW(ops::selective_scan_backward_finish(backward, with_h0, in.u, decay, {&du, &ddelta, &dA, &dB}, {}),
               Error);
  // Saved states are the CUDA scan's: refused on the CPU, where no backward reads them.
  Tensor saved = Tensor::empty(ops::selective_scan_saved_shape(in.tensors()), DType::f64);
  EXPECT_THROW(ops::selective_scan_forward(in.tensors(), out, nullptr, {}, nullptr, &saved), Error);
}

}  // namespace
}  // namespace spindle
