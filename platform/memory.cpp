#include "platform/memory.h"

#include <cstdlib>
#include <limits>
#include <new>

#include "kernels/error.h"
#include "platform/cuda_backend.h"

namespace spindle {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device, const Stream& stream, HostMemory host) {
  SPINDLE_CHECK(stream.device() == device, "Storage::allocate", "stream on " + stream.device().str(),
                "a stream on " + device.str());
  void* data = nullptr;
  bool pinned = false;
  if (bytes > 0) {
    if (device.is_cuda()) {
      data = cuda_backend::device_allocate(bytes, device.index, stream.raw());
    } else if (host == HostMemory::pinned) {
      data = cuda_backend::pinned_allocate(bytes);
      pinned = true;
    } else {
      // Sizes within an alignment of SIZE_MAX would round up to 0 and "succeed".
      const bool fits = bytes <= std::numeric_limits<size_t>::max() - (kHostAlignment - 1);
      const size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
      data = fits ? std::aligned_alloc(kHostAlignment, rounded) : nullptr;
      if (!data) {
        throw Error("host allocation", "out of host memory allocating " + std::to_string(bytes) + " bytes",
                    "an allocation that fits in free host memory");
      }
    }
  }
  return std::shared_ptr<Storage>(new Storage(data, bytes, device, stream, pinned));
}

Storage::~Storage() {
  if (!data_) return;
  if (device_.is_cuda()) {
    cuda_backend::device_free(data_, device_.index, stream_.raw());
  } else if (pinned_) {
    cuda_backend::pinned_free(data_);
  } else {
    std::free(data_);
  }
}

DeviceMemoryStats device_memory_stats(int index) { return cuda_backend::memory_stats(index); }
void reset_peak_device_memory(int index) { cuda_backend::reset_peak_memory(index); }

}  // namespace spindle
