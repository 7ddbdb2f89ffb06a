// How `spindle score-variants --sequence-parallel N` arranges its processes: rings of N
// consecutive ranks (ProcessGrid {sequence: N, data: world / N}). The rings split the
// steps as single processes do; within a ring every rank runs the same steps on its slice
// of every window (sequence_embedding.h assembles the outputs over the ring), so every rank
// of a ring ends with the same results and the ring leader (ring position 0) hands them on.
#pragma once

#include <cstdint>

#include "platform/distributed/grid_shape.h"
#include "platform/models/caduceus_config.h"

namespace spindle {

class Communicator;

// {sequence: sequence_parallel, data: world_size / sequence_parallel}. Throws, naming
// --sequence-parallel and the world size, when the rings do not divide the world: every
// rank reaches the same verdict, so none waits for another.
GridShape sequence_parallel_grid(int sequence_parallel, int world_size);

// Throws unless every rank of a ring of `ring_size` holds at least the convolution's halo
// (CaduceusConfig::min_slice_length() positions) of a `window`-base window, as Caduceus's sequence
// parallelism needs; the same verdict on every rank.
void check_window_fits_ring(int64_t window, int ring_size, const CaduceusConfig& config);

// The fewest of `resumed` over the ranks of `ring` (a host communicator): how many results
// every rank of the ring keeps from its progress file, so that all go on from the same step
// (a kill can leave one rank's file a step ahead of another's).
int64_t ring_agreed_resume(Communicator& ring, int64_t resumed);

}  // namespace spindle
