#include "io/store_reader.h"

#include "io/hdf5_datasets.h"
#include "io/store_file.h"
#include "io/store_format.h"

namespace spindle {

struct SequenceStoreReader::State {
  std::string path;
  Hdf5Handle file;
  std::vector<SequenceInfo> sequences;
  std::vector<Hdf5Handle> datasets;
};

SequenceStoreReader::SequenceStoreReader(const std::string& path, size_t chunk_cache_bytes)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.file = open_store(path);
  if (!store_has_object(s.file.get(), store::kSequencesGroup)) {
    throw Error(path, "the store holds no DNA sequences", "a store made by spindle ingest fasta");
  }
  const Hdf5Handle access = chunk_cache_access(chunk_cache_bytes);
  for (const std::string& name : group_members(s.file.get(), store::kSequencesGroup)) {
    const std::string dataset_path = std::string(store::kSequencesGroup) + "/" + name;
    s.datasets.emplace_back(H5Dopen2(s.file.get(), dataset_path.c_str(), access.get()), H5Dclose, "H5Dopen2 " + dataset_path);
    check_filters_available(s.datasets.back().get(), path + ":" + dataset_path);
    const std::vector<int64_t> dims = dataset_dims(s.datasets.back().get(), path + ":" + dataset_path);
    if (dims.size() != 1) throw Error(path + ":" + dataset_path, "not a 1-D dataset", "1-D uint8 tokens");
    s.sequences.push_back({name, dims[0]});
  }
}

SequenceStoreReader::~SequenceStoreReader() = default;

const std::string& SequenceStoreReader::path() const { return state_->path; }

const std::vector<SequenceInfo>& SequenceStoreReader::sequences() const { return state_->sequences; }

void SequenceStoreReader::read_tokens(size_t index, int64_t begin, int64_t end, uint8_t* out) const {
  const State& s = *state_;
  const SequenceInfo& sequence = s.sequences.at(index);
  SPINDLE_CHECK(0 <= begin && begin <= end && end <= sequence.length, s.path + ":" + sequence.name,
                "token range [" + std::to_string(begin) + ", " + std::to_string(end) + ")",
                "a range within [0, " + std::to_string(sequence.length) + ")");
  if (begin == end) return;
  const hid_t dataset = s.datasets[index].get();
  Hdf5Handle file_space(H5Dget_space(dataset), H5Sclose, "H5Dget_space");
  const hsize_t start[1] = {static_cast<hsize_t>(begin)}, count[1] = {static_cast<hsize_t>(end - begin)};
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
  Hdf5Handle memory_space(H5Screate_simple(1, count, nullptr), H5Sclose, "H5Screate_simple");
  check_hdf5(H5Dread(dataset, H5T_NATIVE_UINT8, memory_space.get(), file_space.get(), H5P_DEFAULT, out),
             "H5Dread " + s.path + ":" + sequence.name);
}

}  // namespace spindle
