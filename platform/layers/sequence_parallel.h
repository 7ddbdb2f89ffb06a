// Sequence parallelism: a batch whose rows are cut over the ranks of a ring, each rank
// holding one contiguous slice of every row (ring_slice, platform/distributed/sequence_slice.h).
// Everything in Caduceus is position-wise except two steps of the Mamba block, and this
// file carries those two across slice boundaries:
//
// - The causal convolution reads the width-1 inputs before the slice: a halo from the
//   neighbour rank (its gradient goes back the same way).
// - The selective scan's state flows through the whole row. Each rank scans its slice from
//   a zero state, which gives the state the slice reaches on its own, and takes the slice's
//   decay from its dt sum (the state entering the slice leaves it multiplied by
//   exp(A sum dt)). One all-gather of these (batch x channels x state) pairs, a fold where
//   they are (ops::ring_fold: no host round trip), and every rank has its slice's true
//   initial state and scans again from it. Backward mirrors this: the gradient of each
//   slice's initial state with nothing after it, one all-gather, a fold from the other end
//   of the row, and the backward scan again with the true gradient of the final state. The
//   bytes exchanged per layer do not depend on the length. Each scan runs in two calls (the
//   ops' _begin / _finish pairs, which on CUDA let the second scan reuse the first's chunk
//   summaries): the first starts the all-gather and returns, so that the caller can compute
//   something else (BiMamba: the other direction) while the summaries travel.
//
// A row's positions run in ring order (rank 0 holds its start) or against it: Caduceus-PS
// keeps its reverse-complement half in RC coordinates, and BiMamba's reverse direction
// flips every slice, so for those rows the preceding positions are on the next rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/ops/selective_scan.h"

namespace spindle {

struct SequenceParallel {
  Communicator* ring = nullptr;  // the ranks sharing these rows, slices in ring-rank order
  std::vector<bool> reversed;    // per batch row: its positions run against ring order

  // The same rows flipped along their length (each slice flipped in place).
  SequenceParallel flipped() const;
  // The ring rank holding the positions just before / after this rank's slice of `row`
  // in the row's own order; -1 at the row's start / end.
  int before(int64_t row) const;
  int after(int64_t row) const;
};

// Collective over the ring: every rank passes its slice's `length`; each slice must be at
// least `min_length` long and every rank must hold the same rows. Throws the same
// spindle::Error (naming `where`) on every rank otherwise, so that no rank waits for a
// collective the others never reach.
void check_slices(const SequenceParallel& sp, int64_t length, int64_t min_length, const std::string& where);

// The causal convolution's context (batch, channels, width-1) of x's slice: the last
// width-1 inputs of each row's preceding slice, zero at the row's start. x is (batch,
// channels, length) with length >= width-1 on every rank. Undefined for width 1.
Tensor conv_halo(const Tensor& x, int width, const SequenceParallel& sp, const Stream* stream = nullptr);
// The convolution backward's dcontext goes to the ranks that supplied the context:
// each rank adds its neighbours' dcontext to the last width-1 positions of dx.
void return_conv_halo_gradient(const Tensor& dcontext, Tensor& dx, const SequenceParallel& sp,
                               const Stream* stream = nullptr);

// What the backward scan needs from the forward.
struct ShardedScanState {
  Tensor h0;         // this slice's true initial state (batch, channels, state), A's dtype and device
  Tensor summaries;  // every rank's (reached state, decay): (ring size, 2 x batch x channels x state), as h0
  Tensor scan_states;  // the scan's saved states when asked for (ops::selective_scan_saved_shape)
};

// A sharded scan between its two calls: this rank's summary on its way to the others.
struct ShardedScanInFlight {
  ops::ScanExchange scan;     // the first pass's work for the second
  Tensor gathered;            // every rank's summary, once `gather` is complete
  PendingCollective gather;   // completed by the second call
  Tensor scan_states;         // forward: where the second call saves the scan's states, if asked
};

// Mamba's scan (softplus, forward direction) of this rank's slices, in two calls on the same
// arguments and stream. The first scans them from zero and starts the all-gather of their
// summaries (in.h0 must be null); the second folds the summaries into each slice's true
// initial state and writes out as the scan of the whole rows would. save_states (CUDA):
// keep the scan's saved states for the backward. Every rank makes the calls in the same
// order as the others.
ShardedScanInFlight start_sharded_scan_forward(const ops::ScanTensors& in, const Tensor& out,
                                               const SequenceParallel& sp, bool save_states,
                                               const Stream* stream = nullptr);
ShardedScanState finish_sharded_scan_forward(ShardedScanInFlight& flight, const ops::ScanTensors& in, Tensor& out,
                                             const SequenceParallel& sp, const Stream* stream = nullptr);
// Its backward, in two calls on the same arguments and stream (the first starts the
// all-gather of each slice's initial-state gradient): the second writes and accumulates
// grad as ops::selective_scan_backward of the whole rows does (grad.dh0 must be null).
// `state` stays alive until the second call.
ShardedScanInFlight start_sharded_scan_backward(const ops::ScanTensors& in, const Tensor& dout,
                                                const ShardedScanState& state, const SequenceParallel& sp,
                                                const Stream* stream = nullptr);
void finish_sharded_scan_backward(ShardedScanInFlight& flight, const ops::ScanTensors& in, const Tensor& dout,
                                  const ops::ScanGradientTensors& grad, const ShardedScanState& state,
                                  const SequenceParallel& sp, const Stream* stream = nullptr);

}  // namespace spindle
