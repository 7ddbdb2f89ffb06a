#include "io/library_versions.h"

#include <H5public.h>
#include <htslib/hts.h>
#include <zlib.h>

#include <string>

#include "io/check.h"

namespace spindle {

std::vector<LibraryVersion> io_library_versions() {
  unsigned major = 0, minor = 0, release = 0;
  check_hdf5(H5get_libversion(&major, &minor, &release), "H5get_libversion");
  return {
      {"HDF5", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release)},
      {"htslib", hts_version()},
      {"zlib", zlibVersion()},
  };
}

}  // namespace spindle
