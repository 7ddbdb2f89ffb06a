#include "platform/distributed/mpi_runtime.h"

#include <mpi.h>

#include <string>

#include "kernels/error.h"

namespace spindle {

MpiRuntime::MpiRuntime() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  SPINDLE_CHECK(!initialized && !finalized, "MpiRuntime", initialized ? "MPI is already initialized" : "MPI was finalized",
                "one MpiRuntime per process, made before any other use of MPI");
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw Error("MPI_Init_thread", "the MPI library provides thread level " + std::to_string(provided),
                "MPI_THREAD_FUNNELED (" + std::to_string(MPI_THREAD_FUNNELED) + ") or above");
  }
}

MpiRuntime::~MpiRuntime() { MPI_Finalize(); }

}  // namespace spindle
