// Cases run on any Communicator: MPI on host tensors (tests/mpi), NCCL on CUDA tensors
// (tests/gpu). Every rank's input is drawn from a seed that names the rank, so each rank
// computes every expectation locally. Each case makes the same calls on every rank.
#pragma once

#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/distributed/process_grid.h"

namespace spindle::testing {

// One element, odd rows and columns, empty, and more than a million elements.
extern const std::vector<Shape> kAwkwardShapes;
// Relative tolerance of a sum over the ranks: f64 and f32 round once per addition; bf16
// (NCCL) keeps 8 bits per partial sum.
double sum_tolerance(DType dtype);

// Sum within `tolerance` (relative) of the f64 sum of every rank's input.
void expect_all_reduce_sum(Communicator& comm, DType dtype, const Shape& shape, double tolerance);
// One start_all_reduce_sum per awkward shape, all in flight while a blocking all_reduce_sum
// runs, waited for in reverse order: each within `tolerance` of the f64 sum.
void expect_started_all_reduce_sums(Communicator& comm, DType dtype, double tolerance);
// Pieces in rank order, exactly; once into a separate tensor, once in place; each by
// all_gather and by start_all_gather (a blocking all-reduce runs while it is in flight).
void expect_all_gather(Communicator& comm, DType dtype, const Shape& piece_shape);
// From every root in turn; the other ranks' tensors start as NaN.
void expect_broadcast_from_every_root(Communicator& comm, DType dtype, const Shape& shape);
// One exchange: send to the next rank and to the previous one, receive from both (the
// halo exchange of both scan directions).
void expect_ring_shift_both_ways(Communicator& comm, DType dtype, const Shape& shape);
// Rank 0 sends, the last rank receives (needs two ranks or more).
void expect_send_from_first_to_last(Communicator& comm, DType dtype, const Shape& shape);
// Ranks reach the barrier at different times; after it, every rank's file exists.
void expect_barrier_waits_for_every_rank(Communicator& comm);
// Measuring: off, nothing is measured; on, a rank that waits in an all-reduce (blocking, and
// a started one's wait) for the last rank, which arrives 200 ms late, measures at least 150
// ms of each, and the late rank much less; take_measured_ms starts again from zero.
void expect_measured_time_holds_the_wait_for_a_late_rank(Communicator& comm);
// Bad tensors, peers and roots are refused with an error naming the call and argument.
void expect_argument_errors(Communicator& comm);

// Ring and data-group membership of `grid` (world rank w: ring w / S, position w % S),
// on the grid's device and on the host.
void expect_grid_membership(ProcessGrid& grid, int world_rank, int world_size);

}  // namespace spindle::testing
