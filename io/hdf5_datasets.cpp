#include "io/hdf5_datasets.h"

#include <algorithm>

#include "io/hdf5_attributes.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"

namespace spindle {

void write_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type,
                   const std::vector<int64_t>& dims, const void* data, int64_t chunk_rows,
                   store::Compression compression) {
  const std::vector<hsize_t> extent(dims.begin(), dims.end());
  Hdf5Handle space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), H5Sclose,
                   "H5Screate_simple " + path);
  Hdf5Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  if (chunk_rows > 0 && !extent.empty() && extent[0] > 0) {
    std::vector<hsize_t> chunk = extent;
    chunk[0] = std::min<hsize_t>(extent[0], static_cast<hsize_t>(chunk_rows));
    check_hdf5(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk " + path);
    set_compression(create.get(), compression, path);
  }
  Hdf5Handle dataset(H5Dcreate2(file, path.c_str(), file_type, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT),
                     H5Dclose, "H5Dcreate2 " + path);
  check_hdf5(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite " + path);
}

void write_string_dataset(hid_t file, const std::string& path, const std::vector<std::string>& values) {
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  std::vector<const char*> texts;
  for (const std::string& value : values) texts.push_back(value.c_str());
  write_dataset(file, path, type.get(), type.get(), {static_cast<int64_t>(values.size())}, texts.data(), 0,
                store::Compression::none);
}

std::vector<int64_t> dataset_dims(hid_t dataset, const std::string& where) {
  Hdf5Handle space(H5Dget_space(dataset), H5Sclose, "H5Dget_space " + where);
  const int rank = check_hdf5(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims " + where);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  check_hdf5(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims " + where);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

void read_dataset(hid_t file, const std::string& path, hid_t memory_type, void* out) {
  Hdf5Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2 " + path);
  check_hdf5(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), "H5Dread " + path);
}

std::vector<std::string> read_string_dataset(hid_t file, const std::string& path) {
  Hdf5Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2 " + path);
  const std::vector<int64_t> dims = dataset_dims(dataset.get(), path);
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  std::vector<char*> texts(dims.empty() ? 1 : static_cast<size_t>(dims[0]), nullptr);
  check_hdf5(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), "H5Dread " + path);
  std::vector<std::string> values;
  for (char* text : texts) values.emplace_back(text ? text : "");
  Hdf5Handle space(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space " + path);
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, texts.data());
  return values;
}

}  // namespace spindle
