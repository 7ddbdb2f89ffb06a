#include "kernels/library_versions.h"

#include <cblas.h>
#include <fftw3.h>

#include <string>

#include "kernels/backend.h"
#if SPINDLE_WITH_CUDA
#include "kernels/cuda_check.h"
#endif

namespace spindle {
namespace {

#if SPINDLE_WITH_CUDA
std::string dotted(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string cublas_version() {
  int major = 0, minor = 0, patch = 0;
  SPINDLE_CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  SPINDLE_CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  SPINDLE_CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  return dotted(major, minor, patch);
}

std::string cufft_version() {
  int major = 0, minor = 0, patch = 0;
  SPINDLE_CUFFT_CHECK(cufftGetProperty(MAJOR_VERSION, &major));
  SPINDLE_CUFFT_CHECK(cufftGetProperty(MINOR_VERSION, &minor));
  SPINDLE_CUFFT_CHECK(cufftGetProperty(PATCH_LEVEL, &patch));
  return dotted(major, minor, patch);
}

std::string cuda_runtime_version() {
  int version = 0;
  SPINDLE_CUDA_CHECK(cudaRuntimeGetVersion(&version));
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}
#endif

}  // namespace

std::vector<LibraryVersion> kernels_library_versions() {
  std::vector<LibraryVersion> versions{
      {"OpenBLAS", openblas_get_config()},
      {"FFTW", fftw_version},
  };
#if SPINDLE_WITH_CUDA
  versions.push_back({"CUDA runtime", cuda_runtime_version()});
  versions.push_back({"cuBLAS", cublas_version()});
  versions.push_back({"cuFFT", cufft_version()});
#endif
  return versions;
}

}  // namespace spindle
