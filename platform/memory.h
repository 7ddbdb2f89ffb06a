// Reference-counted buffers behind tensors.
//
// Host memory is 64-byte aligned (a cache line; full AVX-512 vectors), or page-locked
// ("pinned") when it feeds device copies. Device memory comes from CUDA's stream-ordered
// allocator (cudaMallocAsync on the device's default memory pool, which keeps freed memory
// for reuse): a buffer is allocated and freed in the order of the stream it was made on,
// so work on other streams that uses it must be ordered against that stream (Event).
#pragma once

#include <cstddef>
#include <memory>

#include "platform/device.h"
#include "platform/memory_stats.h"
#include "platform/stream.h"

namespace spindle {

enum class HostMemory { pageable, pinned };

inline constexpr size_t kHostAlignment = 64;

class Storage {
 public:
  // `bytes` on `device`. For CUDA devices the allocation is ordered on `stream` (and freed
  // on it when the last reference goes). `host` is ignored for device memory.
  static std::shared_ptr<Storage> allocate(size_t bytes, Device device, const Stream& stream,
                                           HostMemory host = HostMemory::pageable);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }
  // The stream the buffer is ordered on (the host stream for host memory).
  const Stream& stream() const { return stream_; }

 private:
  Storage(void* data, size_t bytes, Device device, Stream stream, bool pinned)
      : data_(data), bytes_(bytes), device_(device), stream_(std::move(stream)), pinned_(pinned) {}
  void* data_;
  size_t bytes_;
  Device device_;
  Stream stream_;
  bool pinned_;
};

// The memory pool's accounting for CUDA device `index`.
DeviceMemoryStats device_memory_stats(int index);
void reset_peak_device_memory(int index);

}  // namespace spindle
