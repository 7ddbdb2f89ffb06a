#include <cmath>
#include <vector>

#include "kernels/conv1d.h"

namespace spindle::kernels {
namespace {

// Input of channel row `x_row` at time t (negative: from the context row, or zero).
template <typename T>
T input_at(const T* x_row, const T* context_row, int64_t t, int width) {
  if (t >= 0) return x_row[t];
  return context_row ? context_row[t + width - 1] : T(0);
}

template <typename T>
T preactivation(const T* x_row, const T* context_row, const T* weight_row, T bias, int64_t t, int width) {
  T sum = bias;
  for (int k = 0; k < width; ++k) sum += weight_row[k] * input_at(x_row, context_row, t - (width - 1) + k, width);
  return sum;
}

template <typename T>
T sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

}  // namespace

template <typename T>
void causal_conv1d_forward_cpu(const T* x, const T* weight, const T* bias, const T* context, T* y, Conv1dShape shape,
                               bool silu) {
  const int w = shape.width;
  for (int64_t b = 0; b < shape.batch; ++b) {
    for (int64_t c = 0; c < shape.channels; ++c) {
      const int64_t row = b * shape.channels + c;
      const T* x_row = x + row * shape.length;
      const T* context_row = context ? context + row * (w - 1) : nullptr;
      for (int64_t t = 0; t < shape.length; ++t) {
        const T pre = preactivation(x_row, context_row, weight + c * w, bias ? bias[c] : T(0), t, w);
        y[row * shape.length + t] = silu ? pre * sigmoid(pre) : pre;
      }
    }
  }
}

template <typename T>
void causal_conv1d_backward_cpu(const T* x, const T* weight, const T* bias, const T* context, const T* dy, T* dx,
                                T* dweight, T* dbias, T* dcontext, Conv1dShape shape, bool silu) {
  const int w = shape.width;
  std::vector<T> dpre(static_cast<size_t>(shape.length));
  for (int64_t b = 0; b < shape.batch; ++b) {
    for (int64_t c = 0; c < shape.channels; ++c) {
      const int64_t row = b * shape.channels + c;
      const T* x_row = x + row * shape.length;
      const T* context_row = context ? context + row * (w - 1) : nullptr;
      const T* weight_row = weight + c * w;
      for (int64_t t = 0; t < shape.length; ++t) {
        T grad = dy[row * shape.length + t];
        if (silu) {
          const T pre = preactivation(x_row, context_row, weight_row, bias ? bias[c] : T(0), t, w);
          const T s = sigmoid(pre);
          grad *= s * (T(1) + pre * (T(1) - s));
        }
        dpre[t] = grad;
        if (dbias) dbias[c] += grad;
        for (int k = 0; k < w; ++k) dweight[c * w + k] += grad * input_at(x_row, context_row, t - (w - 1) + k, w);
      }
      // Input time s feeds outputs t = s + (w-1) - k.
      for (int64_t s = -(w - 1); s < shape.length; ++s) {
        T sum = 0;
        for (int k = 0; k < w; ++k) {
          const int64_t t = s + (w - 1) - k;
          if (t >= 0 && t < shape.length) sum += weight_row[k] * dpre[t];
        }
        if (s >= 0) {
          dx[row * shape.length + s] = sum;
        } else if (dcontext) {
          dcontext[row * (w - 1) + s + w - 1] = sum;
        }
      }
    }
  }
}

template void causal_conv1d_forward_cpu<float>(const float*, const float*, const float*, const float*, float*,
                                               Conv1dShape, bool);
template void causal_conv1d_forward_cpu<double>(const double*, const double*, const double*, const double*, double*,
                                                Conv1dShape, bool);
template void causal_conv1d_backward_cpu<float>(const float*, const float*, const float*, const float*, const float*,
                                                float*, float*, float*, float*, Conv1dShape, bool);
template void causal_conv1d_backward_cpu<double>(const double*, const double*, const double*, const double*,
                                                 const double*, double*, double*, double*, double*, Conv1dShape, bool);

}  // namespace spindle::kernels
