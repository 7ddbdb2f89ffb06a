// Ordered queues of device work (CUDA streams) and markers in them (CUDA events).
// A Stream on the CPU device is the host itself: work there is already done when its
// call returns, so synchronizing it is a no-op.
#pragma once

#include <memory>

#include "kernels/backend.h"
#include "platform/device.h"

namespace spindle {

class Event;

class Stream {
 public:
  // A new non-blocking CUDA stream on `device`, owned by the returned object and its
  // copies. For Device::cpu(), the host stream.
  static Stream create(Device device);
  // CUDA's per-thread default stream of the calling thread, on `device` (the default for
  // allocations and copies that are given no stream). For Device::cpu(), the host stream.
  static Stream per_thread(Device device);

  Device device() const { return device_; }
  // Blocks the host until all work queued so far has finished.
  void synchronize() const;
  // Work queued on this stream after this call waits for `event`.
  void wait(const Event& event) const;
  // The raw handle for kernel launches; nullptr for the host stream.
  void* raw() const { return handle_; }
#if SPINDLE_WITH_CUDA
  cudaStream_t cuda() const { return static_cast<cudaStream_t>(handle_); }
#endif

 private:
  Stream(Device device, void* handle, std::shared_ptr<void> owner)
      : device_(device), handle_(handle), owner_(std::move(owner)) {}
  Device device_;
  void* handle_ = nullptr;
  std::shared_ptr<void> owner_;  // destroys an owned stream with its last copy
};

class Event {
 public:
  explicit Event(Device device);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record(const Stream& stream);
  void synchronize() const;
  // Milliseconds between two recorded events (CUDA event resolution, about 0.5 us).
  static float elapsed_ms(const Event& start, const Event& end);
  void* raw() const { return handle_; }

 private:
  Device device_;
  void* handle_ = nullptr;
};

}  // namespace spindle
