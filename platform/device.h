// Where a tensor lives: the host or CUDA device n (0-based, as CUDA numbers them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;  // CUDA ordinal; 0 for the CPU

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int index) { return {Kind::cuda, index}; }
  bool is_cpu() const { return kind == Kind::cpu; }
  bool is_cuda() const { return kind == Kind::cuda; }
  bool operator==(const Device&) const = default;

  // "cpu" or "cuda:N"
  std::string str() const;
  // Parses "cpu", "cuda" (= cuda:0) or "cuda:N"; throws spindle::Error naming `where`.
  static Device parse(std::string_view text, const std::string& where);
};

struct GpuProperties {
  int index = 0;
  std::string name;
  size_t total_memory_bytes = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int multiprocessors = 0;
  size_t l2_cache_bytes = 0;
};

// Makes `device` the calling thread's current CUDA device for the guard's lifetime and
// restores the previous one after; a no-op for the CPU. CUDA's per-thread default stream
// and kernel launches act on the current device, so every device operation holds one.
class DeviceGuard {
 public:
  explicit DeviceGuard(Device device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// True when this build has the CUDA backend.
bool cuda_built();
// Number of usable CUDA devices: 0 in a CPU-only build or when the driver finds none.
// When 0, *why_none (if given) says why, in the driver's words.
int cuda_device_count(std::string* why_none = nullptr);
GpuProperties gpu_properties(int index);
// Throws spindle::Error naming `where` (the option or configuration key that chose the
// device) when `device` is a CUDA device this process cannot use: a build without CUDA, no
// driver or no GPU (in the driver's words), or an index past the device count. A no-op for
// the CPU. Jobs call it before their first CUDA call, whose own error would name neither.
void require_usable(Device device, const std::string& where);

}  // namespace spindle
