#include "io/series_reader.h"

#include "io/hdf5_datasets.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"
#include "io/store_format.h"

namespace spindle {

struct SeriesStoreReader::State {
  std::string path;
  Hdf5Handle file;
  std::vector<SeriesInfo> series;
  std::vector<Hdf5Handle> datasets;
};

SeriesStoreReader::SeriesStoreReader(const std::string& path, size_t chunk_cache_bytes)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.file = open_store(path);
  // No group and an empty one alike: WindowReader takes the first series' channels.
  const std::vector<std::string> names = store_has_object(s.file.get(), store::kSeriesGroup)
                                            ? group_members(s.file.get(), store::kSeriesGroup, path)
                                            : std::vector<std::string>{};
  if (names.empty()) throw Error(path, "the store holds no series", "a store made by spindle ingest csv or wfdb");
  const Hdf5Handle access = chunk_cache_access(chunk_cache_bytes);
  for (const std::string& name : names) {
    const std::string values_path = std::string(store::kSeriesGroup) + "/" + name + "/values";
    const std::string where = path + ":" + values_path;
    s.datasets.push_back(
        open_dataset(s.file.get(), values_path, 2, H5T_IEEE_F32LE, where, "float32 [time, channel]", access.get()));
    check_filters_available(s.datasets.back().get(), where);
    const std::vector<int64_t> dims = dataset_dims(s.datasets.back().get(), where);
    s.series.push_back({name, dims[0], dims[1]});
  }
}

SeriesStoreReader::~SeriesStoreReader() = default;

const std::string& SeriesStoreReader::path() const { return state_->path; }

const std::vector<SeriesInfo>& SeriesStoreReader::series() const { return state_->series; }

void SeriesStoreReader::read_rows(size_t index, int64_t begin, int64_t end, float* out) const {
  const State& s = *state_;
  const SeriesInfo& info = s.series.at(index);
  SPINDLE_CHECK(0 <= begin && begin <= end && end <= info.rows, s.path + ":" + info.name,
                "row range [" + std::to_string(begin) + ", " + std::to_string(end) + ")",
                "a range within [0, " + std::to_string(info.rows) + ")");
  if (begin == end) return;
  const hid_t dataset = s.datasets[index].get();
  Hdf5Handle file_space(H5Dget_space(dataset), H5Sclose, "H5Dget_space");
  const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(end - begin), static_cast<hsize_t>(info.channels)};
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
  Hdf5Handle memory_space(H5Screate_simple(2, count, nullptr), H5Sclose, "H5Screate_simple");
  check_hdf5(H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT, out),
             "H5Dread " + s.path + ":" + info.name);
}

}  // namespace spindle
