// Long convolution through the FFT, as in S4/Hyena: every (batch, channel) row of u is
// convolved with its channel's kernel over the whole sequence, plus a skip term D * u.
//
// Layout: u, y, du, dy are (batch, channels, length), row-major (time fastest); the kernels
// k_fwd, k_bwd and their gradients are (channels, length); D and dD are (channels).
// With L = length, for time t of channel c of batch entry b:
//   causal:        y[t] = sum_{s <= t} k_fwd[t - s] u[s]                              + D[c] u[t]
//   bidirectional: y[t] = sum_{s <= t} k_fwd[t - s] u[s] + sum_{s > t} k_bwd[s - t - 1] u[s] + D[c] u[t]
// The bidirectional form is S4's FFTConv with bidirectional=True: the two-sided kernel of
// length 2L, k2[j] = k_fwd[j] for j < L and k2[L + i] = k_bwd[L - 1 - i], is applied as
//   y = irfft(rfft(u, n=2L) * rfft(k2, n=2L), n=2L)[:L] + D u
// (the causal form has k2 = k_fwd padded with zeros). k_bwd[L - 1] never contributes, and
// its gradient is 0. D may be null (no skip term).
//
// Backward, for output gradient dy: du is WRITTEN, dk_fwd and dk_bwd are WRITTEN (the
// kernels are produced per call by a kernel generator upstream, which accumulates its own
// parameter gradients), dD is ACCUMULATED (+=). dk_fwd/dk_bwd are summed over the batch.
//   du  = irfft(conj(rfft(k2)) * rfft(dy, n=2L))[:L] + D dy
//   dk2 = irfft(sum_b conj(rfft(u_b)) * rfft(dy_b))   (dk_fwd = dk2[:L], dk_bwd[m] = dk2[2L-1-m])
//   dD += sum_{b,t} dy u
// Sizes are 64-bit: lengths of 2^22 and more with hundreds of channels are supported.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

// CUDA only: how the transforms are done (the result is the same up to rounding).
// - one_block: forward and backward, one thread block per row does the whole transform, the
//   product and the inverse in shared memory (L a power of two from 2^10 to 2^14);
// - own_rows: the forward's transform is split into a column pass and rows of 2,048 points,
//   which a kernel of spindle transforms fused with the product (L a power of two from 2^14 to
//   2^19); the backward transforms whole 2L-point rows with cuFFT;
// - cufft_rows: the forward split the same way, its rows transformed by cuFFT and the product
//   a pass of its own; the backward as for own_rows (any length);
// - automatic: the first of these that the length supports.
enum class FftConvPath { automatic, one_block, own_rows, cufft_rows };

inline bool fft_conv_path_supported(FftConvPath path, int64_t length) {
  const bool power_of_two = length > 0 && (length & (length - 1)) == 0;
  switch (path) {
    case FftConvPath::one_block: return power_of_two && length >= (1 << 10) && length <= (1 << 14);
    case FftConvPath::own_rows: return power_of_two && length >= (1 << 14) && length <= (1 << 19);
    default: return true;
  }
}

// The path's name as the bench and error messages spell it ("one_block", ...).
inline const char* fft_conv_path_name(FftConvPath path) {
  switch (path) {
    case FftConvPath::one_block: return "one_block";
    case FftConvPath::own_rows: return "own_rows";
    case FftConvPath::cufft_rows: return "cufft_rows";
    default: return "automatic";
  }
}

struct FftConvShape {
  int64_t batch = 0, channels = 0, length = 0;
  bool bidirectional = false;  // k_bwd is used (and must be given) only when true
  // CUDA only: channels transformed together (their scratch at once); 0 chooses chunks of at
  // most about 4 GiB of scratch. The result does not depend on it.
  int64_t channels_per_chunk = 0;
  FftConvPath path = FftConvPath::automatic;  // CUDA only; the result does not depend on it
};

// The CUDA path for `shape` (FftConvPath::automatic resolved).
inline FftConvPath fft_conv_path(const FftConvShape& shape) {
  if (shape.path != FftConvPath::automatic) return shape.path;
  if (fft_conv_path_supported(FftConvPath::one_block, shape.length)) return FftConvPath::one_block;
  if (fft_conv_path_supported(FftConvPath::own_rows, shape.length)) return FftConvPath::own_rows;
  return FftConvPath::cufft_rows;
}

// CPU reference with FFTW (double for T = double, single for T = float).
template <typename T>
void fft_conv_forward_cpu(const T* u, const T* k_fwd, const T* k_bwd, const T* D, T* y, FftConvShape shape);
template <typename T>
void fft_conv_backward_cpu(const T* u, const T* k_fwd, const T* k_bwd, const T* D, const T* dy, T* du, T* dk_fwd,
                           T* dk_bwd, T* dD, FftConvShape shape);

#if SPINDLE_WITH_CUDA
// On the current device, with cuFFT and kernels of spindle. Activations T are float or
// bfloat16; kernels, D and their gradients are float; the FFTs and all arithmetic are
// float32. Channels are processed in chunks (FftConvShape::channels_per_chunk) and
// transformed in pairs, two real rows as the real and imaginary parts of one complex row (a
// complex transform does the work of two real ones without cuFFT's real-to-complex pre- and
// post-processing passes). Spectra are multiplied by the kernel's spectrum plus D (the skip
// term as a lag-0 kernel), each packed pair separated into its two channels' spectra at f
// and 2L - f and packed again.
// - one_block (FftConvPath), no workspace: the forward is one kernel, each block an
//   activation row packed with its channel's kernel; the backward two, du the same way (dy
//   packed with the kernel) and the kernel gradient one block per channel (dy and u packed,
//   the batch summed in order in shared memory).
// - Backward otherwise, per chunk: one kernel packs every input row pair into a dense complex
//   row of 2L values, zero-padded (converting bf16 and building the two-sided kernels); one
//   batched complex cuFFT transforms them all; one kernel forms both gradient spectra and the
//   batch sum; one batched inverse transforms back; kernels crop to L, unpack and convert.
// - Forward otherwise, per chunk: the transforms are split (n = s m). A column pass packs
//   and pads the rows and does the s-point side; the m-point rows are then cuFFT's, with the
//   product a pass between, or (own_rows) one kernel's, which transforms, multiplies and
//   transforms back in shared memory; an inverse column pass crops, unpacks and converts.
// The backward's rows move 4 elements per access when L is a multiple of 4 and the pointers
// are 16-byte aligned.
// `workspace` is device memory of at least fft_conv_*_workspace_bytes(shape) bytes,
// 256-byte aligned (spectra, padded rows and the cuFFT work area of one chunk), not used by
// anything else until the stream has run the call; the size query makes the cuFFT plans.
// Plans are made once per (device, transform length, batch count) and reused
// (kernels/cuda/fft_plan_cache.h).
size_t fft_conv_forward_workspace_bytes(FftConvShape shape);
size_t fft_conv_backward_workspace_bytes(FftConvShape shape);

template <typename T>
void fft_conv_forward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, T* y,
                           FftConvShape shape, void* workspace, cudaStream_t stream);
template <typename T>
void fft_conv_backward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, const T* dy, T* du,
                            float* dk_fwd, float* dk_bwd, float* dD, FftConvShape shape, void* workspace,
                            cudaStream_t stream);
#endif

}  // namespace spindle::kernels
