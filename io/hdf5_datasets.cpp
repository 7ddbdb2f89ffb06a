#include "io/hdf5_datasets.h"

#include <fmt/format.h>

#include <algorithm>

#include "io/hdf5_attributes.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"

namespace spindle {
namespace {

// "uint8", "int64", "float32", "string" (variable length) or "fixed-length string".
std::string type_name(hid_t type) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", 8 * size);
    case H5T_FLOAT: return fmt::format("float{}", 8 * size);
    case H5T_STRING: return H5Tis_variable_str(type) > 0 ? "string" : "fixed-length string";
    default: return "other";
  }
}

// Whether elements of `stored` read as those of `wanted` without a conversion that changes them.
bool same_kind(hid_t stored, hid_t wanted) {
  const H5T_class_t type_class = H5Tget_class(wanted);
  if (H5Tget_class(stored) != type_class) return false;
  if (type_class == H5T_STRING) return (H5Tis_variable_str(stored) > 0) == (H5Tis_variable_str(wanted) > 0);
  return H5Tget_size(stored) == H5Tget_size(wanted) &&
         (type_class != H5T_INTEGER || H5Tget_sign(stored) == H5Tget_sign(wanted));
}

}  // namespace

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

std::string type_and_shape(hid_t dataset, const std::string& where) {
  Hdf5Handle type(H5Dget_type(dataset), H5Tclose, "H5Dget_type " + where);
  return fmt::format("{} [{}]", type_name(type.get()), fmt::join(dataset_dims(dataset, where), ", "));
}

Hdf5Handle open_dataset(hid_t file, const std::string& path, int rank, hid_t element_type, const std::string& where,
                        const std::string& expected, hid_t access) {
  // Fails alike for a missing path, a group, a dangling link or a parent that is not a group.
  const hid_t id = H5Dopen2(file, path.c_str(), access);
  if (id < 0) throw Error(where, "missing, or not a dataset", expected);
  Hdf5Handle dataset(id, H5Dclose, "H5Dopen2 " + where);
  Hdf5Handle type(H5Dget_type(dataset.get()), H5Tclose, "H5Dget_type " + where);
  if (dataset_dims(dataset.get(), where).size() != static_cast<size_t>(rank) || !same_kind(type.get(), element_type)) {
    throw Error(where, "dataset of " + type_and_shape(dataset.get(), where), expected);
  }
  return dataset;
}

std::vector<std::string> read_string_dataset(hid_t file, const std::string& path, const std::string& where) {
  Hdf5Handle utf8(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  Hdf5Handle dataset = open_dataset(file, path, 1, utf8.get(), where, "string [n]: variable-length strings");
  Hdf5Handle stored_type(H5Dget_type(dataset.get()), H5Tclose, "H5Dget_type " + where);
  Hdf5Handle type(make_string_type_like(stored_type.get()), H5Tclose, "H5Tcopy");
  // A chunked dataset claims its extent without storing it; every string written takes bytes of
  // the file, so a claim beyond the file's size is not data (and room for it could exhaust memory).
  const int64_t count = dataset_dims(dataset.get(), where)[0];
  hsize_t file_size = 0;
  check_hdf5(H5Fget_filesize(file, &file_size), "H5Fget_filesize " + where);
  SPINDLE_CHECK(static_cast<uint64_t>(count) <= file_size, where,
                fmt::format("claims {} strings, more than the {} bytes of its file hold", count, file_size),
                "string [n]: as many strings as were written to it");
  std::vector<char*> texts(static_cast<size_t>(count), nullptr);
  check_hdf5(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), "H5Dread " + where);
  std::vector<std::string> values;
  for (char* text : texts) values.emplace_back(text ? text : "");
  Hdf5Handle space(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space " + where);
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, texts.data());
  return values;
}

}  // namespace spindle
