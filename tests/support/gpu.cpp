#include "tests/support/gpu.h"

#include <cstdlib>
#include <string>

#include "platform/device.h"

namespace spindle::testing {

int gpu_count() { return cuda_device_count(); }

bool gpu_required() {
  const char* value = std::getenv("SPINDLE_REQUIRE_GPU");
  return value && std::string(value) == "1";
}

}  // namespace spindle::testing
