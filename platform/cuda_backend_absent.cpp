// CPU-only builds: no device exists, and any attempt to use one is refused clearly.
#include "platform/cuda_backend.h"
#include "kernels/error.h"

namespace spindle::cuda_backend {
namespace {

[[noreturn]] void refuse(const char* operation) {
  throw Error(operation, "spindle was built without CUDA",
              "a build configured with -DSPINDLE_CUDA=ON (or AUTO with nvcc installed)");
}

}  // namespace

int device_count(std::string* why_none) {
  if (why_none) *why_none = "spindle was built without CUDA";
  return 0;
}
int current_device() { refuse("current CUDA device"); }
void set_current_device(int) { refuse("setting the CUDA device"); }
void restore_current_device(int) noexcept {}
GpuProperties properties(int) { refuse("gpu_properties"); }
void* stream_create(int) { refuse("Stream::create"); }
void stream_destroy(void*) noexcept {}
void* stream_per_thread() { refuse("Stream::per_thread"); }
void stream_synchronize(void*) { refuse("Stream::synchronize"); }
void stream_wait_event(void*, void*) { refuse("Stream::wait"); }
void* event_create(int) { refuse("Event"); }
void event_destroy(void*) noexcept {}
void event_record(void*, void*) { refuse("Event::record"); }
void event_synchronize(void*) { refuse("Event::synchronize"); }
float event_elapsed_ms(void*, void*) { refuse("Event::elapsed_ms"); }
void* device_allocate(size_t, int, void*) { refuse("device allocation"); }
void device_free(void*, int, void*) noexcept {}
void* pinned_allocate(size_t) { refuse("pinned host allocation"); }
void pinned_free(void*) noexcept {}
void copy_2d_async(void*, size_t, const void*, size_t, size_t, size_t, void*) { refuse("device copy"); }
void memset_async(void*, int, size_t, void*) { refuse("device memset"); }
DeviceMemoryStats memory_stats(int) { refuse("device_memory_stats"); }
void reset_peak_memory(int) { refuse("reset_peak_memory"); }

}  // namespace spindle::cuda_backend
