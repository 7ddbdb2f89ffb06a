#include "platform/stream.h"

#include "kernels/error.h"
#include "platform/cuda_backend.h"

namespace spindle {

Stream Stream::create(Device device) {
  if (device.is_cpu()) return Stream(device, nullptr, nullptr);
  void* handle = cuda_backend::stream_create(device.index);
  return Stream(device, handle, std::shared_ptr<void>(handle, cuda_backend::stream_destroy));
}

Stream Stream::per_thread(Device device) {
  if (device.is_cpu()) return Stream(device, nullptr, nullptr);
  return Stream(device, cuda_backend::stream_per_thread(), nullptr);
}

void Stream::synchronize() const {
  if (device_.is_cpu()) return;
  DeviceGuard guard(device_);
  cuda_backend::stream_synchronize(handle_);
}

void Stream::wait(const Event& event) const {
  if (device_.is_cpu()) return;
  DeviceGuard guard(device_);
  cuda_backend::stream_wait_event(handle_, event.raw());
}

Event::Event(Device device) : device_(device) {
  SPINDLE_CHECK(device.is_cuda(), "Event(" + device.str() + ")", "events exist only on CUDA devices",
                "a cuda:N device");
  handle_ = cuda_backend::event_create(device.index);
}

Event::~Event() { cuda_backend::event_destroy(handle_); }

void Event::record(const Stream& stream) {
  SPINDLE_CHECK(stream.device() == device_, "Event::record", "stream on " + stream.device().str(),
                "a stream on the event's device " + device_.str());
  DeviceGuard guard(device_);
  cuda_backend::event_record(handle_, stream.raw());
}

void Event::synchronize() const { cuda_backend::event_synchronize(handle_); }

float Event::elapsed_ms(const Event& start, const Event& end) {
  return cuda_backend::event_elapsed_ms(start.handle_, end.handle_);
}

}  // namespace spindle
