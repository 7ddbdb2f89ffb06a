#include "io/store_file.h"

#include <filesystem>

#include "io/hdf5_attributes.h"
#include "io/store_format.h"

namespace spindle {

void silence_hdf5_error_stack() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check_store_format(hid_t file, const std::string& where) {
  if (!has_attribute(file, "spindle_format") ||
      read_string_attribute(file, "spindle_format", where) != store::kFormatName) {
    throw Error(where, "not a spindle store (no root attribute spindle_format = \"spindle-store\")",
                "a store written by spindle ingest");
  }
  const std::string version = read_string_attribute(file, "spindle_format_version", where);
  const int major = std::atoi(version.c_str());
  if (major != store::kFormatMajor) {
    throw Error(where, "store format version " + version + " is not supported by this spindle",
                "format version " + std::to_string(store::kFormatMajor) + ".x");
  }
}

Hdf5Handle open_store(const std::string& path) {
  silence_hdf5_error_stack();
  if (!std::filesystem::exists(path)) throw Error(path, "no such file", "an existing spindle store");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "not an HDF5 file", "a spindle store (HDF5)");
  Hdf5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen " + path);
  check_store_format(file.get(), path);
  return file;
}

bool store_has_object(hid_t file, const std::string& object_path) {
  size_t next = 1;
  while (true) {
    const size_t slash = object_path.find('/', next);
    const std::string prefix = object_path.substr(0, slash);
    if (check_hdf5(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), "H5Lexists " + prefix) <= 0) return false;
    if (slash == std::string::npos) return true;
    next = slash + 1;
  }
}

Hdf5Handle open_or_create_group(hid_t file, const std::string& group_path) {
  if (store_has_object(file, group_path)) {
    return Hdf5Handle(H5Gopen2(file, group_path.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2 " + group_path);
  }
  return Hdf5Handle(H5Gcreate2(file, group_path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                    "H5Gcreate2 " + group_path);
}

}  // namespace spindle
