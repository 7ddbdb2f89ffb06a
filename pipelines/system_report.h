// What `spindle info` reports: build options, host CPU, GPUs and library versions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace spindle {

// Fields: spindle {version, build_type, cuda, cuda_architectures, compiler},
// cpu {model, logical_cores, features[]}, gpus [{index, name, memory_bytes,
// compute_capability, multiprocessors, l2_cache_bytes}] and gpus_absent_reason,
// libraries {name: version}.
nlohmann::json system_report();

// The report as aligned text for a terminal.
std::string format_system_report(const nlohmann::json& report);

// "1.5 GiB": bytes in binary units, one decimal (whole bytes below 1 KiB).
std::string human_bytes(double bytes);

}  // namespace spindle
