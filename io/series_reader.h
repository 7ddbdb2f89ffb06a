// Reading signals from a spindle store: the list of series and any range of time steps of
// /series/<name>/values (all channels), through datasets opened once with a chunk cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spindle {

struct SeriesInfo {
  std::string name;
  int64_t rows = 0;      // time steps
  int64_t channels = 0;
};

class SeriesStoreReader {
 public:
  // Raw chunk cache per series: 64 MiB (a 12-lead ECG of an hour at 1 kHz is 173 MB).
  static constexpr size_t kDefaultChunkCacheBytes = size_t{64} << 20;

  // Opens `path` (format checked); throws if it holds no series.
  explicit SeriesStoreReader(const std::string& path, size_t chunk_cache_bytes = kDefaultChunkCacheBytes);
  ~SeriesStoreReader();
  const std::string& path() const;
  // In store order (sorted by name).
  const std::vector<SeriesInfo>& series() const;
  // Rows [begin, end) (0-based time steps, end exclusive) of series `index`, every channel,
  // as float32 row-major into `out` ((end - begin) * channels values).
  void read_rows(size_t index, int64_t begin, int64_t end, float* out) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
