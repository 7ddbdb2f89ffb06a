#include "pipelines/ring_scoring.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "platform/distributed/communicator.h"

namespace spindle {

GridShape sequence_parallel_grid(int sequence_parallel, int world_size) {
  const std::string world = std::to_string(world_size);
  SPINDLE_CHECK(sequence_parallel >= 1 && world_size % sequence_parallel == 0,
                "--sequence-parallel " + std::to_string(sequence_parallel),
                "rings of " + std::to_string(sequence_parallel) + " ranks do not divide the world of " + world +
                    " ranks (mpirun -np, srun -n)",
                "a divisor of the world size " + world);
  GridShape shape;
  shape.sequence = sequence_parallel;
  shape.data = world_size / sequence_parallel;
  shape.where = "--sequence-parallel";
  return shape;
}

void check_window_fits_ring(int64_t window, int ring_size, const CaduceusConfig& config) {
  const int64_t halo = config.min_slice_length();
  SPINDLE_CHECK(window / ring_size >= halo, "--window " + std::to_string(window),
                "too short for rings of " + std::to_string(ring_size) + " ranks (--sequence-parallel): a rank would hold " +
                    std::to_string(window / ring_size) + " bases",
                "at least " + std::to_string(halo) + " bases per rank (the model's convolution halo), a window of " +
                    std::to_string(halo * ring_size) + " or more");
}

int64_t ring_agreed_resume(Communicator& ring, int64_t resumed) {
  const Tensor mine = Tensor::from_vector<int64_t>({resumed}, {1});
  Tensor all = Tensor::empty({ring.size()}, DType::i64);
  ring.all_gather(mine, all);
  const std::vector<int64_t> counts = all.to_vector<int64_t>();
  return *std::min_element(counts.begin(), counts.end());
}

}  // namespace spindle
