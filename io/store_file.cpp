#include "io/store_file.h"

#include <charconv>
#include <filesystem>

#include "io/hdf5_attributes.h"
#include "io/lzf_filter.h"
#include "io/store_format.h"

namespace spindle {

void prepare_hdf5() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  register_lzf_filter();
}

namespace {

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

// Slots of the chunk cache's hash table: a prime well above the chunks it holds (HDF5's advice).
constexpr size_t kChunkCacheSlots = 12421;

}  // namespace

std::vector<std::string> group_members(hid_t file, const std::string& group_path, const std::string& where) {
  const hid_t id = H5Gopen2(file, group_path.c_str(), H5P_DEFAULT);
  if (id < 0) throw Error(where + ":" + group_path, "not a group", "a group, as in docs/formats.md");
  Hdf5Handle group(id, H5Gclose, "H5Gopen2 " + where + ":" + group_path);
  std::vector<std::string> names;
  check_hdf5(H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names), "H5Literate " + group_path);
  return names;
}

Hdf5Handle chunk_cache_access(size_t bytes) {
  Hdf5Handle access(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "H5Pcreate");
  check_hdf5(H5Pset_chunk_cache(access.get(), kChunkCacheSlots, bytes, 1.0), "H5Pset_chunk_cache");
  return access;
}

void check_filters_available(hid_t dataset, const std::string& where) {
  Hdf5Handle create(H5Dget_create_plist(dataset), H5Pclose, "H5Dget_create_plist " + where);
  const int filters = check_hdf5(H5Pget_nfilters(create.get()), "H5Pget_nfilters " + where);
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    size_t values = 0;
    char name[64] = {0};
    const H5Z_filter_t filter = H5Pget_filter2(create.get(), static_cast<unsigned>(i), &flags, &values, nullptr,
                                               sizeof name, name, nullptr);
    if (H5Zfilter_avail(filter) <= 0) {
      throw Error(where, "compressed with HDF5 filter " + std::to_string(filter) + " (" + name + "), which this spindle cannot decode",
                  filter == kLzfFilterId ? "a spindle built with liblzf, or a store written with --compression gzip"
                                         : "a store written by spindle (gzip, lzf or none)");
    }
  }
}

void set_compression(hid_t create_plist, store::Compression compression, const std::string& dataset_path) {
  if (compression == store::Compression::gzip) {
    check_hdf5(H5Pset_shuffle(create_plist), "H5Pset_shuffle " + dataset_path);
    check_hdf5(H5Pset_deflate(create_plist, store::kGzipLevel), "H5Pset_deflate " + dataset_path);
  } else if (compression == store::Compression::lzf) {
    check_hdf5(H5Pset_shuffle(create_plist), "H5Pset_shuffle " + dataset_path);
    check_hdf5(H5Pset_filter(create_plist, kLzfFilterId, H5Z_FLAG_OPTIONAL, 0, nullptr), "H5Pset_filter lzf " + dataset_path);
  }
}

void check_store_format(hid_t file, const std::string& where) {
  if (!has_attribute(file, "spindle_format") ||
      read_string_attribute(file, "spindle_format", where) != store::kFormatName) {
    throw Error(where, "not a spindle store (no root attribute spindle_format = \"spindle-store\")",
                "a store written by spindle ingest");
  }
  const std::string version = read_string_attribute(file, "spindle_format_version", where);
  // "major.minor": from_chars, not atoi, which is undefined beyond int ("4294967297.0" was 1).
  int major = -1;
  const char* const end = version.data() + version.size();
  const auto [after, error] = std::from_chars(version.data(), end, major);
  if (error != std::errc() || (after != end && *after != '.') || major != store::kFormatMajor) {
    throw Error(where, "store format version " + version + " is not supported by this spindle",
                "format version " + std::to_string(store::kFormatMajor) + ".x");
  }
}

Hdf5Handle open_store(const std::string& path) {
  prepare_hdf5();
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
