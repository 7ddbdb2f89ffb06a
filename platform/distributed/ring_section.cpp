#include "platform/distributed/ring_section.h"

#include <fmt/format.h>
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "kernels/error.h"

namespace spindle::ring_section_detail {
namespace {

struct WorldRank {
  int rank = 0, size = 1;
};

WorldRank world_rank() {
  WorldRank world;
  MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world.size);
  return world;
}

std::string message_in_flight() {
  try {
    throw;
  } catch (const Error& e) {
    spdlog::debug("raised at {}", e.raised_at());
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected error: ") + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

void before_section() {
  static int64_t sections = 0;  // sections (of groups of 2+ ranks) this process has entered
  ++sections;
  // Test only (tests/mpi/check_ring_failure_aborts.py): "RANK:N" throws in world rank RANK's N-th section.
  const char* plan = std::getenv("SPINDLE_TEST_RING_FAILURE");
  if (plan == nullptr) return;
  int rank = -1;
  long long section = 0;
  SPINDLE_CHECK(std::sscanf(plan, "%d:%lld", &rank, &section) == 2, "SPINDLE_TEST_RING_FAILURE",
                std::string("'") + plan + "'", "RANK:N (a test's fault injection)");
  if (rank == world_rank().rank && section == sections) {
    throw Error(fmt::format("ring section {} of rank {}", sections, rank),
                "failure injected by SPINDLE_TEST_RING_FAILURE (a test)");
  }
}

void abort_job(const Communicator& group, std::string_view task) {
  const std::string message = message_in_flight();
  const WorldRank world = world_rank();
  spdlog::error("{}: rank {} of {} failed: {}", task, world.rank, world.size, message);
  spdlog::error(
      "{}: ending the whole job (MPI_Abort): rank {} failed inside a section of {}, whose other ranks "
      "would otherwise wait for it forever",
      task, world.rank, group.name());
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return
}

}  // namespace spindle::ring_section_detail
