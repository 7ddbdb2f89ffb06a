// discover_placement's cross-check of MPI's local rank against the launcher's variable: no
// warning when the launcher agrees with MPI, whichever MPI's launcher started the job.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "platform/distributed/process_placement.h"

namespace spindle {
namespace {

// Sets (or, with nullopt, unsets) a variable for the test's lifetime.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedVariable() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// What discover_placement logs, at warning level and above.
std::string warnings_of_discover_placement() {
  std::ostringstream text;
  const auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
  capture->set_level(spdlog::level::warn);
  spdlog::set_default_logger(capture);
  discover_placement();
  spdlog::set_default_logger(previous);
  return text.str();
}

int mpi_local_rank() {
  const ScopedVariable ompi("OMPI_COMM_WORLD_LOCAL_RANK", std::nullopt), slurm("SLURM_LOCALID", std::nullopt),
      hydra("MPI_LOCALRANKID", std::nullopt);
  return discover_placement().local_rank;
}

// MPICH's and Intel MPI's mpiexec (Hydra) inside a Slurm job start one proxy per host
// through srun, so every rank inherits the proxy's SLURM_LOCALID=0; Hydra's own
// MPI_LOCALRANKID is the launcher's word on the local rank.
TEST(DiscoverPlacement, HydraLocalRankIsCheckedNotTheProxysStaleSlurmOne) {
  const int local_rank = mpi_local_rank();
  const ScopedVariable ompi("OMPI_COMM_WORLD_LOCAL_RANK", std::nullopt), slurm("SLURM_LOCALID", "0"),
      hydra("MPI_LOCALRANKID", std::to_string(local_rank));
  EXPECT_EQ(warnings_of_discover_placement(), "");
}

TEST(DiscoverPlacement, HydraLocalRankDisagreeingWithMpiIsAWarning) {
  const int local_rank = mpi_local_rank();
  const ScopedVariable ompi("OMPI_COMM_WORLD_LOCAL_RANK", std::nullopt), slurm("SLURM_LOCALID", std::nullopt),
      hydra("MPI_LOCALRANKID", std::to_string(local_rank + 1));
  EXPECT_NE(warnings_of_discover_placement().find("MPI_LOCALRANKID=" + std::to_string(local_rank + 1)),
            std::string::npos);
}

}  // namespace
}  // namespace spindle
