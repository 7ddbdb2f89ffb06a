#include "io/sequence_writer.h"

#include <htslib/hts.h>

#include <algorithm>

#include "io/dna_tokenizer.h"
#include "io/hdf5_attributes.h"
#include "io/store_file.h"

namespace spindle {

namespace {

constexpr int64_t kMaskChunkBytes = store::kSequenceChunkTokens / 8;

// An empty 1-D uint8 dataset that grows without limit, chunked by `chunk` elements.
Hdf5Handle create_growing_dataset(hid_t file, const std::string& path, int64_t chunk, store::Compression compression) {
  const hsize_t initial[1] = {0}, maximum[1] = {H5S_UNLIMITED}, chunk_dims[1] = {static_cast<hsize_t>(chunk)};
  Hdf5Handle space(H5Screate_simple(1, initial, maximum), H5Sclose, "H5Screate_simple");
  Hdf5Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  check_hdf5(H5Pset_chunk(create.get(), 1, chunk_dims), "H5Pset_chunk " + path);
  set_compression(create.get(), compression, path);
  return Hdf5Handle(H5Dcreate2(file, path.c_str(), H5T_STD_U8LE, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT),
                    H5Dclose, "H5Dcreate2 " + path);
}

void append_to_dataset(hid_t dataset, int64_t offset, const std::vector<uint8_t>& values, const std::string& what) {
  if (values.empty()) return;
  const hsize_t new_size[1] = {static_cast<hsize_t>(offset) + values.size()};
  check_hdf5(H5Dset_extent(dataset, new_size), "H5Dset_extent " + what);
  Hdf5Handle file_space(H5Dget_space(dataset), H5Sclose, "H5Dget_space " + what);
  const hsize_t start[1] = {static_cast<hsize_t>(offset)}, count[1] = {values.size()};
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
  Hdf5Handle memory_space(H5Screate_simple(1, count, nullptr), H5Sclose, "H5Screate_simple");
  check_hdf5(H5Dwrite(dataset, H5T_NATIVE_UINT8, memory_space.get(), file_space.get(), H5P_DEFAULT, values.data()),
             "H5Dwrite " + what);
}

}  // namespace

struct SequenceWriter::State {
  std::string name;
  Hdf5Handle tokens, mask;
  std::vector<uint8_t> token_buffer, mask_buffer;
  int64_t length = 0, written = 0;
  hts_md5_context* md5 = hts_md5_init();
  ~State() { hts_md5_destroy(md5); }

  void flush();
};

SequenceWriter::SequenceWriter(StoreTransaction& store, const std::string& name, store::Compression compression)
    : state_(std::make_unique<State>()) {
  const hid_t file = store.hdf5_file();
  State& s = *state_;
  s.name = name;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    throw Error("sequence name '" + name + "'", "cannot name an HDF5 dataset", "a non-empty name without '/'");
  }
  const std::string tokens_path = std::string(store::kSequencesGroup) + "/" + name;
  if (store_has_object(file, tokens_path)) {
    throw Error(tokens_path, "a sequence of this name is already in the store", "record names unique in a store");
  }
  open_or_create_group(file, store::kSequencesGroup);
  open_or_create_group(file, store::kSoftMasksGroup);
  s.tokens = create_growing_dataset(file, tokens_path, store::kSequenceChunkTokens, compression);
  s.mask = create_growing_dataset(file, std::string(store::kSoftMasksGroup) + "/" + name, kMaskChunkBytes, compression);
  if (!s.md5) throw Error("hts_md5_init", "out of memory", "an MD5 context");
  s.token_buffer.reserve(store::kSequenceChunkTokens);
  s.mask_buffer.reserve(kMaskChunkBytes);
}

int64_t SequenceWriter::length() const { return state_->length; }

SequenceWriter::~SequenceWriter() = default;

void SequenceWriter::append(std::string_view bases) {
  State& s = *state_;
  const std::array<uint8_t, 256>& table = dna::token_table();
  char upper[4096];
  while (!bases.empty()) {
    const size_t room = static_cast<size_t>(store::kSequenceChunkTokens) - s.token_buffer.size();
    const size_t take = std::min({bases.size(), room, sizeof upper});
    for (size_t i = 0; i < take; ++i) {
      const unsigned char letter = static_cast<unsigned char>(bases[i]);
      const bool lowercase = letter >= 'a' && letter <= 'z';
      upper[i] = static_cast<char>(lowercase ? letter - 'a' + 'A' : letter);
      const size_t position = s.token_buffer.size();
      if (position % 8 == 0) s.mask_buffer.push_back(0);
      if (lowercase) s.mask_buffer.back() |= static_cast<uint8_t>(0x80u >> (position % 8));
      s.token_buffer.push_back(table[letter]);
    }
    hts_md5_update(s.md5, upper, static_cast<unsigned long>(take));
    s.length += static_cast<int64_t>(take);
    bases.remove_prefix(take);
    if (s.token_buffer.size() == static_cast<size_t>(store::kSequenceChunkTokens)) s.flush();
  }
}

void SequenceWriter::State::flush() {
  const std::string what = std::string(store::kSequencesGroup) + "/" + name;
  append_to_dataset(tokens.get(), written, token_buffer, what);
  append_to_dataset(mask.get(), written / 8, mask_buffer, what + " soft mask");
  written += static_cast<int64_t>(token_buffer.size());
  token_buffer.clear();
  mask_buffer.clear();
}

void SequenceWriter::finish(const std::string& source, const std::string& description) {
  State& s = *state_;
  s.flush();
  unsigned char digest[16];
  char hex[33];
  hts_md5_final(digest, s.md5);
  hts_md5_hex(hex, digest);
  const hid_t tokens = s.tokens.get();
  write_attribute(tokens, "tokenizer", std::string(dna::kTokenizerName));
  write_attribute(tokens, "vocabulary", dna::vocabulary());
  write_attribute(tokens, "source", source);
  write_attribute(tokens, "description", description);
  write_attribute(tokens, "length", s.length);
  write_attribute(tokens, "md5", std::string(hex));
  write_attribute(tokens, "soft_mask", std::string(store::kSoftMasksGroup) + "/" + s.name);
  write_attribute(s.mask.get(), "length", s.length);
  write_attribute(s.mask.get(), "bit_order", std::string("big"));
}

}  // namespace spindle
