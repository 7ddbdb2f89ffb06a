#include "platform/device.h"

#include <charconv>

#include "kernels/backend.h"
#include "kernels/error.h"
#include "platform/cuda_backend.h"

namespace spindle {

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

Device Device::parse(std::string_view text, const std::string& where) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  constexpr std::string_view prefix = "cuda:";
  if (text.starts_with(prefix)) {
    const std::string_view digits = text.substr(prefix.size());
    int index = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() && index >= 0 && !digits.empty()) {
      return cuda(index);
    }
  }
  throw Error(where, "unknown device '" + std::string(text) + "'", "cpu, cuda or cuda:N with N >= 0");
}

}  // namespace spindle


namespace spindle {

DeviceGuard::DeviceGuard(Device device) {
  if (device.is_cpu()) return;
  previous_ = cuda_backend::current_device();
  if (previous_ != device.index) cuda_backend::set_current_device(device.index);
}

DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0) cuda_backend::restore_current_device(previous_);
}

bool cuda_built() { return SPINDLE_WITH_CUDA != 0; }
int cuda_device_count(std::string* why_none) { return cuda_backend::device_count(why_none); }

void require_usable(Device device, const std::string& where) {
  if (device.is_cpu()) return;
  std::string why_none;
  const int count = cuda_device_count(&why_none);
  SPINDLE_CHECK(count > 0, where, device.str() + ": no usable CUDA device (" + why_none + ")",
                "a GPU the CUDA driver sees, or cpu");
  SPINDLE_CHECK(device.index < count, where, device.str() + ": no such CUDA device",
                "an index below the device count " + std::to_string(count));
}

GpuProperties gpu_properties(int index) {
  const int count = cuda_device_count();
  SPINDLE_CHECK(index >= 0 && index < count, "cuda:" + std::to_string(index), "no such CUDA device",
                "an index below the device count " + std::to_string(count));
  return cuda_backend::properties(index);
}

}  // namespace spindle
