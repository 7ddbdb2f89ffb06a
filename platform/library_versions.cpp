#include "platform/library_versions.h"

#include <mpi.h>
#include <spdlog/version.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "kernels/backend.h"
#include "kernels/error.h"
#if SPINDLE_WITH_CUDA
#include <nccl.h>
#endif

namespace spindle {
namespace {

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);  // allowed before MPI_Init
  std::string version(text, static_cast<size_t>(length));
  if (const size_t comma = version.find(','); comma != std::string::npos) version.resize(comma);
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ')) version.pop_back();
  return version;
}

#if SPINDLE_WITH_CUDA
std::string nccl_version() {
  int code = 0;
  const ncclResult_t status = ncclGetVersion(&code);
  SPINDLE_CHECK(status == ncclSuccess, "ncclGetVersion", ncclGetErrorString(status), "ncclSuccess");
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
}
#endif

}  // namespace

std::vector<LibraryVersion> platform_library_versions() {
  std::vector<LibraryVersion> versions{
      {"MPI", mpi_library_version()},
      {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                     std::to_string(SPDLOG_VER_PATCH)},
  };
#if SPINDLE_WITH_CUDA
  versions.push_back({"NCCL", nccl_version()});
#endif
  return versions;
}

}  // namespace spindle
