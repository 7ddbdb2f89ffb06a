// The world arranged as `data` rings of `sequence` consecutive ranks: world rank w sits at
// position w % sequence of ring w / sequence. A ring shares one sequence, each rank
// holding a slice of it (sequence_slice.h); the ranks at the same position of every ring
// form a data group, the replicas whose gradients are summed. Consecutive ranks keep a
// ring on one host while sequence <= GPUs per host, so the ring's frequent exchanges stay
// on NVLink and only the data groups' once-per-step sums cross hosts.
//
// Each group has a host communicator (MPI, host tensors) and one for the grid's device:
// NCCL on cuda:N, the same MPI communicator on the CPU.
#pragma once

#include <memory>

#include "platform/distributed/communicator.h"
#include "platform/distributed/grid_shape.h"
#include "platform/distributed/mpi_communicator.h"

namespace spindle {

class ProcessGrid {
 public:
  // Collective over `world`, which must outlive the grid. Every rank passes the shape it
  // read and its device. The ranks' shapes and device kinds are gathered and compared
  // first, then the shape is checked against the world size, so a bad grid throws the
  // same spindle::Error (naming shape.where and the world size) on every rank and no
  // rank is left waiting for another.
  static ProcessGrid create(MpiCommunicator& world, const GridShape& shape, Device device);

  const GridShape& shape() const { return shape_; }
  Device device() const { return device_; }
  int ring_index() const { return ring_index_; }        // this rank's ring (data-parallel replica)
  int ring_position() const { return ring_position_; }  // its position in the ring

  // On the grid's device. ring(): this rank's ring, its rank is ring_position();
  // data(): the ranks at this position of every ring, its rank is ring_index().
  Communicator& world() { return device_world_ ? *device_world_ : *host_world_; }
  Communicator& ring() { return device_ring_ ? *device_ring_ : *host_ring_; }
  Communicator& data() { return device_data_ ? *device_data_ : *host_data_; }
  // The same groups for host tensors.
  MpiCommunicator& host_world() { return *host_world_; }
  MpiCommunicator& host_ring() { return *host_ring_; }
  MpiCommunicator& host_data() { return *host_data_; }

 private:
  ProcessGrid() = default;

  GridShape shape_;
  Device device_;
  int ring_index_ = 0;
  int ring_position_ = 0;
  MpiCommunicator* host_world_ = nullptr;
  std::unique_ptr<MpiCommunicator> host_ring_, host_data_;
  // Null on a CPU grid, where the host communicators serve. World first: destroyed last.
  std::unique_ptr<Communicator> device_world_, device_ring_, device_data_;
};

}  // namespace spindle
