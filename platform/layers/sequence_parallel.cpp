#include "platform/layers/sequence_parallel.h"

#include <array>

#include "kernels/error.h"
#include "platform/ops/axpy.h"
#include "platform/ops/ring_fold.h"

namespace spindle {
namespace {

constexpr kernels::ScanOptions kMambaScan{.softplus = true, .reverse = false};

// Sends `tensor` to the ring neighbours that exist and returns what they sent:
// [0] from rank - 1, [1] from rank + 1 (undefined where there is none).
std::array<Tensor, 2> swap_with_neighbours(const Tensor& tensor, Communicator& ring, const Stream* stream) {
  std::array<Tensor, 2> received;
  std::vector<PeerTensor> sends, receives;
  const int neighbours[2] = {ring.rank() - 1, ring.rank() + 1};
  for (int side = 0; side < 2; ++side) {
    if (neighbours[side] < 0 || neighbours[side] >= ring.size()) continue;
    received[side] = Tensor::empty(tensor.shape(), tensor.dtype(), tensor.device(), stream);
    sends.push_back({tensor, neighbours[side]});
    receives.push_back({received[side], neighbours[side]});
  }
  ring.exchange(sends, receives, stream);
  return received;
}

// Row r of the result is row r of what neighbour `peer(r)` sent, or zero where peer(r) is -1.
template <typename Peer>
Tensor rows_from(const std::array<Tensor, 2>& received, const Tensor& like, Communicator& ring, Peer peer,
                 const Stream* stream) {
  Tensor out = Tensor::empty(like.shape(), like.dtype(), like.device(), stream);
  for (int64_t row = 0; row < out.size(0); ++row) {
    Tensor slot = out.slice(0, row, row + 1);
    const int from = peer(row);
    if (from < 0) {
      slot.set_zero(stream);
    } else {
      slot.copy_from(received[from < ring.rank() ? 0 : 1].slice(0, row, row + 1), stream);
    }
  }
  return out;
}

// Per row, the rank a fold starts from: the row's first slice in the row's own order
// (from_row_start: forward, the state entering this slice) or its last (backward, the
// gradient leaving it).
std::vector<int> fold_starts(const SequenceParallel& sp, bool from_row_start) {
  std::vector<int> starts;
  for (const bool reversed : sp.reversed) {
    const bool ring_order_start = from_row_start != reversed;
    starts.push_back(ring_order_start ? 0 : sp.ring->size() - 1);
  }
  return starts;
}

// Starts gathering `tensor` over the ring into flight.gathered: (ring size, tensor's
// elements), on its device.
void start_gather(const Tensor& tensor, Communicator& ring, ShardedScanInFlight& flight, const Stream* stream) {
  Shape shape = tensor.shape();
  shape[0] *= ring.size();
  Tensor whole = Tensor::empty(shape, tensor.dtype(), tensor.device(), stream);
  flight.gather = ring.start_all_gather(tensor, whole, stream);
  flight.gathered = whole.reshape({ring.size(), tensor.numel()});
}

// A (batch, channels, state) tensor as the (rows, width) that ring_fold writes.
Tensor as_rows(const Tensor& states) { return states.reshape({states.size(0), states.size(1) * states.size(2)}); }

}  // namespace

SequenceParallel SequenceParallel::flipped() const {
  SequenceParallel out = *this;
  out.reversed.flip();
  return out;
}

int SequenceParallel::before(int64_t row) const {
  const int neighbour = ring->rank() + (reversed[static_cast<size_t>(row)] ? 1 : -1);
  return neighbour >= 0 && neighbour < ring->size() ? neighbour : -1;
}

int SequenceParallel::after(int64_t row) const {
  const int neighbour = ring->rank() + (reversed[static_cast<size_t>(row)] ? -1 : 1);
  return neighbour >= 0 && neighbour < ring->size() ? neighbour : -1;
}

void check_slices(const SequenceParallel& sp, int64_t length, int64_t min_length, const std::string& where) {
  Communicator& ring = *sp.ring;
  const Tensor mine = Tensor::from_vector<int64_t>({static_cast<int64_t>(sp.reversed.size()), length}, {1, 2});
  Tensor all = Tensor::empty({ring.size(), 2}, DType::i64, ring.device());
  ring.all_gather(mine.to(ring.device()), all);
  const std::vector<int64_t> fields = all.to(Device::cpu()).to_vector<int64_t>();
  for (int rank = 0; rank < ring.size(); ++rank) {
    const int64_t rows = fields[2 * rank], slice = fields[2 * rank + 1];
    SPINDLE_CHECK(rows == fields[0], where,
                  "rank " + std::to_string(rank) + " of " + ring.name() + " holds " + std::to_string(rows) +
                      " rows, rank 0 " + std::to_string(fields[0]),
                  "the same rows on every rank of the ring (slices of one batch)");
    SPINDLE_CHECK(slice >= min_length, where,
                  "rank " + std::to_string(rank) + " of " + ring.name() + " holds " + std::to_string(slice) +
                      " positions of the sequence",
                  "at least " + std::to_string(min_length) + " per rank (the convolution's halo): a sequence of " +
                      "at least " + std::to_string(min_length) + " x " + std::to_string(ring.size()) + " positions");
  }
}

Tensor conv_halo(const Tensor& x, int width, const SequenceParallel& sp, const Stream* stream) {
  if (width == 1) return {};
  const int64_t halo = width - 1, length = x.size(2);
  SPINDLE_CHECK(length >= halo, "conv_halo", "a slice of " + std::to_string(length) + " positions",
                "at least width - 1 = " + std::to_string(halo));
  const Tensor tail = x.slice(-1, length - halo, length).contiguous(stream);
  const std::array<Tensor, 2> received = swap_with_neighbours(tail, *sp.ring, stream);
  return rows_from(received, tail, *sp.ring, [&](int64_t row) { return sp.before(row); }, stream);
}

void return_conv_halo_gradient(const Tensor& dcontext, Tensor& dx, const SequenceParallel& sp, const Stream* stream) {
  if (!dcontext.defined()) return;
  const int64_t halo = dcontext.size(2), length = dx.size(2);
  const std::array<Tensor, 2> received = swap_with_neighbours(dcontext, *sp.ring, stream);
  const Tensor incoming = rows_from(received, dcontext, *sp.ring, [&](int64_t row) { return sp.after(row); }, stream);
  Tensor tail_view = dx.slice(-1, length - halo, length);
  Tensor tail = tail_view.contiguous(stream);
  ops::axpy(1.0, incoming, tail, stream);
  tail_view.copy_from(tail, stream);
}

ShardedScanInFlight start_sharded_scan_forward(const ops::ScanTensors& in, const Tensor& out,
                                               const SequenceParallel& sp, bool save_states, const Stream* stream) {
  SPINDLE_CHECK(in.h0 == nullptr, "start_sharded_scan_forward", "an initial state h0",
                "none: the ranks' slices determine it");
  const Tensor& A = *in.A;
  const int64_t batch = in.u->size(0), channels = in.u->size(1), state = A.size(1);
  // [0]: the state this slice reaches from zero; [1]: its decay, exp(A * the slice's dt
  // sum), the state it would reach from a unit state with no input.
  Tensor summary = Tensor::empty({2, batch, channels, state}, A.dtype(), in.u->device(), stream);
  Tensor reached = summary.slice(0, 0, 1).reshape({batch, channels, state});
  Tensor decay = summary.slice(0, 1, 2).reshape({batch, channels, state});
  ShardedScanInFlight flight;
  if (save_states) {
    flight.scan_states = Tensor::empty(ops::selective_scan_saved_shape(in), DType::f32, A.device(), stream);
  }
  flight.scan = ops::selective_scan_forward_begin(in, reached, decay, out, kMambaScan, stream,
                                                  flight.scan_states.defined() ? &flight.scan_states : nullptr);
  start_gather(summary, *sp.ring, flight, stream);
  return flight;
}

ShardedScanState finish_sharded_scan_forward(ShardedScanInFlight& flight, const ops::ScanTensors& in, Tensor& out,
                                             const SequenceParallel& sp, const Stream* stream) {
  const Tensor& A = *in.A;
  const int64_t batch = in.u->size(0), channels = in.u->size(1), state = A.size(1), per_rank = batch * channels * state;
  ShardedScanState saved;
  saved.h0 = Tensor::empty({batch, channels, state}, A.dtype(), A.device(), stream);
  flight.gather.wait();
  saved.summaries = flight.gathered;
  Tensor h0_rows = as_rows(saved.h0);
  ops::ring_fold(saved.summaries.slice(1, 0, per_rank), saved.summaries.slice(1, per_rank, 2 * per_rank),
                 fold_starts(sp, true), sp.ring->rank(), h0_rows, stream);
  ops::ScanTensors from_true_state = in;
  from_true_state.h0 = &saved.h0;
  saved.scan_states = flight.scan_states;
  ops::selective_scan_forward_finish(flight.scan, from_true_state, out, kMambaScan, stream,
                                     saved.scan_states.defined() ? &saved.scan_states : nullptr);
  return saved;
}

ShardedScanInFlight start_sharded_scan_backward(const ops::ScanTensors& in, const Tensor& dout,
                                                const ShardedScanState& state, const SequenceParallel& sp,
                                                const Stream* stream) {
  ops::ScanTensors from_true_state = in;
  from_true_state.h0 = &state.h0;
  // The gradient of this slice's initial state as if nothing after the slice used its final state.
  Tensor dh0 = Tensor::empty(state.h0.shape(), state.h0.dtype(), state.h0.device(), stream);
  ShardedScanInFlight flight;
  flight.scan = ops::selective_scan_backward_begin(from_true_state, dout, dh0, kMambaScan, stream,
                                                   state.scan_states.defined() ? &state.scan_states : nullptr);
  start_gather(dh0, *sp.ring, flight, stream);
  return flight;
}

void finish_sharded_scan_backward(ShardedScanInFlight& flight, const ops::ScanTensors& in, const Tensor& dout,
                                  const ops::ScanGradientTensors& grad, const ShardedScanState& state,
                                  const SequenceParallel& sp, const Stream* stream) {
  SPINDLE_CHECK(grad.dh0 == nullptr, "finish_sharded_scan_backward", "a gradient of h0 requested",
                "none: the initial state is not an input of the sharded scan");
  const Tensor& h0 = state.h0;
  const int64_t per_rank = h0.numel();
  // The true gradient of this slice's final state, from the later slices'.
  Tensor dh_final = Tensor::empty(h0.shape(), h0.dtype(), h0.device(), stream);
  Tensor dh_final_rows = as_rows(dh_final);
  flight.gather.wait();
  ops::ring_fold(flight.gathered, state.summaries.slice(1, per_rank, 2 * per_rank), fold_starts(sp, false),
                 sp.ring->rank(), dh_final_rows, stream);
  ops::ScanTensors from_true_state = in;
  from_true_state.h0 = &h0;
  ops::selective_scan_backward_finish(flight.scan, from_true_state, dout, dh_final, grad, kMambaScan, stream);
}

}  // namespace spindle
