#include "platform/distributed/grid_shape.h"

namespace spindle {

std::string GridShape::str() const {
  return "{sequence: " + std::to_string(sequence) + ", data: " + std::to_string(data) + "}";
}

GridShape read_grid_shape(const ConfigMap& config) {
  constexpr IntRange kRanks{1, 1 << 20};
  const ConfigMap parallel = config.optional_map("parallel");
  GridShape shape;
  shape.sequence = static_cast<int>(parallel.integer("sequence", kRanks, 1));
  shape.data = static_cast<int>(parallel.integer("data", kRanks, 1));
  shape.gradient_bucket_mib = parallel.integer("gradient_bucket_mib", {1, 1 << 20}, shape.gradient_bucket_mib);
  shape.where = config.location("parallel");
  return shape;
}

}  // namespace spindle
