// Elementwise activations, forward and backward, over n contiguous elements:
//   silu:      y = x * sigmoid(x)                         dy/dx = s * (1 + x * (1 - s)),  s = sigmoid(x)
//   softplus:  y = log(1 + exp(x)), y = x when x > 20      dy/dx = sigmoid(x), 1 when x > 20
//              (PyTorch's threshold 20 with beta 1)
//   gelu_tanh: y = x/2 * (1 + tanh(k * (x + 0.044715 x^3))),  k = sqrt(2/pi)  (PyTorch approximate="tanh")
//   gelu_erf:  y = x/2 * (1 + erf(x / sqrt(2)))           dy/dx = Phi(x) + x * phi(x)
//   negative_exp: y = -exp(x)                             dy/dx = -exp(x)
//              (Mamba's state matrix from its parameter: A = -exp(A_log))
// Forward writes y; backward writes dx = dy * dy/dx(x) (x is the forward's input).
// The formulas below are shared by the CPU reference and the CUDA kernels.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

enum class Activation { silu, softplus, gelu_tanh, gelu_erf, negative_exp };

inline constexpr double kSoftplusThreshold = 20.0;

template <typename T>
SPINDLE_HOST_DEVICE T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
SPINDLE_HOST_DEVICE T activation_value(Activation kind, T x) {
  constexpr T kSqrtTwoOverPi = T(0.79788456080286535587989211986876);
  constexpr T kInvSqrtTwo = T(0.70710678118654752440084436210485);
  switch (kind) {
    case Activation::silu: return x * sigmoid(x);
    case Activation::softplus: return x > T(kSoftplusThreshold) ? x : std::log1p(std::exp(x));
    case Activation::gelu_tanh: return T(0.5) * x * (T(1) + std::tanh(kSqrtTwoOverPi * (x + T(0.044715) * x * x * x)));
    case Activation::gelu_erf: return T(0.5) * x * (T(1) + std::erf(x * kInvSqrtTwo));
    case Activation::negative_exp: return -std::exp(x);
  }
  return x;
}

template <typename T>
SPINDLE_HOST_DEVICE T activation_derivative(Activation kind, T x) {
  constexpr T kSqrtTwoOverPi = T(0.79788456080286535587989211986876);
  constexpr T kInvSqrtTwo = T(0.70710678118654752440084436210485);
  constexpr T kInvSqrtTwoPi = T(0.39894228040143267793994605993438);
  switch (kind) {
    case Activation::silu: {
      const T s = sigmoid(x);
      return s * (T(1) + x * (T(1) - s));
    }
    case Activation::softplus: return x > T(kSoftplusThreshold) ? T(1) : sigmoid(x);
    case Activation::gelu_tanh: {
      const T t = std::tanh(kSqrtTwoOverPi * (x + T(0.044715) * x * x * x));
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * kSqrtTwoOverPi * (T(1) + T(3 * 0.044715) * x * x);
    }
    case Activation::gelu_erf: return T(0.5) * (T(1) + std::erf(x * kInvSqrtTwo)) + x * kInvSqrtTwoPi * std::exp(T(-0.5) * x * x);
    case Activation::negative_exp: return -std::exp(x);
  }
  return T(1);
}

// CPU reference; T is float or double.
template <typename T>
void activation_forward_cpu(const T* x, T* y, int64_t n, Activation kind);
template <typename T>
void activation_backward_cpu(const T* x, const T* dy, T* dx, int64_t n, Activation kind);

#if SPINDLE_WITH_CUDA
// T is float or bfloat16 (computed in float).
template <typename T>
void activation_forward_cuda(const T* x, T* y, int64_t n, Activation kind, cudaStream_t stream);
template <typename T>
void activation_backward_cuda(const T* x, const T* dy, T* dx, int64_t n, Activation kind, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
