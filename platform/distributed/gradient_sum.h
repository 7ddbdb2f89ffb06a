// Parameter gradients summed over a group of ranks: the slices of a sequence-parallel ring,
// the replicas of data parallelism, or both at once over the world.
#pragma once

#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/layers/parameter.h"

namespace spindle {

// Every rank's gradients replaced by their sum over `group`. The gradients (one dtype, on
// the group's device) travel as one buffer in one all-reduce, so the sum is as
// deterministic as the backend's all-reduce (MPI and NCCL: the same for the same group
// and sizes). Every rank passes the same parameters in the same order.
void sum_gradients(const std::vector<Parameter*>& parameters, Communicator& group, const Stream* stream = nullptr);

}  // namespace spindle
