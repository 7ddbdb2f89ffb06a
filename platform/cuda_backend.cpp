#include "platform/cuda_backend.h"

#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <limits>
#include <mutex>

#include "kernels/cuda_check.h"

namespace spindle::cuda_backend {
namespace {

cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }
cudaEvent_t as_event(void* event) { return static_cast<cudaEvent_t>(event); }

}  // namespace
int current_device();
void set_current_device(int device);
void restore_current_device(int device) noexcept;
namespace {

// The backend's own calls take a device index; they make it current around the call.
class DeviceScope {
 public:
  explicit DeviceScope(int device) : previous_(current_device()) {
    if (device != previous_) set_current_device(device);
  }
  ~DeviceScope() { restore_current_device(previous_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_;
};

constexpr int kMaxDevices = 64;

// The default pool of each device keeps freed memory for reuse instead of returning it
// to the driver at every synchronization, so steady-state training does not allocate.
void configure_pool_once(int device) {
  static std::array<std::once_flag, kMaxDevices> configured;
  SPINDLE_CHECK(device >= 0 && device < kMaxDevices, "cuda device " + std::to_string(device),
                "device index out of range", "0 <= index < " + std::to_string(kMaxDevices));
  std::call_once(configured[device], [device] {
    cudaMemPool_t pool;
    SPINDLE_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    uint64_t keep_all = std::numeric_limits<uint64_t>::max();
    SPINDLE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  });
}

cudaMemPool_t default_pool(int device) {
  cudaMemPool_t pool;
  SPINDLE_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  return pool;
}

size_t pool_attribute(cudaMemPool_t pool, cudaMemPoolAttr attribute) {
  uint64_t value = 0;
  SPINDLE_CUDA_CHECK(cudaMemPoolGetAttribute(pool, attribute, &value));
  return static_cast<size_t>(value);
}

}  // namespace

int current_device() {
  int device = 0;
  SPINDLE_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

void set_current_device(int device) { SPINDLE_CUDA_CHECK(cudaSetDevice(device)); }
void restore_current_device(int device) noexcept { cudaSetDevice(device); }

int device_count(std::string* why_none) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    if (why_none) *why_none = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_none) *why_none = "the CUDA driver reports no devices";
  return count;
}

GpuProperties properties(int device) {
  cudaDeviceProp prop{};
  SPINDLE_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return GpuProperties{device, prop.name, prop.totalGlobalMem, prop.major, prop.minor,
                       prop.multiProcessorCount, static_cast<size_t>(prop.l2CacheSize)};
}

void* stream_create(int device) {
  DeviceScope scope(device);
  cudaStream_t stream;
  SPINDLE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return stream;
}

void stream_destroy(void* stream) noexcept { cudaStreamDestroy(as_stream(stream)); }
void* stream_per_thread() { return static_cast<void*>(cudaStreamPerThread); }
void stream_synchronize(void* stream) { SPINDLE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream))); }
void stream_wait_event(void* stream, void* event) {
  SPINDLE_CUDA_CHECK(cudaStreamWaitEvent(as_stream(stream), as_event(event), 0));
}

void* event_create(int device) {
  DeviceScope scope(device);
  cudaEvent_t event;
  SPINDLE_CUDA_CHECK(cudaEventCreate(&event));
  return event;
}

void event_destroy(void* event) noexcept { cudaEventDestroy(as_event(event)); }
void event_record(void* event, void* stream) {
  SPINDLE_CUDA_CHECK(cudaEventRecord(as_event(event), as_stream(stream)));
}
void event_synchronize(void* event) { SPINDLE_CUDA_CHECK(cudaEventSynchronize(as_event(event))); }
float event_elapsed_ms(void* start, void* end) {
  float ms = 0;
  SPINDLE_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(start), as_event(end)));
  return ms;
}

void* device_allocate(size_t bytes, int device, void* stream) {
  configure_pool_once(device);
  DeviceScope scope(device);
  void* pointer = nullptr;
  const cudaError_t status = cudaMallocAsync(&pointer, bytes, as_stream(stream));
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    const DeviceMemoryStats stats = memory_stats(device);
    throw Error("cudaMallocAsync on cuda:" + std::to_string(device),
                "out of device memory allocating " + std::to_string(bytes) + " bytes (" +
                    std::to_string(stats.used_bytes) + " bytes in use, " + std::to_string(stats.reserved_bytes) +
                    " reserved by the pool)",
                "an allocation that fits in the free device memory");
  }
  SPINDLE_CUDA_CHECK(status);
  return pointer;
}

void device_free(void* pointer, int device, void* stream) noexcept {
  int previous = device;
  cudaGetDevice(&previous);
  if (previous != device) cudaSetDevice(device);
  cudaFreeAsync(pointer, as_stream(stream));
  if (previous != device) cudaSetDevice(previous);
}

void* pinned_allocate(size_t bytes) {
  void* pointer = nullptr;
  SPINDLE_CUDA_CHECK(cudaMallocHost(&pointer, bytes));
  return pointer;
}

void pinned_free(void* pointer) noexcept { cudaFreeHost(pointer); }

void copy_2d_async(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width_bytes,
                   size_t rows, void* stream) {
  if (rows == 0 || width_bytes == 0) return;
  SPINDLE_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width_bytes, rows, cudaMemcpyDefault,
                                       as_stream(stream)));
}

void memset_async(void* dst, int value, size_t bytes, void* stream) {
  if (bytes == 0) return;
  SPINDLE_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, as_stream(stream)));
}

DeviceMemoryStats memory_stats(int device) {
  cudaMemPool_t pool = default_pool(device);
  return DeviceMemoryStats{pool_attribute(pool, cudaMemPoolAttrUsedMemCurrent),
                           pool_attribute(pool, cudaMemPoolAttrUsedMemHigh),
                           pool_attribute(pool, cudaMemPoolAttrReservedMemCurrent),
                           pool_attribute(pool, cudaMemPoolAttrReservedMemHigh)};
}

void reset_peak_memory(int device) {
  cudaMemPool_t pool = default_pool(device);
  uint64_t zero = 0;
  SPINDLE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &zero));
  SPINDLE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReservedMemHigh, &zero));
}

}  // namespace spindle::cuda_backend
