#include "platform/distributed/process_placement.h"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

#include "kernels/error.h"

namespace spindle {
namespace {

struct LauncherLocalRank {
  const char* variable;
  int value;
};

// The local rank the launcher announces, if any (see discover_placement for the order).
std::optional<LauncherLocalRank> launcher_local_rank() {
  for (const char* variable : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (const char* text = std::getenv(variable)) {
      char* end = nullptr;
      const long value = std::strtol(text, &end, 10);
      if (end != text && *end == '\0') return LauncherLocalRank{variable, static_cast<int>(value)};
    }
  }
  return std::nullopt;
}

}  // namespace

ProcessPlacement discover_placement() {
  ProcessPlacement placement;
  MPI_Comm_rank(MPI_COMM_WORLD, &placement.world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &placement.world_size);
  MPI_Comm host_group = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, placement.world_rank, MPI_INFO_NULL, &host_group);
  MPI_Comm_rank(host_group, &placement.local_rank);
  MPI_Comm_size(host_group, &placement.local_size);
  MPI_Comm_free(&host_group);
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  placement.host.assign(name, static_cast<size_t>(length));

  if (const auto announced = launcher_local_rank(); announced && announced->value != placement.local_rank) {
    spdlog::warn("rank {} on {}: {}={} but MPI places this process at local rank {} of {}; using MPI's",
                 placement.world_rank, placement.host, announced->variable, announced->value, placement.local_rank,
                 placement.local_size);
  }
  return placement;
}

Device gpu_for_process(const ProcessPlacement& placement, int visible_gpus, const std::string& why_none) {
  // The host, not the rank: RankFailures names the failing ranks, and ranks of one host then share one message.
  const std::string where = "host " + placement.host;
  const std::string reason = why_none.empty() ? "" : " (" + why_none + ")";
  SPINDLE_CHECK(visible_gpus > 0, where, "no GPU visible to this process" + reason,
                "a GPU for each process (srun --gpus-per-task=1 or --gpus-per-node, CUDA_VISIBLE_DEVICES naming "
                "this host's GPUs), or device cpu");
  if (visible_gpus >= placement.local_size) return Device::cuda(placement.local_rank);
  if (visible_gpus == 1) return Device::cuda(0);
  throw Error(where,
              std::to_string(placement.local_size) + " process(es) on this host, " + std::to_string(visible_gpus) +
                  " GPU(s) visible to each",
              "at most one process per visible GPU (fewer ranks per node), or one GPU per process "
              "(CUDA_VISIBLE_DEVICES, srun --gpus-per-task=1)");
}

}  // namespace spindle
