// Versions of the libraries platform/ links (MPI, and NCCL in CUDA builds).
#pragma once

#include <vector>

#include "kernels/library_versions.h"

namespace spindle {

std::vector<LibraryVersion> platform_library_versions();

}  // namespace spindle
