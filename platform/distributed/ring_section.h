// A ring section: calls inside which the ranks of a group talk to each other while work
// that can fail on one rank alone runs between their exchanges (a sequence-parallel ring's
// forward or backward, with its halo and scan-state exchanges; a training step, whose
// gradient sums, loss sums and validation join the whole world). A rank that throws there
// leaves its partners waiting in the group's next exchange, which nothing interrupts, and
// RankFailures cannot help (its check is a collective they never reach). So an exception
// that escapes a section of a group of two or more ranks is logged on the failing rank
// ("<task>: rank 1 of 4 failed: <its message>", the text the error would have printed) and
// ends the whole job with MPI_Abort(MPI_COMM_WORLD, 1): every process exits non-zero (with
// NCCL, the processes holding the communicator too) instead of hanging. Without a group
// (null, or a group of one rank, as in a world of one) the work runs as it is and its
// exceptions propagate as usual. Failures between a job's steps stay RankFailures'.
//
//   const Tensor logits = run_ring_section(model.sequence_parallel(), "score-variants",
//                                          [&] { return embed_sequences(model, ...).logits; });
#pragma once

#include <string_view>
#include <utility>

#include "platform/distributed/communicator.h"

namespace spindle {

namespace ring_section_detail {
// Test only: SPINDLE_TEST_RING_FAILURE="RANK:N" makes world rank RANK throw on entering its N-th
// section of a group of 2+ ranks (sections do not nest: train has one a step, score-variants one a forward).
void before_section();
// Logs the exception in flight (which rank of the world, the task, its message) and calls
// MPI_Abort(MPI_COMM_WORLD, 1).
[[noreturn]] void abort_job(const Communicator& group, std::string_view task);
}  // namespace ring_section_detail

// Runs `work()` and returns what it returns; `group`: the ranks that would wait (a ring, the
// world); `task` starts the log line ("score-variants").
template <typename Work>
decltype(auto) run_ring_section(const Communicator* group, std::string_view task, Work&& work) {
  if (group == nullptr || group->size() == 1) return std::forward<Work>(work)();
  try {
    ring_section_detail::before_section();
    return std::forward<Work>(work)();
  } catch (...) {
    ring_section_detail::abort_job(*group, task);
  }
}

}  // namespace spindle
