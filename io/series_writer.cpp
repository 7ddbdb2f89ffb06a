#include "io/series_writer.h"

#include <algorithm>

#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"

namespace spindle {
namespace {

void write_annotations(hid_t file, const std::string& group_path, const SeriesAnnotations& annotations) {
  Hdf5Handle group(H5Gcreate2(file, group_path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "H5Gcreate2 " + group_path);
  write_attribute(group.get(), "source", annotations.source);
  const int64_t count = static_cast<int64_t>(annotations.sample.size());
  const auto write_column = [&](const char* name, hid_t file_type, hid_t memory_type, const void* data) {
    write_dataset(file, group_path + "/" + name, file_type, memory_type, {count}, data, 0, store::Compression::none);
  };
  write_column("sample", H5T_STD_I64LE, H5T_NATIVE_INT64, annotations.sample.data());
  write_column("code", H5T_STD_U8LE, H5T_NATIVE_UINT8, annotations.code.data());
  write_column("subtype", H5T_STD_I8LE, H5T_NATIVE_INT8, annotations.subtype.data());
  write_column("channel", H5T_STD_I8LE, H5T_NATIVE_INT8, annotations.channel.data());
  write_column("number", H5T_STD_I8LE, H5T_NATIVE_INT8, annotations.number.data());
  write_string_dataset(file, group_path + "/symbol", annotations.symbol);
  write_string_dataset(file, group_path + "/aux", annotations.aux);
}

}  // namespace

void write_series(StoreTransaction& store, const Series& series, store::Compression compression) {
  const hid_t file = store.hdf5_file();
  if (series.name.empty() || series.name.find('/') != std::string::npos) {
    throw Error("series name '" + series.name + "'", "cannot name an HDF5 group", "a non-empty name without '/'");
  }
  const std::string path = std::string(store::kSeriesGroup) + "/" + series.name;
  if (store_has_object(file, path)) {
    throw Error(store.path() + ":" + path, "a series of this name is already in the store",
                "a new name (--name) or another store");
  }
  open_or_create_group(file, store::kSeriesGroup);
  Hdf5Handle group(H5Gcreate2(file, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2 " + path);
  write_attribute(group.get(), "source", series.source);
  write_attribute(group.get(), "kind", series.kind);
  if (series.sampling_rate_hz) write_attribute(group.get(), "sampling_rate_hz", *series.sampling_rate_hz);
  if (series.start_time_ns) write_attribute(group.get(), "start_time_ns", *series.start_time_ns);
  if (!series.comments.empty()) write_attribute(group.get(), "comments", series.comments);
  if (series.irregular_steps) write_attribute(group.get(), "irregular_steps", *series.irregular_steps);

  const int64_t chunk_rows = std::max<int64_t>(1, store::kSeriesChunkBytes / (4 * std::max<int64_t>(1, series.channels)));
  const std::string values_path = path + "/values";
  write_dataset(file, values_path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {series.rows, series.channels},
                series.values.data(), chunk_rows, compression);
  Hdf5Handle values(H5Dopen2(file, values_path.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2 " + values_path);
  write_attribute(values.get(), "channel_names", series.channel_names);
  write_attribute(values.get(), "units", series.units);
  for (const auto& [name, per_channel] : series.channel_attributes) write_attribute(values.get(), name, per_channel);

  if (!series.time_ns.empty()) {
    write_dataset(file, path + "/time", H5T_STD_I64LE, H5T_NATIVE_INT64, {series.rows}, series.time_ns.data(),
                  chunk_rows, compression);
  }
  if (!series.missing.empty()) {
    write_dataset(file, path + "/missing", H5T_STD_U8LE, H5T_NATIVE_UINT8, {series.rows, series.channels},
                  series.missing.data(), chunk_rows, compression);
  }
  if (series.annotations) write_annotations(file, path + "/annotations", *series.annotations);
}

}  // namespace spindle
