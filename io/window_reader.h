// Windows from a store, for training (random windows) and scoring (sequential, possibly
// overlapping windows), produced by a background thread into a bounded queue of reusable
// host buffers: DNA tokens from /sequences, or time steps of every channel from /series.
//
// Window k (k = 0, 1, ...) is a pure function of the store, the options and k: random
// windows draw record, start and strand from Philox4x32-10 at counter k under `seed`,
// uniformly over every start position of every record at least a window long; sequential
// windows enumerate records in store order and starts 0, stride, 2*stride, ... within each.
// With `regions`, the same holds with the regions in place of whole records (so a trainer
// can hold out records or intervals for validation: no window crosses a region's end).
// So the order is the same for a given seed on every run, and a reader started at
// `cursor()` continues exactly where another stopped (exact resume).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/series_reader.h"
#include "io/store_reader.h"
#include "platform/memory.h"
#include "platform/tensor.h"

namespace spindle {

enum class WindowOrder {
  random,      // endless; uniform over valid starts of all records
  sequential,  // every window of every record once, then the end
};

enum class WindowSource {
  dna,     // /sequences/*: windows of uint8 tokens
  series,  // /series/*/values: windows of float32 [time, channel]; every series must have as many channels
};

// Positions [start, end) (0-based) of the record named `record`.
struct WindowRegion {
  std::string record;
  int64_t start = 0, end = 0;
  bool operator==(const WindowRegion&) const = default;
};

struct WindowReaderOptions {
  WindowSource source = WindowSource::dna;
  WindowOrder order = WindowOrder::random;
  int64_t window_tokens = 131072;  // L: tokens (DNA) or time steps (series)
  // Sequential: start-to-start distance in tokens (0: = window_tokens, no overlap). The last
  // window of a record may run past its end; those positions hold [PAD] (token 4) or NaN.
  int64_t stride_tokens = 0;
  int64_t batch_windows = 1;  // windows per buffer (rows of WindowBatch::tokens)
  int queue_depth = 4;        // buffers filled ahead of the consumer
  // Random DNA windows: each is reverse-complemented with probability 1/2 (also drawn from
  // Philox). An error for series.
  bool reverse_complement = false;
  uint64_t seed = 0;
  // Buffers in page-locked memory (for fast copies to a GPU: a trainer asks for it; this
  // fails where there is no CUDA driver) or ordinary pageable memory.
  HostMemory host_memory = HostMemory::pageable;
  // Windows only from these regions, in this order (sequential); empty: every record whole.
  // Regions must lie within their records; random windows skip regions shorter than a window.
  std::vector<WindowRegion> regions;
  // HDF5 chunk cache per record (see SequenceStoreReader / SeriesStoreReader).
  size_t chunk_cache_bytes = SequenceStoreReader::kDefaultChunkCacheBytes;
};

struct RecordInfo {
  std::string name;
  int64_t length = 0;  // tokens (DNA) or time steps (series)
};

struct WindowPlacement {
  int64_t index = 0;             // k, the window's position in the order
  int64_t record = 0;            // index into WindowReader::records()
  int64_t start = 0;             // 0-based first token (forward strand) or time step
  int64_t valid_tokens = 0;      // positions from the record (region); the rest is [PAD] (DNA) or NaN (series)
  bool reverse_complement = false;
};

struct WindowBatch {
  // On the host, valid until the next WindowReader::next: DNA u8 [windows, window_tokens];
  // series f32 [windows, window_tokens, channels].
  Tensor data;
  std::vector<WindowPlacement> windows;
};

class WindowReader {
 public:
  // Opens `store_path` and starts producing at window `start_cursor`.
  WindowReader(const std::string& store_path, const WindowReaderOptions& options, int64_t start_cursor = 0);
  // Stops and joins the producer.
  ~WindowReader();
  WindowReader(const WindowReader&) = delete;
  WindowReader& operator=(const WindowReader&) = delete;

  // The next batch (the buffer of the previous one is reused from now on); false when a
  // sequential reader has delivered every window. Rethrows a producer's error.
  bool next(WindowBatch& batch);
  // Windows delivered so far, counted from 0 (start_cursor included): give it to a new
  // reader with the same store and options to continue exactly after the last batch.
  int64_t cursor() const;
  // Total windows of a sequential reader (-1 for random).
  int64_t window_count() const;
  // The records windows come from, in store order (sorted by name).
  const std::vector<RecordInfo>& records() const;

  // Window k's placement without reading it (the order the reader follows).
  WindowPlacement placement(int64_t k) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
