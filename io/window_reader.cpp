#include "io/window_reader.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "io/dna_tokenizer.h"
#include "kernels/philox.h"

namespace spindle {
namespace {

// Philox counter words 2 and 3 for window draws, apart from the uniform/normal streams.
constexpr uint32_t kDomainWindow = 0x57494e44u;  // "WIND"
constexpr uint8_t kPadToken = 4;

}  // namespace

struct WindowReader::State {
  WindowReaderOptions options;
  std::optional<SequenceStoreReader> dna;
  std::optional<SeriesStoreReader> series;
  std::vector<RecordInfo> records;
  int64_t channels = 1;  // series: channels of every record
  // Where windows come from: the options' regions, or every record whole.
  struct Span {
    int64_t record, start, end;
  };
  std::vector<Span> spans;
  // Random: eligible spans (at least a window long) and the running total of their valid
  // starts; sequential: the running total of every span's windows.
  std::vector<int64_t> eligible, cumulative;
  int64_t total = 0;

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Tensor> free_buffers;
  struct Ready {
    Tensor data;  // the whole buffer; rows beyond windows.size() unused
    std::vector<WindowPlacement> windows;
  };
  std::deque<Ready> ready;
  std::exception_ptr error;
  bool producer_done = false, stopping = false;
  Tensor held;  // the buffer of the batch the consumer has now
  int64_t cursor = 0;
  std::thread producer;

  State(const std::string& path, const WindowReaderOptions& opts);
  void make_spans(const std::string& path);
  WindowPlacement placement(int64_t k) const;
  void fill(const Tensor& buffer, int64_t row, const WindowPlacement& window);
  void produce(int64_t first);
};

WindowReader::State::State(const std::string& path, const WindowReaderOptions& opts) : options(opts) {
  if (options.source == WindowSource::dna) {
    dna.emplace(path, options.chunk_cache_bytes);
    for (const SequenceInfo& sequence : dna->sequences()) records.push_back({sequence.name, sequence.length});
    return;
  }
  SPINDLE_CHECK(!options.reverse_complement, "WindowReader " + path, "reverse complement asked of series windows",
                "reverse_complement only with WindowSource::dna");
  series.emplace(path, options.chunk_cache_bytes);
  const std::vector<SeriesInfo>& all = series->series();
  channels = all.front().channels;
  for (const SeriesInfo& info : all) {
    SPINDLE_CHECK(info.channels == channels, path + ":/series/" + info.name,
                  std::to_string(info.channels) + " channels, but /series/" + all.front().name + " has " +
                      std::to_string(channels),
                  "series of one store with equal channel counts for one window reader");
    records.push_back({info.name, info.rows});
  }
}

void WindowReader::State::make_spans(const std::string& path) {
  if (options.regions.empty()) {
    for (size_t r = 0; r < records.size(); ++r) spans.push_back({static_cast<int64_t>(r), 0, records[r].length});
    return;
  }
  for (size_t i = 0; i < options.regions.size(); ++i) {
    const WindowRegion& region = options.regions[i];
    const std::string where = "WindowReader " + path + ": regions[" + std::to_string(i) + "]";
    const auto named = std::find_if(records.begin(), records.end(),
                                    [&](const RecordInfo& record) { return record.name == region.record; });
    SPINDLE_CHECK(named != records.end(), where, "no record named '" + region.record + "'", "a record of the store");
    SPINDLE_CHECK(0 <= region.start && region.start < region.end && region.end <= named->length, where,
                  region.record + " [" + std::to_string(region.start) + ", " + std::to_string(region.end) + ")",
                  "a non-empty range within the record's " + std::to_string(named->length) + " positions");
    spans.push_back({named - records.begin(), region.start, region.end});
  }
}

WindowPlacement WindowReader::State::placement(int64_t k) const {
  const int64_t length = options.window_tokens;
  WindowPlacement window;
  window.index = k;
  if (options.order == WindowOrder::random) {
    const philox::Block bits = philox::block(options.seed, static_cast<uint64_t>(k), kDomainWindow);
    const uint64_t draw = (static_cast<uint64_t>(bits.word[0]) << 32) | bits.word[1];
    // Uniform over [0, total) by the high half of a 64x64 product (Lemire), bias < total / 2^64.
    __extension__ using Wide = unsigned __int128;  // GCC/Clang extension: the 128-bit product
    const int64_t pick = static_cast<int64_t>((static_cast<Wide>(draw) * static_cast<uint64_t>(total)) >> 64);
    const size_t slot = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), pick) - cumulative.begin());
    const Span& span = spans[static_cast<size_t>(eligible[slot])];
    window.record = span.record;
    window.start = span.start + pick - (slot == 0 ? 0 : cumulative[slot - 1]);
    window.valid_tokens = length;
    window.reverse_complement = options.reverse_complement && (bits.word[2] & 1u);
    return window;
  }
  const size_t slot = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), k) - cumulative.begin());
  const Span& span = spans[slot];
  window.record = span.record;
  window.start = span.start + (k - (slot == 0 ? 0 : cumulative[slot - 1])) * options.stride_tokens;
  window.valid_tokens = std::min(length, span.end - window.start);
  return window;
}

void WindowReader::State::fill(const Tensor& buffer, int64_t row, const WindowPlacement& window) {
  const int64_t end = window.start + window.valid_tokens, length = options.window_tokens;
  const size_t record = static_cast<size_t>(window.record);
  if (dna) {
    uint8_t* tokens = buffer.data<uint8_t>() + row * length;
    dna->read_tokens(record, window.start, end, tokens);
    std::fill(tokens + window.valid_tokens, tokens + length, kPadToken);
    if (window.reverse_complement) dna::reverse_complement(tokens, window.valid_tokens);
    return;
  }
  float* values = buffer.data<float>() + row * length * channels;
  series->read_rows(record, window.start, end, values);
  std::fill(values + window.valid_tokens * channels, values + length * channels, NAN);
}

void WindowReader::State::produce(int64_t first) {
  try {
    for (int64_t k = first;;) {
      Tensor buffer;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stopping || !free_buffers.empty(); });
        if (stopping) return;
        buffer = std::move(free_buffers.back());
        free_buffers.pop_back();
      }
      const int64_t count = options.order == WindowOrder::random
                                ? options.batch_windows
                                : std::clamp<int64_t>(total - k, 0, options.batch_windows);
      Ready batch{buffer, {}};
      for (int64_t row = 0; row < count; ++row, ++k) {
        batch.windows.push_back(placement(k));
        fill(buffer, row, batch.windows.back());
      }
      std::lock_guard lock(mutex);
      if (count > 0) ready.push_back(std::move(batch));
      producer_done = count < options.batch_windows;
      changed.notify_all();
      if (producer_done) return;
    }
  } catch (...) {
    std::lock_guard lock(mutex);
    error = std::current_exception();
    producer_done = true;
    changed.notify_all();
  }
}

WindowReader::WindowReader(const std::string& store_path, const WindowReaderOptions& options, int64_t start_cursor)
    : state_(std::make_unique<State>(store_path, options)) {
  State& s = *state_;
  const auto check = [&](bool ok, const std::string& what, const std::string& expected) {
    SPINDLE_CHECK(ok, "WindowReader " + store_path, what, expected);
  };
  check(options.window_tokens > 0, "window of " + std::to_string(options.window_tokens), "a positive window");
  check(options.batch_windows > 0 && options.queue_depth > 0, "batch or queue depth below 1", "both >= 1");
  check(start_cursor >= 0, "negative cursor", "a cursor from WindowReader::cursor()");
  if (s.options.stride_tokens == 0) s.options.stride_tokens = options.window_tokens;
  check(s.options.stride_tokens > 0, "negative stride", "a stride >= 0");
  s.make_spans(store_path);
  for (size_t i = 0; i < s.spans.size(); ++i) {
    const int64_t length = s.spans[i].end - s.spans[i].start;
    if (options.order == WindowOrder::random) {
      if (length < options.window_tokens) continue;
      s.eligible.push_back(static_cast<int64_t>(i));
      s.total += length - options.window_tokens + 1;
    } else {
      // Starts 0, stride, ... up to the first window that reaches the span's end; with a stride
      // beyond the window, that start may lie past the end, so only starts inside the span count.
      const int64_t stride = s.options.stride_tokens;
      const int64_t beyond = std::max<int64_t>(0, length - options.window_tokens);
      const int64_t starts_inside = (length + stride - 1) / stride;
      s.total += std::max<int64_t>(1, std::min((beyond + stride - 1) / stride + 1, starts_inside));
    }
    s.cumulative.push_back(s.total);
  }
  check(s.total > 0, "no record or region is at least " + std::to_string(options.window_tokens) + " long",
        "a record (region) as long as the window");
  // Every buffer is allocated here, so that a refused pinned allocation fails at once.
  const Shape shape = s.dna ? Shape{options.batch_windows, options.window_tokens}
                            : Shape{options.batch_windows, options.window_tokens, s.channels};
  for (int i = 0; i <= options.queue_depth; ++i) {
    s.free_buffers.push_back(
        Tensor::empty(shape, s.dna ? DType::u8 : DType::f32, Device::cpu(), nullptr, options.host_memory));
  }
  s.cursor = start_cursor;
  s.producer = std::thread([&s, start_cursor] { s.produce(start_cursor); });
}

WindowReader::~WindowReader() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
  }
  s.changed.notify_all();
  s.producer.join();
}

bool WindowReader::next(WindowBatch& batch) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.held.defined()) {
    s.free_buffers.push_back(std::move(s.held));
    s.held = Tensor();
    s.changed.notify_all();
  }
  s.changed.wait(lock, [&] { return !s.ready.empty() || s.producer_done; });
  if (s.ready.empty()) {
    if (s.error) std::rethrow_exception(s.error);
    return false;
  }
  State::Ready ready = std::move(s.ready.front());
  s.ready.pop_front();
  s.held = ready.data;
  batch.data = ready.data.slice(0, 0, static_cast<int64_t>(ready.windows.size()));
  batch.windows = std::move(ready.windows);
  s.cursor += static_cast<int64_t>(batch.windows.size());
  return true;
}

int64_t WindowReader::cursor() const {
  std::lock_guard lock(state_->mutex);
  return state_->cursor;
}

int64_t WindowReader::window_count() const {
  return state_->options.order == WindowOrder::random ? -1 : state_->total;
}

const std::vector<RecordInfo>& WindowReader::records() const { return state_->records; }

WindowPlacement WindowReader::placement(int64_t k) const { return state_->placement(k); }

}  // namespace spindle
