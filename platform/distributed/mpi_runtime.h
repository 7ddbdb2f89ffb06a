// MPI for this process, from start to end: one MpiRuntime, made in main before any
// communicator and outliving them all.
//
// Launch with what clusters already have: `mpirun -np N spindle ...`, or Slurm's
// `srun -n N spindle ...` (MPI_Init reaches Slurm through PMIx or PMI2). Without a
// launcher the process is a world of one (MPI singleton init), so the same binary runs
// alone unchanged. Ranks and sizes come from MPI (platform/distributed/process_placement.h).
//
// MPI's default error handler stays in place: a failing MPI call ends the whole job, so a
// failure on one rank cannot leave the others waiting in a collective.
#pragma once

namespace spindle {

class MpiRuntime {
 public:
  // MPI_Init_thread with MPI_THREAD_FUNNELED (only the main thread calls MPI; NCCL and
  // the data readers' threads never do). Throws if MPI is already initialized or finalized.
  MpiRuntime();
  // MPI_Finalize: every rank must get here (it synchronizes with the other ranks).
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;
};

}  // namespace spindle
