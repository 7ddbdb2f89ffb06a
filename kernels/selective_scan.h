// Selective scan (Mamba's S6), forward and backward.
//
// Layout (row-major): u, delta, z, out: (batch, channels, length); B, C: (batch, state,
// length) (one group: shared by all channels); A: (channels, state); D, delta_bias:
// (channels); h0, h_final: (batch, channels, state). channels is d_inner, state d_state.
// For channel d, state n, step t (0-based):
//   dt_t  = softplus(delta_t + delta_bias_d)       (or delta_t + delta_bias_d without softplus)
//   h_t   = exp(dt_t * A_dn) * h_prev + dt_t * B_nt * u_t,   h_prev of the first step = h0 (or 0)
//   y_t   = sum_n C_nt * h_t + D_d * u_t
//   out_t = y_t * silu(z_t)                         (or y_t without z)
// Forward direction: steps t = 0, 1, ..., length-1. Reverse direction (reverse = true): steps
// t = length-1, ..., 0, so h_prev of t is h_{t+1}; the input is not copied or flipped.
// h_final is the state after the last step (h_{length-1} forward, h_0 reverse): passing it as
// h0 of the next piece scans a sequence in pieces exactly as whole.
//
// Backward: du, ddelta, dB, dC, dz and dh0 are written; dA, dD and ddelta_bias are
// ACCUMULATED (+=, parameter gradients). dh_final (gradient of h_final) may be null (zero).
// Optional inputs (D, z, delta_bias, h0) may be null; their gradients must then be null too.
// CPU partial passes (the CPU reference of sequence parallelism's exchanging passes): a
// forward with out null computes h_final alone; a backward with du, ddelta, dA, dB, dC, dD,
// dz and ddelta_bias all null computes dh0 alone. The CUDA forward always writes out and the
// CUDA backward every gradient; its two-call exchanging passes below do the sharded work.
// Decay: the state the whole sequence reaches from a unit state with no input,
// decay_dn = exp(A_dn * sum_t dt_t) per (batch, channel, state), the other half of a
// sequence-parallel slice's summary; it depends on delta, A and delta_bias only, not on the
// direction.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

struct ScanShape {
  int64_t batch = 0, channels = 0, length = 0, state = 0;
  bool operator==(const ScanShape&) const = default;
};

struct ScanOptions {
  bool softplus = true;
  bool reverse = false;
  // CUDA forward (and the forward a backward without saved states runs): pieces of the
  // sequence scanned in parallel (0: chosen from the shape and the device; 1: one pass from
  // h0, no fold, except in the exchanging forward, which always runs phase 1 for the reached
  // state). Results agree to rounding for any value.
  int64_t forward_segments = 0;
};

// Activations (u, delta, B, C, z and their gradients) are of type T; parameters and states
// (A, D, delta_bias, h0 and theirs) of type P: one type on the CPU, float on CUDA.
template <typename T, typename P = T>
struct ScanInputs {
  const T* u = nullptr;
  const T* delta = nullptr;
  const P* A = nullptr;
  const T* B = nullptr;
  const T* C = nullptr;
  const P* D = nullptr;           // optional
  const T* z = nullptr;           // optional
  const P* delta_bias = nullptr;  // optional
  const P* h0 = nullptr;          // optional
};

template <typename T, typename P = T>
struct ScanGradients {
  T* du = nullptr;
  T* ddelta = nullptr;
  P* dA = nullptr;           // accumulated
  T* dB = nullptr;
  T* dC = nullptr;
  P* dD = nullptr;           // accumulated; null iff D is null
  T* dz = nullptr;           // null iff z is null
  P* ddelta_bias = nullptr;  // accumulated; null iff delta_bias is null
  P* dh0 = nullptr;          // optional
};

// CPU reference, T = float or double. Backward keeps one channel's states at a time
// (length x state values), never length x channels x state.
template <typename T>
void selective_scan_forward_cpu(const ScanInputs<T>& in, T* out, T* h_final, ScanShape shape, ScanOptions options);
template <typename T>
void selective_scan_backward_cpu(const ScanInputs<T>& in, const T* dout, const T* dh_final, const ScanGradients<T>& grad,
                                 ScanShape shape, ScanOptions options);
template <typename T>
void selective_scan_decay_cpu(const ScanInputs<T>& in, T* decay, ScanShape shape, ScanOptions options);

// The CUDA scan's chunk of steps (see below), and the chunks of a sequence.
inline constexpr int kScanChunk = 32;
SPINDLE_HOST_DEVICE int64_t selective_scan_chunks(int64_t length) { return (length + kScanChunk - 1) / kScanChunk; }

// Saved states (CUDA): a forward given `saved` writes there the state before every
// kScanSavedChunks-th chunk (steps 0, 128, 256, ... in scan order), f32, [batch][segment]
// [channel][state]; a backward given them starts its segments from them instead of running
// that forward again (without its output) first. The backward must get the inputs, h0 and
// options the saving forward had (only the shape is checked). They are a quarter of a bf16
// activation's size at d_state 16.
inline constexpr int kScanSavedChunks = 4;
SPINDLE_HOST_DEVICE int64_t selective_scan_saved_segments(int64_t length) {
  return (selective_scan_chunks(length) + kScanSavedChunks - 1) / kScanSavedChunks;
}
SPINDLE_HOST_DEVICE int64_t selective_scan_saved_floats(const ScanShape& shape) {
  return shape.batch * selective_scan_saved_segments(shape.length) * shape.channels * shape.state;
}

// What the CUDA exchanging passes' first call leaves for their second (below); outside
// CUDA builds only the type.
class ScanExchangeWork {
 public:
  virtual ~ScanExchangeWork() = default;
};

#if SPINDLE_WITH_CUDA
// CUDA: activations T (float or bfloat16); A, D, delta_bias and the states float.
template <typename T>
using ScanCudaInputs = ScanInputs<T, float>;
template <typename T>
using ScanCudaGradients = ScanGradients<T, float>;

// The sequence is cut into chunks of kScanChunk steps, and the forward groups consecutive
// chunks into segments, one thread block per segment and 64 channels walking its chunks in
// order (the next chunk's inputs load while the current one is scanned). Forward: per
// segment, the state each channel reaches from zero (phase 1); a fold over segments gives
// every segment's true start state (phase 2); each segment is rescanned from it to produce
// the output (phase 3), with the dt phase 1 computed (batch x channels x length floats of
// workspace). With one segment, phases 1-2 are skipped and phase 3 computes dt itself. Backward mirrors it over
// segments of kScanSavedChunks chunks: the adjoint over each segment from zero, a fold over
// segments, then each segment walked from the state the forward saved at its start to
// produce every gradient. Workspace (from the stream-ordered pool): float arrays of batch x
// chunks x channels x state at most, and in the backward the per-group dB/dC shares, batch
// x ceil(channels / 64) x 2 x state x length floats (plus the saved states when it
// recomputes them).
inline constexpr int kScanMaxState = 64;

// Blocks per multiprocessor that the current device holds of each of the scan's kernels for
// `state` states (bf16 activations), by the CUDA occupancy calculator. Registers and shared
// memory set them, and a change that costs blocks costs speed without failing a correctness
// test (docs/performance.md: session 9's backward regression); tests/gpu/
// test_scan_occupancy.cpp holds them to floors.
struct ScanOccupancy {
  int chunk_states = 0, fold = 0, chunk_outputs = 0, chunk_outputs_from_dt = 0, chunk_adjoints = 0,
      chunk_gradients = 0;
};
ScanOccupancy selective_scan_occupancy_cuda(int64_t state);

// saved (optional, selective_scan_saved_floats): written by the forward, read by the backward.
template <typename T>
void selective_scan_forward_cuda(const ScanCudaInputs<T>& in, T* out, float* h_final, float* saved, ScanShape shape,
                                 ScanOptions options, cudaStream_t stream);
template <typename T>
void selective_scan_backward_cuda(const ScanCudaInputs<T>& in, const T* dout, const float* dh_final,
                                  const float* saved, const ScanCudaGradients<T>& grad, ScanShape shape,
                                  ScanOptions options, cudaStream_t stream);
// A sequence-parallel piece's passes, each in two calls with the exchange between the ranks
// between them (see the ops header), so that the caller can compute something else while
// the exchange is in flight. The first call returns what the second needs (workspace
// ordered on `stream`); the second must get the same inputs, shape, options and stream.
// Forward: begin writes `reached` (the state the piece reaches from zero; in.h0 is not
// read) and `decay` (from the same fold: the product of the segments' exp(A x dt sum));
// finish, once in.h0 holds the true initial state, writes out (and saved) from it. Phase 1
// runs once for both: the fold for `reached` leaves the segment summaries in place for the
// second. Backward (in.h0: the forward's true initial state): begin writes dh0_alone (the
// initial state's gradient with a zero dh_final), finish the gradients as
// selective_scan_backward_cuda writes them from the true dh_final; the adjoint's chunk pass
// runs once for both, and a begin given no saved states runs the forward for them.
// ScanExchangeWork (above) is what the first call returns.
template <typename T>
std::unique_ptr<ScanExchangeWork> selective_scan_forward_begin_cuda(const ScanCudaInputs<T>& in, float* reached,
                                                                    float* decay, ScanShape shape,
                                                                    ScanOptions options, cudaStream_t stream);
template <typename T>
void selective_scan_forward_finish_cuda(ScanExchangeWork& work, const ScanCudaInputs<T>& in, T* out, float* saved,
                                        ScanShape shape, ScanOptions options, cudaStream_t stream);
template <typename T>
std::unique_ptr<ScanExchangeWork> selective_scan_backward_begin_cuda(const ScanCudaInputs<T>& in, const T* dout,
                                                                     float* dh0_alone, const float* saved,
                                                                     ScanShape shape, ScanOptions options,
                                                                     cudaStream_t stream);
template <typename T>
void selective_scan_backward_finish_cuda(ScanExchangeWork& work, const ScanCudaInputs<T>& in, const T* dout,
                                         const float* dh_final, const ScanCudaGradients<T>& grad, ScanShape shape,
                                         ScanOptions options, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
