// Long convolution through the FFT (S4/Hyena), causal or bidirectional, with a skip term
// (kernels/fft_conv.h has the exact definition). u, y (batch, channels, length); kernels
// k_fwd, k_bwd (channels, length); D (channels).
// CPU: all f32 or all f64. CUDA: u, y, du, dy f32 or bf16; kernels, D and their gradients
// f32; the FFTs run in f32. Device scratch (spectra, cuFFT work area) comes from the
// stream-ordered pool per call; cuFFT plans are cached per (device, length, batch).
#pragma once

#include "kernels/fft_conv.h"
#include "platform/tensor.h"

namespace spindle::ops {

struct FftConvArgs {
  const Tensor* k_bwd = nullptr;  // (channels, length): given = bidirectional, null = causal
  const Tensor* D = nullptr;      // (channels) skip weights, or null (no skip term)
  int64_t channels_per_chunk = 0;  // CUDA scratch chunking (kernels/fft_conv.h); 0: automatic
  // CUDA: how the transforms are done (kernels/fft_conv.h); a path the length does not
  // support is refused.
  kernels::FftConvPath path = kernels::FftConvPath::automatic;
};

// y preallocated with u's shape and dtype.
void fft_conv_forward(const Tensor& u, const Tensor& k_fwd, Tensor& y, const FftConvArgs& args = {},
                      const Stream* stream = nullptr);

// du and dk_fwd (and dk_bwd, required when bidirectional) are WRITTEN; dD (if given; needs
// D) is ACCUMULATED (+=). dk_fwd and dk_bwd are summed over the batch.
void fft_conv_backward(const Tensor& u, const Tensor& k_fwd, const Tensor& dy, Tensor& du, Tensor& dk_fwd,
                       Tensor* dk_bwd, Tensor* dD, const FftConvArgs& args = {}, const Stream* stream = nullptr);

}  // namespace spindle::ops
