// Sharded Caduceus against the whole batch in one process, on any grid and device: the
// batch's rows are split over the data-parallel replicas and each replica's rows cut over
// its ring (ring_slice). Used by tests/mpi (CPU, MPI) and tests/gpu (CUDA, NCCL).
#pragma once

#include <vector>

#include "platform/distributed/process_grid.h"
#include "platform/models/caduceus_config.h"

namespace spindle::testing {

struct ShardingVariant {
  const char* name;
  bool rcps, fused_add_norm, rms_norm, recompute;
};
// Ph; PS; PS with the unfused add + LayerNorm and activation recomputation.
extern const std::vector<ShardingVariant> kShardingVariants;

// The variant's model: 2 layers, d_model 8, d_state 4, d_conv 4.
CaduceusConfig sharding_config(const ShardingVariant& variant);

// For sequences of 13 and 29 positions in a batch of 2 rows: this rank's logits and last
// hidden state, the loss (mean over every rank's masked positions) and every parameter
// gradient (summed over the grid's world by GradientBuckets during backward) are within
// `tolerance` (relative) of the whole batch's on one device. The grid's data size must
// divide 2. Prints rank 0's worst gradient error.
void expect_sharded_run_equals_whole(const ShardingVariant& variant, ProcessGrid& grid, double tolerance);

}  // namespace spindle::testing
