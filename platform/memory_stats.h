// Device memory accounting from the CUDA memory pool, in bytes.
#pragma once

#include <cstddef>

namespace spindle {

struct DeviceMemoryStats {
  size_t used_bytes = 0;           // held by live allocations now
  size_t used_peak_bytes = 0;      // most held at once since start or the last reset
  size_t reserved_bytes = 0;       // taken from the driver by the pool now
  size_t reserved_peak_bytes = 0;
};

}  // namespace spindle
