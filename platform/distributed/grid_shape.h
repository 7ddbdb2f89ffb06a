// The shape of the process grid: `data` data-parallel replicas, each a ring of `sequence`
// ranks that share one sequence. Read from a training config:
//
//   parallel: {sequence: 4, data: 2}     # 8 ranks; absent keys are 1
#pragma once

#include <string>

#include "platform/config.h"

namespace spindle {

struct GridShape {
  int sequence = 1;
  int data = 1;
  std::string where = "parallel";  // the config location, for errors ("train.yaml:4: parallel")

  int64_t ranks() const { return int64_t{sequence} * data; }
  // "{sequence: 4, data: 2}"
  std::string str() const;
};

// The optional `parallel` section of `config` (each key an integer >= 1, default 1).
GridShape read_grid_shape(const ConfigMap& config);

}  // namespace spindle
