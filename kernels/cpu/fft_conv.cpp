#include <fftw3.h>

#include <complex>
#include <mutex>
#include <vector>

#include "kernels/fft_conv.h"

namespace spindle::kernels {
namespace {

// FFTW's single- and double-precision interfaces under one name.
template <typename T> struct Fftw;
template <> struct Fftw<double> {
  using Plan = fftw_plan;
  static double* real(size_t n) { return fftw_alloc_real(n); }
  static fftw_complex* complex(size_t n) { return fftw_alloc_complex(n); }
  static Plan r2c(int n, double* in, fftw_complex* out) { return fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE); }
  static Plan c2r(int n, fftw_complex* in, double* out) { return fftw_plan_dft_c2r_1d(n, in, out, FFTW_ESTIMATE); }
  static void execute(Plan plan) { fftw_execute(plan); }
  static void destroy(Plan plan) { fftw_destroy_plan(plan); }
  static void free(void* p) { fftw_free(p); }
};
template <> struct Fftw<float> {
  using Plan = fftwf_plan;
  static float* real(size_t n) { return fftwf_alloc_real(n); }
  static fftwf_complex* complex(size_t n) { return fftwf_alloc_complex(n); }
  static Plan r2c(int n, float* in, fftwf_complex* out) { return fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE); }
  static Plan c2r(int n, fftwf_complex* in, float* out) { return fftwf_plan_dft_c2r_1d(n, in, out, FFTW_ESTIMATE); }
  static void execute(Plan plan) { fftwf_execute(plan); }
  static void destroy(Plan plan) { fftwf_destroy_plan(plan); }
  static void free(void* p) { fftwf_free(p); }
};

// FFTW's planner is not thread-safe; plans are made and destroyed under this lock.
std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Real transforms of one row of length n = 2L (the sequence padded with zeros to twice its
// length, so that the circular convolution of length n equals the linear one on [0, L)).
template <typename T>
class RowTransform {
 public:
  using Complex = std::complex<T>;

  explicit RowTransform(int64_t length)
      : n_(2 * length), real_(Fftw<T>::real(n_)), spectrum_(Fftw<T>::complex(bins())) {
    const std::lock_guard lock(planner_mutex());
    forward_ = Fftw<T>::r2c(static_cast<int>(n_), real_, spectrum_);
    inverse_ = Fftw<T>::c2r(static_cast<int>(n_), spectrum_, real_);
  }
  ~RowTransform() {
    const std::lock_guard lock(planner_mutex());
    Fftw<T>::destroy(forward_);
    Fftw<T>::destroy(inverse_);
    Fftw<T>::free(real_);
    Fftw<T>::free(spectrum_);
  }
  RowTransform(const RowTransform&) = delete;
  RowTransform& operator=(const RowTransform&) = delete;

  int64_t bins() const { return n_ / 2 + 1; }

  // rfft(row padded with zeros to n); `row` holds `count` values (L, or n for a two-sided kernel).
  std::vector<Complex> forward(const T* row, int64_t count) {
    for (int64_t t = 0; t < n_; ++t) real_[t] = t < count ? row[t] : T(0);
    Fftw<T>::execute(forward_);
    const Complex* out = reinterpret_cast<const Complex*>(spectrum_);
    return std::vector<Complex>(out, out + bins());
  }

  // irfft(spectrum, n), normalized (FFTW's inverse is unnormalized); n values.
  const T* inverse(const std::vector<Complex>& spectrum) {
    Complex* in = reinterpret_cast<Complex*>(spectrum_);
    for (int64_t f = 0; f < bins(); ++f) in[f] = spectrum[f];
    Fftw<T>::execute(inverse_);
    const T scale = T(1) / static_cast<T>(n_);
    for (int64_t t = 0; t < n_; ++t) real_[t] *= scale;
    return real_;
  }

 private:
  int64_t n_;
  T* real_;
  decltype(Fftw<T>::complex(0)) spectrum_;
  typename Fftw<T>::Plan forward_{}, inverse_{};
};

// The two-sided kernel k2 (2L values) of channel c; see kernels/fft_conv.h.
template <typename T>
std::vector<T> two_sided_kernel(const T* k_fwd, const T* k_bwd, int64_t c, FftConvShape shape) {
  const int64_t L = shape.length;
  std::vector<T> k2(static_cast<size_t>(2 * L), T(0));
  for (int64_t j = 0; j < L; ++j) k2[j] = k_fwd[c * L + j];
  if (shape.bidirectional) {
    for (int64_t i = 0; i < L; ++i) k2[L + i] = k_bwd[c * L + L - 1 - i];
  }
  return k2;
}

}  // namespace

template <typename T>
void fft_conv_forward_cpu(const T* u, const T* k_fwd, const T* k_bwd, const T* D, T* y, FftConvShape shape) {
  const int64_t L = shape.length;
  if (L == 0) return;
  RowTransform<T> fft(L);
  for (int64_t c = 0; c < shape.channels; ++c) {
    const std::vector<T> k2 = two_sided_kernel(k_fwd, k_bwd, c, shape);
    const auto kernel_spectrum = fft.forward(k2.data(), 2 * L);
    for (int64_t b = 0; b < shape.batch; ++b) {
      const int64_t row = (b * shape.channels + c) * L;
      auto spectrum = fft.forward(u + row, L);
      for (int64_t f = 0; f < fft.bins(); ++f) spectrum[f] *= kernel_spectrum[f];
      const T* conv = fft.inverse(spectrum);
      for (int64_t t = 0; t < L; ++t) y[row + t] = conv[t] + (D ? D[c] * u[row + t] : T(0));
    }
  }
}

template <typename T>
void fft_conv_backward_cpu(const T* u, const T* k_fwd, const T* k_bwd, const T* D, const T* dy, T* du, T* dk_fwd,
                           T* dk_bwd, T* dD, FftConvShape shape) {
  const int64_t L = shape.length;
  if (L == 0) return;
  RowTransform<T> fft(L);
  for (int64_t c = 0; c < shape.channels; ++c) {
    const std::vector<T> k2 = two_sided_kernel(k_fwd, k_bwd, c, shape);
    const auto kernel_spectrum = fft.forward(k2.data(), 2 * L);
    std::vector<std::complex<T>> kernel_gradient(static_cast<size_t>(fft.bins()));
    for (int64_t b = 0; b < shape.batch; ++b) {
      const int64_t row = (b * shape.channels + c) * L;
      const auto u_spectrum = fft.forward(u + row, L);
      auto dy_spectrum = fft.forward(dy + row, L);
      for (int64_t f = 0; f < fft.bins(); ++f) kernel_gradient[f] += std::conj(u_spectrum[f]) * dy_spectrum[f];
      for (int64_t f = 0; f < fft.bins(); ++f) dy_spectrum[f] *= std::conj(kernel_spectrum[f]);
      const T* correlation = fft.inverse(dy_spectrum);
      for (int64_t t = 0; t < L; ++t) du[row + t] = correlation[t] + (D ? D[c] * dy[row + t] : T(0));
      if (dD) {
        T sum = 0;
        for (int64_t t = 0; t < L; ++t) sum += dy[row + t] * u[row + t];
        dD[c] += sum;
      }
    }
    const T* dk2 = fft.inverse(kernel_gradient);
    for (int64_t j = 0; j < L; ++j) dk_fwd[c * L + j] = dk2[j];
    if (shape.bidirectional) {
      for (int64_t m = 0; m < L; ++m) dk_bwd[c * L + m] = dk2[2 * L - 1 - m];
    }
  }
}

template void fft_conv_forward_cpu<float>(const float*, const float*, const float*, const float*, float*,
                                          FftConvShape);
template void fft_conv_forward_cpu<double>(const double*, const double*, const double*, const double*, double*,
                                           FftConvShape);
template void fft_conv_backward_cpu<float>(const float*, const float*, const float*, const float*, const float*,
                                           float*, float*, float*, float*, FftConvShape);
template void fft_conv_backward_cpu<double>(const double*, const double*, const double*, const double*,
                                            const double*, double*, double*, double*, double*, FftConvShape);

}  // namespace spindle::kernels
