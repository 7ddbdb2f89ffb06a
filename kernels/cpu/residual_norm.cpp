#include <cmath>

#include "kernels/residual_norm.h"

namespace spindle::kernels {
namespace {

struct RowStats {
  double mean, rstd;  // mean is 0 for RMSNorm
};

template <typename T>
RowStats row_stats(const T* h, NormShape shape) {
  double mean = 0;
  if (shape.kind == NormKind::layer) {
    for (int64_t j = 0; j < shape.dim; ++j) mean += h[j];
    mean /= static_cast<double>(shape.dim);
  }
  double spread = 0;
  for (int64_t j = 0; j < shape.dim; ++j) spread += (h[j] - mean) * (h[j] - mean);
  return {mean, 1.0 / std::sqrt(spread / static_cast<double>(shape.dim) + shape.eps)};
}

}  // namespace

template <typename T>
void residual_norm_forward_cpu(const T* x, const T* residual, const T* weight, const T* bias, T* y, T* residual_out,
                               NormShape shape) {
  for (int64_t r = 0; r < shape.rows; ++r) {
    const int64_t base = r * shape.dim;
    T* h = residual_out + base;
    for (int64_t j = 0; j < shape.dim; ++j) h[j] = x[base + j] + (residual ? residual[base + j] : T(0));
    const RowStats stats = row_stats(h, shape);
    for (int64_t j = 0; j < shape.dim; ++j) {
      const T xhat = static_cast<T>((h[j] - stats.mean) * stats.rstd);
      y[base + j] = xhat * weight[j] + (bias ? bias[j] : T(0));
    }
  }
}

template <typename T>
void residual_norm_backward_cpu(const T* residual_out, const T* weight, const T* dy,
                                const T* dresidual_out, T* dx, T* dresidual, T* dweight, T* dbias, NormShape shape) {
  const double n = static_cast<double>(shape.dim);
  for (int64_t r = 0; r < shape.rows; ++r) {
    const int64_t base = r * shape.dim;
    const T* h = residual_out + base;
    const RowStats stats = row_stats(h, shape);
    double mean_g = 0, mean_gx = 0;
    for (int64_t j = 0; j < shape.dim; ++j) {
      const double xhat = (h[j] - stats.mean) * stats.rstd;
      const double g = static_cast<double>(dy[base + j]) * weight[j];
      mean_g += g;
      mean_gx += g * xhat;
      dweight[j] += static_cast<T>(dy[base + j] * xhat);
      if (dbias) dbias[j] += dy[base + j];
    }
    mean_g = shape.kind == NormKind::layer ? mean_g / n : 0.0;
    mean_gx /= n;
    for (int64_t j = 0; j < shape.dim; ++j) {
      const double xhat = (h[j] - stats.mean) * stats.rstd;
      const double g = static_cast<double>(dy[base + j]) * weight[j];
      const double dh = stats.rstd * (g - mean_g - xhat * mean_gx) + (dresidual_out ? dresidual_out[base + j] : 0.0);
      dx[base + j] = static_cast<T>(dh);
      if (dresidual) dresidual[base + j] = static_cast<T>(dh);
    }
  }
}

template void residual_norm_forward_cpu<float>(const float*, const float*, const float*, const float*, float*, float*,
                                               NormShape);
template void residual_norm_forward_cpu<double>(const double*, const double*, const double*, const double*, double*,
                                                double*, NormShape);
template void residual_norm_backward_cpu<float>(const float*, const float*, const float*, const float*, float*, float*,
                                                float*, float*, NormShape);
template void residual_norm_backward_cpu<double>(const double*, const double*, const double*, const double*, double*,
                                                 double*, double*, double*, NormShape);

}  // namespace spindle::kernels
