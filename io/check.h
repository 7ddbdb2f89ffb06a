// Checks for HDF5 and htslib calls: both report failure as a negative return value.
// `call` names the operation and its subject (e.g. "H5Dread /sequences/chr1 in x.h5").
#pragma once

#include <source_location>
#include <string>

#include "kernels/error.h"

namespace spindle {

// HDF5 functions return a negative herr_t or hid_t on failure.
template <typename Status>
Status check_hdf5(Status status, const std::string& call,
                  std::source_location at = std::source_location::current()) {
  if (status < 0) throw Error(call, "HDF5 call failed (status " + std::to_string(status) + ")", "success", at);
  return status;
}

// htslib functions return a negative int on failure; htslib logs its own detail to stderr.
inline int check_hts(int status, const std::string& call, std::source_location at = std::source_location::current()) {
  if (status < 0) throw Error(call, "htslib call failed (status " + std::to_string(status) + ")", "success", at);
  return status;
}

}  // namespace spindle
