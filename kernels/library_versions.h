// Versions of the libraries a layer links, for `spindle info` and bug reports.
#pragma once

#include <string>
#include <vector>

namespace spindle {

struct LibraryVersion {
  std::string name;
  std::string version;
};

// OpenBLAS, FFTW and, in CUDA builds, the CUDA runtime, cuBLAS and cuFFT.
std::vector<LibraryVersion> kernels_library_versions();

}  // namespace spindle
