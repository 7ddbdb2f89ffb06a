// Test driver: builds the process grid from a config file's `parallel` section, as a
// training job does, and prints each rank's place in it; on an error every rank prints
// the message and exits 1. tests/mpi/expect_every_rank_fails.sh runs it.
//   mpirun -np N grid_from_config CONFIG
#include <iostream>
#include <string>

#include "platform/config.h"
#include "platform/distributed/mpi_runtime.h"
#include "platform/distributed/process_grid.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: grid_from_config CONFIG\n";
    return 2;
  }
  spindle::MpiRuntime mpi;
  const auto world = spindle::MpiCommunicator::world();
  try {
    const spindle::ConfigFile config = spindle::ConfigFile::load(argv[1]);
    const spindle::GridShape shape = spindle::read_grid_shape(config.root());
    config.finish();
    const spindle::ProcessGrid grid = spindle::ProcessGrid::create(*world, shape, spindle::Device::cpu());
    // One write per line, so that the ranks' lines do not interleave.
    std::cout << "rank " + std::to_string(world->rank()) + ": ring " + std::to_string(grid.ring_index()) +
                     ", position " + std::to_string(grid.ring_position()) + "\n"
              << std::flush;
    return 0;
  } catch (const spindle::Error& e) {
    std::cerr << "rank " + std::to_string(world->rank()) + ": " + e.what() + "\n";
    return 1;
  }
}
