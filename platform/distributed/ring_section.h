// A ring section: the calls inside which the ranks of a sequence-parallel ring talk to each
// other (a Caduceus forward or backward, with its halo and scan-state exchanges). A rank
// that throws there leaves its partners waiting in the ring's next exchange, which nothing
// interrupts, and RankFailures cannot help (its check is a collective they never reach). So
// an exception that escapes a ring section of a ring of two or more ranks is logged on the
// failing rank ("<task>: rank 1 of 4 failed: <its message>", the text the error would have
// printed) and ends the whole job with MPI_Abort(MPI_COMM_WORLD, 1): every process exits
// non-zero (with NCCL, the processes holding the communicator too) instead of hanging.
// Without a ring (null, or a ring of one rank, as in a world of one) the work runs as it is
// and its exceptions propagate as usual. Failures between a job's steps stay RankFailures'.
//
//   const Tensor logits = run_ring_section(model.sequence_parallel(), "score-variants",
//                                          [&] { return embed_sequences(model, ...).logits; });
#pragma once

#include <string_view>
#include <utility>

#include "platform/distributed/communicator.h"

namespace spindle {

namespace ring_section_detail {
// Test only: SPINDLE_TEST_RING_FAILURE="RANK:N" makes world rank RANK throw in its N-th ring section.
void before_section();
// Logs the exception in flight (which rank of the world, the task, its message) and calls
// MPI_Abort(MPI_COMM_WORLD, 1).
[[noreturn]] void abort_job(const Communicator& ring, std::string_view task);
}  // namespace ring_section_detail

// Runs `work()` and returns what it returns; `task` starts the log line ("score-variants").
template <typename Work>
decltype(auto) run_ring_section(const Communicator* ring, std::string_view task, Work&& work) {
  if (ring == nullptr || ring->size() == 1) return std::forward<Work>(work)();
  try {
    ring_section_detail::before_section();
    return std::forward<Work>(work)();
  } catch (...) {
    ring_section_detail::abort_job(*ring, task);
  }
}

}  // namespace spindle
