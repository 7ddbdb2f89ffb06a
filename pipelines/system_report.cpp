#include "pipelines/system_report.h"

#include <fstream>
#include <string>
#include <thread>

#include "io/library_versions.h"
#include "pipelines/build_info.h"
#include "platform/device.h"
#include "platform/library_versions.h"

namespace spindle {
namespace {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

nlohmann::json cpu_features() {
  nlohmann::json features = nlohmann::json::array();
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) features.push_back("sse4.2");
  if (__builtin_cpu_supports("avx")) features.push_back("avx");
  if (__builtin_cpu_supports("avx2")) features.push_back("avx2");
  if (__builtin_cpu_supports("fma")) features.push_back("fma");
  if (__builtin_cpu_supports("f16c")) features.push_back("f16c");
  if (__builtin_cpu_supports("avx512f")) features.push_back("avx512f");
  if (__builtin_cpu_supports("avx512bw")) features.push_back("avx512bw");
  if (__builtin_cpu_supports("avx512bf16")) features.push_back("avx512bf16");
#endif
  return features;
}

}  // namespace

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

nlohmann::json system_report() {
  nlohmann::json report;
  report["spindle"] = {
      {"version", kSpindleVersion},
      {"build_type", kBuildType},
      {"cuda", cuda_built()},
      {"cuda_architectures", kCudaArchitectures},
      {"compiler", kCompiler},
  };
  report["cpu"] = {
      {"model", cpu_model()},
      {"logical_cores", std::thread::hardware_concurrency()},
      {"features", cpu_features()},
  };
  std::string why_none;
  const int count = cuda_device_count(&why_none);
  report["gpus"] = nlohmann::json::array();
  for (int index = 0; index < count; ++index) {
    const GpuProperties gpu = gpu_properties(index);
    report["gpus"].push_back({
        {"index", gpu.index},
        {"name", gpu.name},
        {"memory_bytes", gpu.total_memory_bytes},
        {"compute_capability", std::to_string(gpu.compute_capability_major) + "." +
                                   std::to_string(gpu.compute_capability_minor)},
        {"multiprocessors", gpu.multiprocessors},
        {"l2_cache_bytes", gpu.l2_cache_bytes},
    });
  }
  if (count == 0) report["gpus_absent_reason"] = why_none;
  nlohmann::json libraries = nlohmann::json::object();
  for (const auto& versions : {kernels_library_versions(), platform_library_versions(), io_library_versions()}) {
    for (const LibraryVersion& library : versions) libraries[library.name] = library.version;
  }
  report["libraries"] = libraries;
  return report;
}

std::string format_system_report(const nlohmann::json& report) {
  std::string text;
  auto line = [&text](const std::string& label, const std::string& value) {
    text += "  " + label + std::string(label.size() < 16 ? 16 - label.size() : 1, ' ') + value + "\n";
  };
  const auto& build = report["spindle"];
  text += "spindle " + build["version"].get<std::string>() + "\n";
  line("build type", build["build_type"].get<std::string>());
  line("compiler", build["compiler"].get<std::string>());
  line("CUDA", build["cuda"].get<bool>() ? "yes (architectures " + build["cuda_architectures"].get<std::string>() + ")"
                                          : "no (CPU-only build)");
  text += "cpu\n";
  line("model", report["cpu"]["model"].get<std::string>());
  line("logical cores", std::to_string(report["cpu"]["logical_cores"].get<unsigned>()));
  std::string features;
  for (const auto& feature : report["cpu"]["features"]) {
    if (!features.empty()) features += ' ';
    features += feature.get<std::string>();
  }
  line("features", features.empty() ? "(none detected)" : features);
  text += "gpus\n";
  if (report["gpus"].empty()) line("none", report["gpus_absent_reason"].get<std::string>());
  for (const auto& gpu : report["gpus"]) {
    line("cuda:" + std::to_string(gpu["index"].get<int>()),
         gpu["name"].get<std::string>() + ", " + human_bytes(gpu["memory_bytes"].get<double>()) + ", compute " +
             gpu["compute_capability"].get<std::string>() + ", " + std::to_string(gpu["multiprocessors"].get<int>()) +
             " SMs, L2 " + human_bytes(gpu["l2_cache_bytes"].get<double>()));
  }
  text += "libraries\n";
  for (const auto& [name, version] : report["libraries"].items()) line(name, version.get<std::string>());
  return text;
}

}  // namespace spindle
