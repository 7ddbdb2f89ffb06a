// Where this process sits in the job: its rank in the world and among the processes of
// its host, and the GPU it uses.
#pragma once

#include <string>

#include "platform/device.h"

namespace spindle {

struct ProcessPlacement {
  int world_rank = 0;
  int world_size = 1;
  int local_rank = 0;  // among the processes on this host, in world-rank order
  int local_size = 1;
  std::string host;
};

// Collective over the world (needs an MpiRuntime). Ranks and sizes come from MPI; the
// local rank from MPI_Comm_split_type(MPI_COMM_TYPE_SHARED). The launcher's own variable
// (OMPI_COMM_WORLD_LOCAL_RANK under Open MPI's mpirun, MPI_LOCALRANKID under MPICH's or
// Intel MPI's mpiexec, else SLURM_LOCALID under srun) is only a cross-check: a disagreement
// is logged as a warning and MPI's answer is used, because a Slurm variable seen by a
// process that mpirun started inside a batch job is stale (mpiexec's proxies, started by
// srun one per host, all pass on SLURM_LOCALID=0).
ProcessPlacement discover_placement();

// The GPU of this process among the `visible_gpus` its host shows it:
// - cuda:local_rank when the host shows every process all its GPUs (visible >= local_size);
// - cuda:0 when the launcher gave each process a GPU of its own (one visible, as with
//   `srun --gpus-per-task=1`; were it shared, NCCL refuses a GPU used by two ranks);
// - none visible: an error with `why_none` (cuda_device_count's reason), as fewer ranks
//   would not help;
// - otherwise an error saying how many processes and GPUs the host has.
Device gpu_for_process(const ProcessPlacement& placement, int visible_gpus, const std::string& why_none = "");

}  // namespace spindle
