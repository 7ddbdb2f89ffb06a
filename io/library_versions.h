// Versions of the libraries io/ links (HDF5, htslib, zlib).
#pragma once

#include <vector>

#include "kernels/library_versions.h"

namespace spindle {

std::vector<LibraryVersion> io_library_versions();

}  // namespace spindle
