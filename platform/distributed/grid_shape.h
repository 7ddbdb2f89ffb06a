// The shape of the process grid: `data` data-parallel replicas, each a ring of `sequence`
// ranks that share one sequence, and how gradients are summed over it. Read from a
// training config:
//
//   parallel: {sequence: 4, data: 2}     # 8 ranks; absent keys are 1
//   parallel: {data: 4, gradient_bucket_mib: 50}   # gradient sums in buckets of <= 50 MiB
#pragma once

#include <string>

#include "platform/config.h"

namespace spindle {

struct GridShape {
  int sequence = 1;
  int data = 1;
  std::string where = "parallel";  // the config location, for errors ("train.yaml:4: parallel")
  // Gradients are summed over the world in buckets of at most this many MiB, each started
  // as soon as backward has finished it (GradientBuckets; 25, as PyTorch DDP's default).
  int64_t gradient_bucket_mib = 25;

  int64_t ranks() const { return int64_t{sequence} * data; }
  // "{sequence: 4, data: 2}"
  std::string str() const;
};

// The optional `parallel` section of `config` (each key an integer >= 1; sequence and data
// default to 1, gradient_bucket_mib to 25).
GridShape read_grid_shape(const ConfigMap& config);

}  // namespace spindle
