// Reading DNA tokens from a spindle store: the list of sequences and any range of tokens,
// through datasets opened once with a chunk cache sized for window reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spindle {

struct SequenceInfo {
  std::string name;
  int64_t length = 0;  // tokens
};

class SequenceStoreReader {
 public:
  // Raw chunk cache per sequence dataset: 256 decompressed 1 Mi-token chunks, enough for
  // the longest human chromosome (chr1, 249 Mb), so that random windows decompress each
  // chunk once. Memory grows only with the chunks read: at most the decompressed size of
  // the records read, and never more than this per record.
  static constexpr size_t kDefaultChunkCacheBytes = size_t{256} << 20;

  // Opens `path` (format checked, io/store_file.h); throws if it holds no sequences.
  explicit SequenceStoreReader(const std::string& path, size_t chunk_cache_bytes = kDefaultChunkCacheBytes);
  ~SequenceStoreReader();
  const std::string& path() const;
  // In store order (sorted by name).
  const std::vector<SequenceInfo>& sequences() const;
  // Tokens [begin, end) (0-based, end exclusive) of sequence `index` into `out`.
  void read_tokens(size_t index, int64_t begin, int64_t end, uint8_t* out) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
