#include <cmath>
#include <vector>

#include "kernels/selective_scan.h"

namespace spindle::kernels {
namespace {

template <typename T>
T sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

template <typename T>
T softplus(T v) {
  return v > T(20) ? v : std::log1p(std::exp(v));  // PyTorch's threshold
}

// Everything of one (batch, channel) row that the recurrence needs, per step index.
template <typename T>
struct Row {
  const ScanInputs<T>& in;
  ScanShape shape;
  ScanOptions options;
  int64_t b, d;

  int64_t time(int64_t step) const { return options.reverse ? shape.length - 1 - step : step; }
  int64_t at(int64_t t) const { return (b * shape.channels + d) * shape.length + t; }
  int64_t at_state(int64_t n, int64_t t) const { return (b * shape.state + n) * shape.length + t; }
  T raw_dt(int64_t t) const { return in.delta[at(t)] + (in.delta_bias ? in.delta_bias[d] : T(0)); }
  T dt(int64_t t) const { return options.softplus ? softplus(raw_dt(t)) : raw_dt(t); }
  T A(int64_t n) const { return in.A[d * shape.state + n]; }
  T h0(int64_t n) const { return in.h0 ? in.h0[(b * shape.channels + d) * shape.state + n] : T(0); }
  T skip() const { return in.D ? in.D[d] : T(0); }
};

}  // namespace

template <typename T>
void selective_scan_forward_cpu(const ScanInputs<T>& in, T* out, T* h_final, ScanShape shape, ScanOptions options) {
  std::vector<T> h(static_cast<size_t>(shape.state));
  for (int64_t b = 0; b < shape.batch; ++b) {
    for (int64_t d = 0; d < shape.channels; ++d) {
      const Row<T> row{in, shape, options, b, d};
      for (int64_t n = 0; n < shape.state; ++n) h[n] = row.h0(n);
      for (int64_t step = 0; step < shape.length; ++step) {
        const int64_t t = row.time(step);
        const T dt = row.dt(t), u = in.u[row.at(t)];
        T y = row.skip() * u;
        for (int64_t n = 0; n < shape.state; ++n) {
          h[n] = std::exp(dt * row.A(n)) * h[n] + dt * in.B[row.at_state(n, t)] * u;
          y += in.C[row.at_state(n, t)] * h[n];
        }
        if (out) out[row.at(t)] = in.z ? y * in.z[row.at(t)] * sigmoid(in.z[row.at(t)]) : y;
      }
      if (h_final) {
        for (int64_t n = 0; n < shape.state; ++n) h_final[(b * shape.channels + d) * shape.state + n] = h[n];
      }
    }
  }
}

template <typename T>
void selective_scan_backward_cpu(const ScanInputs<T>& in, const T* dout, const T* dh_final, const ScanGradients<T>& grad,
                                 ScanShape shape, ScanOptions options) {
  const int64_t N = shape.state, L = shape.length;
  // dB and dC sum over channels: clear them once, then add each channel's part. Without
  // them (dh0 alone asked for) the same loop runs and only dh0 is written.
  const bool all = grad.du != nullptr;
  if (all) {
    for (int64_t i = 0; i < shape.batch * N * L; ++i) grad.dB[i] = grad.dC[i] = T(0);
  }
  std::vector<T> states(static_cast<size_t>((L + 1) * N));  // states[step + 1] = h after step
  std::vector<T> adjoint(static_cast<size_t>(N));
  for (int64_t b = 0; b < shape.batch; ++b) {
    for (int64_t d = 0; d < shape.channels; ++d) {
      const Row<T> row{in, shape, options, b, d};
      for (int64_t n = 0; n < N; ++n) states[n] = row.h0(n);
      for (int64_t step = 0; step < L; ++step) {
        const int64_t t = row.time(step);
        const T dt = row.dt(t), u = in.u[row.at(t)];
        for (int64_t n = 0; n < N; ++n) {
          states[(step + 1) * N + n] =
              std::exp(dt * row.A(n)) * states[step * N + n] + dt * in.B[row.at_state(n, t)] * u;
        }
      }
      const int64_t state_index = (b * shape.channels + d) * N;
      for (int64_t n = 0; n < N; ++n) adjoint[n] = dh_final ? dh_final[state_index + n] : T(0);
      for (int64_t step = L - 1; step >= 0; --step) {
        const int64_t t = row.time(step);
        const T raw = row.raw_dt(t), dt = row.dt(t), u = in.u[row.at(t)];
        // out = y * g(z), g = silu.
        T y = row.skip() * u;
        for (int64_t n = 0; n < N; ++n) y += in.C[row.at_state(n, t)] * states[(step + 1) * N + n];
        T dy = dout[row.at(t)];
        if (in.z) {
          const T z = in.z[row.at(t)], s = sigmoid(z);
          if (grad.dz) grad.dz[row.at(t)] = dy * y * s * (T(1) + z * (T(1) - s));
          dy *= z * s;
        }
        T ddt = 0, du = row.skip() * dy;
        if (grad.dD) grad.dD[d] += dy * u;
        for (int64_t n = 0; n < N; ++n) {
          const T a = std::exp(dt * row.A(n)), h_prev = states[step * N + n], h = states[(step + 1) * N + n];
          const T B = in.B[row.at_state(n, t)];
          const T lambda = adjoint[n] + dy * in.C[row.at_state(n, t)];  // dL/dh_t
          adjoint[n] = lambda * a;  // flows to h_prev
          if (!all) continue;
          grad.dC[row.at_state(n, t)] += dy * h;
          ddt += lambda * (row.A(n) * a * h_prev + B * u);
          grad.dA[d * N + n] += lambda * dt * a * h_prev;
          grad.dB[row.at_state(n, t)] += lambda * dt * u;
          du += lambda * dt * B;
        }
        if (!all) continue;
        const T draw = options.softplus ? ddt * sigmoid(raw) : ddt;
        grad.ddelta[row.at(t)] = draw;
        if (grad.ddelta_bias) grad.ddelta_bias[d] += draw;
        grad.du[row.at(t)] = du;
      }
      if (grad.dh0) {
        for (int64_t n = 0; n < N; ++n) grad.dh0[state_index + n] = adjoint[n];
      }
    }
  }
}

template <typename T>
void selective_scan_decay_cpu(const ScanInputs<T>& in, T* decay, ScanShape shape, ScanOptions options) {
  for (int64_t b = 0; b < shape.batch; ++b) {
    for (int64_t d = 0; d < shape.channels; ++d) {
      const Row<T> row{in, shape, options, b, d};
      T dt_sum = 0;
      for (int64_t t = 0; t < shape.length; ++t) dt_sum += row.dt(t);
      for (int64_t n = 0; n < shape.state; ++n) decay[(b * shape.channels + d) * shape.state + n] = std::exp(row.A(n) * dt_sum);
    }
  }
}

#define SPINDLE_INSTANTIATE(T)                                                                                      \
  template void selective_scan_forward_cpu<T>(const ScanInputs<T>&, T*, T*, ScanShape, ScanOptions);                \
  template void selective_scan_backward_cpu<T>(const ScanInputs<T>&, const T*, const T*, const ScanGradients<T>&,   \
                                               ScanShape, ScanOptions);                                             \
  template void selective_scan_decay_cpu<T>(const ScanInputs<T>&, T*, ScanShape, ScanOptions);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(double)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
