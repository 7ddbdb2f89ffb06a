// The seam between platform/ and the CUDA runtime. cuda_backend.cpp implements it with
// CUDA; cuda_backend_absent.cpp, built instead in CPU-only builds, reports no devices and
// refuses everything else with a clear error. Handles are opaque so that platform headers
// need no CUDA header. Users go through Device, Stream, Event, Storage and Tensor instead.
#pragma once

#include <cstddef>
#include <string>

#include "platform/device.h"
#include "platform/memory_stats.h"

namespace spindle::cuda_backend {

int device_count(std::string* why_none);
int current_device();
void set_current_device(int device);
void restore_current_device(int device) noexcept;  // for destructors: errors are dropped
GpuProperties properties(int device);

void* stream_create(int device);         // non-blocking stream
void stream_destroy(void* stream) noexcept;
void* stream_per_thread();               // CUDA's per-thread default stream (not owned)
void stream_synchronize(void* stream);
void stream_wait_event(void* stream, void* event);

void* event_create(int device);
void event_destroy(void* event) noexcept;
void event_record(void* event, void* stream);
void event_synchronize(void* event);
float event_elapsed_ms(void* start, void* end);

// Stream-ordered allocation from the device's memory pool (cudaMallocAsync).
void* device_allocate(size_t bytes, int device, void* stream);
void device_free(void* pointer, int device, void* stream) noexcept;
void* pinned_allocate(size_t bytes);
void pinned_free(void* pointer) noexcept;

// Asynchronous 2-D copy (rows of `width_bytes`, pitches in bytes) between any two of
// host and device memory; the runtime infers the direction from the pointers.
void copy_2d_async(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width_bytes,
                   size_t rows, void* stream);

void memset_async(void* dst, int value, size_t bytes, void* stream);

DeviceMemoryStats memory_stats(int device);
void reset_peak_memory(int device);

}  // namespace spindle::cuda_backend
