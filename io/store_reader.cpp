#include "io/store_reader.h"

#include <algorithm>

#include "io/dna_tokenizer.h"
#include "io/hdf5_datasets.h"
#include "io/store_file.h"
#include "io/store_format.h"

namespace spindle {
namespace {

// A store holds base tokens only (A C G T N). An edited one may hold any byte, and a special
// token or one beyond the vocabulary would reach a model as is (the padded vocabulary of 16
// lets 12 to 15 through the embedding; [MASK] would pass for the trainer's own masking).
void check_bases(const uint8_t* tokens, int64_t count, int64_t first_position, const std::string& where) {
  // Bases are 0 to 4 after subtracting A (7); every other byte wraps to above 4. A maximum
  // without an early exit vectorizes: it costs about what the copy out of the chunk cache does.
  const auto offset = [](uint8_t token) { return static_cast<uint8_t>(token - dna::kTokenA); };
  uint8_t highest = 0;
  for (int64_t i = 0; i < count; ++i) highest = std::max(highest, offset(tokens[i]));
  if (highest <= dna::kTokenN - dna::kTokenA) return;
  const auto not_a_base = [&](uint8_t token) { return offset(token) > dna::kTokenN - dna::kTokenA; };
  const int64_t i = std::find_if(tokens, tokens + count, not_a_base) - tokens;
  throw Error(where, "token " + std::to_string(tokens[i]) + " at position " + std::to_string(first_position + i),
              "base tokens 7 to 11 (A C G T N, docs/formats.md)");
}

}  // namespace

struct SequenceStoreReader::State {
  std::string path;
  Hdf5Handle file;
  std::vector<SequenceInfo> sequences;
  std::vector<Hdf5Handle> datasets;
  std::vector<std::string> wheres;  // per sequence, "STORE:/sequences/NAME" for messages
};

SequenceStoreReader::SequenceStoreReader(const std::string& path, size_t chunk_cache_bytes)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.file = open_store(path);
  const std::vector<std::string> names = store_has_object(s.file.get(), store::kSequencesGroup)
                                            ? group_members(s.file.get(), store::kSequencesGroup, path)
                                            : std::vector<std::string>{};
  if (names.empty()) throw Error(path, "the store holds no DNA sequences", "a store made by spindle ingest fasta");
  const Hdf5Handle access = chunk_cache_access(chunk_cache_bytes);
  for (const std::string& name : names) {
    const std::string dataset_path = std::string(store::kSequencesGroup) + "/" + name;
    const std::string& where = s.wheres.emplace_back(path + ":" + dataset_path);
    s.datasets.push_back(open_dataset(s.file.get(), dataset_path, 1, H5T_STD_U8LE, where,
                                      "uint8 [length]: one token per base", access.get()));
    check_filters_available(s.datasets.back().get(), where);
    s.sequences.push_back({name, dataset_dims(s.datasets.back().get(), where)[0]});
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
  check_bases(out, end - begin, begin, s.wheres[index]);
}

}  // namespace spindle
