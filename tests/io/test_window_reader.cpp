// Window readers: content equals the store, deterministic order per seed, exact resume
// from a cursor, sequential coverage with overlap and padding, pinned buffers explicit.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

#include "io/csv_series.h"
#include "io/dna_tokenizer.h"
#include "io/series_writer.h"
#include "io/store_transaction.h"
#include "io/window_reader.h"
#include "kernels/error.h"
#include "pipelines/ingest_fasta.h"
#include "platform/device.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

class WindowReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 generator(7);
    std::string fasta;
    for (const auto& [name, length] : std::vector<std::pair<std::string, int>>{{"a", 5000}, {"b", 300}, {"c", 2049}}) {
      std::string bases(static_cast<size_t>(length), 'A');
      for (char& base : bases) base = "ACGTNacgt"[generator() % 9];
      bases_.push_back(bases);
      fasta += ">" + name + "\n" + bases + "\n";
    }
    store_ = folder_.file("w.h5");
    StoreTransaction store(store_);
    ingest_fasta(folder_.write("w.fa", fasta), store, store::Compression::gzip);
    store.commit();
  }

  // Tokens the window should hold, computed from the FASTA text.
  std::vector<uint8_t> expected(const WindowPlacement& window, int64_t length) const {
    const std::string& bases = bases_[static_cast<size_t>(window.record)];
    std::vector<uint8_t> tokens(static_cast<size_t>(length), 4);
    for (int64_t i = 0; i < window.valid_tokens; ++i) {
      tokens[i] = dna::token_table()[static_cast<unsigned char>(bases[window.start + i])];
    }
    if (window.reverse_complement) {
      std::reverse(tokens.begin(), tokens.begin() + window.valid_tokens);
      for (int64_t i = 0; i < window.valid_tokens; ++i) tokens[i] = dna::complement(tokens[i]);
    }
    return tokens;
  }

  std::vector<std::vector<uint8_t>> read_batches(WindowReader& reader, int batches) {
    std::vector<std::vector<uint8_t>> rows;
    WindowBatch batch;
    for (int b = 0; b < batches && reader.next(batch); ++b) {
      for (int64_t r = 0; r < batch.data.size(0); ++r) {
        const uint8_t* row = batch.data.data<uint8_t>() + r * batch.data.row_pitch();
        rows.emplace_back(row, row + batch.data.size(1));
      }
    }
    return rows;
  }

  test::TemporaryFolder folder_;
  std::string store_;
  std::vector<std::string> bases_;
};

TEST_F(WindowReaderTest, RandomWindowsHoldTheStoredTokensOfEveryLongEnoughRecord) {
  WindowReaderOptions options;
  options.window_tokens = 1000;
  options.batch_windows = 8;
  options.reverse_complement = true;
  options.seed = 11;
  WindowReader reader(store_, options);
  WindowBatch batch;
  std::set<int64_t> records;
  int reversed = 0;
  for (int b = 0; b < 50; ++b) {
    ASSERT_TRUE(reader.next(batch));
    ASSERT_EQ(batch.data.shape(), (Shape{8, 1000}));
    for (size_t r = 0; r < batch.windows.size(); ++r) {
      const WindowPlacement& window = batch.windows[r];
      ASSERT_NE(window.record, 1) << "record b is shorter than the window";
      ASSERT_LE(window.start + 1000, static_cast<int64_t>(bases_[window.record].size()));
      const uint8_t* row = batch.data.data<uint8_t>() + r * 1000;
      ASSERT_EQ(std::vector<uint8_t>(row, row + 1000), expected(window, 1000)) << "window " << window.index;
      records.insert(window.record);
      reversed += window.reverse_complement;
    }
  }
  EXPECT_EQ(records, (std::set<int64_t>{0, 2}));
  EXPECT_GT(reversed, 150);  // about half of 400
  EXPECT_LT(reversed, 250);
  EXPECT_EQ(reader.cursor(), 400);
}

TEST_F(WindowReaderTest, SameSeedSameOrderAndExactResumeFromTheCursor) {
  WindowReaderOptions options;
  options.window_tokens = 512;
  options.batch_windows = 3;
  options.seed = 5;
  WindowReader first(store_, options);
  const auto head = read_batches(first, 4);
  const int64_t cursor = first.cursor();
  EXPECT_EQ(cursor, 12);
  const auto tail = read_batches(first, 5);

  WindowReader resumed(store_, options, cursor);
  EXPECT_EQ(read_batches(resumed, 5), tail);
  WindowReader again(store_, options);
  EXPECT_EQ(read_batches(again, 4), head);
  options.seed = 6;
  WindowReader other(store_, options);
  EXPECT_NE(read_batches(other, 4), head);
}

TEST_F(WindowReaderTest, SequentialWindowsCoverEveryRecordWithOverlapAndPadding) {
  WindowReaderOptions options;
  options.order = WindowOrder::sequential;
  options.window_tokens = 1000;
  options.stride_tokens = 600;
  options.batch_windows = 4;
  WindowReader reader(store_, options);
  // a: starts 0..4200 by 600 (8 windows, last = 4200..5000); b: 1 padded window; c: 0, 600, 1200 (3).
  EXPECT_EQ(reader.window_count(), 8 + 1 + 3);
  std::vector<WindowPlacement> seen;
  WindowBatch batch;
  while (reader.next(batch)) {
    for (size_t r = 0; r < batch.windows.size(); ++r) {
      const uint8_t* row = batch.data.data<uint8_t>() + r * 1000;
      ASSERT_EQ(std::vector<uint8_t>(row, row + 1000), expected(batch.windows[r], 1000));
      seen.push_back(batch.windows[r]);
    }
  }
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_EQ(seen[7].start, 4200);
  EXPECT_EQ(seen[7].valid_tokens, 800);
  EXPECT_EQ(seen[8].record, 1);
  EXPECT_EQ(seen[8].valid_tokens, 300);
  EXPECT_EQ(seen[11].start, 1200);
  EXPECT_EQ(seen[11].valid_tokens, 849);
  EXPECT_EQ(reader.cursor(), 12);
  EXPECT_FALSE(reader.next(batch));
}

// A stride longer than the window skips positions between windows; no window may start at or
// past its record's end (a: 5000 bases, b: 300, c: 2049).
TEST_F(WindowReaderTest, SequentialWindowsWithAStrideBeyondTheWindowStartInsideTheirRecord) {
  WindowReaderOptions options;
  options.order = WindowOrder::sequential;
  options.window_tokens = 1000;
  options.stride_tokens = 2500;
  options.batch_windows = 2;
  WindowReader reader(store_, options);
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> expected_placements{
      {0, 0, 1000}, {0, 2500, 1000}, {1, 0, 300}, {2, 0, 1000}};
  EXPECT_EQ(reader.window_count(), 4);
  std::vector<std::tuple<int64_t, int64_t, int64_t>> seen;
  WindowBatch batch;
  while (reader.next(batch)) {
    for (size_t r = 0; r < batch.windows.size(); ++r) {
      const WindowPlacement& window = batch.windows[r];
      const uint8_t* row = batch.data.data<uint8_t>() + r * 1000;
      ASSERT_EQ(std::vector<uint8_t>(row, row + 1000), expected(window, 1000));
      seen.emplace_back(window.record, window.start, window.valid_tokens);
    }
  }
  EXPECT_EQ(seen, expected_placements);
}

TEST_F(WindowReaderTest, RegionsConfineWindowsAndNoneCrossesARegionsEnd) {
  WindowReaderOptions options;
  options.window_tokens = 100;
  options.batch_windows = 16;
  options.seed = 9;
  options.regions = {{"a", 1000, 1500}, {"c", 0, 150}, {"a", 4950, 5000}};  // the last is shorter than a window
  WindowReader random(store_, options);
  WindowBatch batch;
  std::set<int64_t> records;
  for (int b = 0; b < 20; ++b) {
    ASSERT_TRUE(random.next(batch));
    for (size_t r = 0; r < batch.windows.size(); ++r) {
      const WindowPlacement& window = batch.windows[r];
      const bool in_a = window.record == 0 && window.start >= 1000 && window.start + 100 <= 1500;
      const bool in_c = window.record == 2 && window.start + 100 <= 150;
      ASSERT_TRUE(in_a || in_c) << "record " << window.record << " start " << window.start;
      const uint8_t* row = batch.data.data<uint8_t>() + r * 100;
      ASSERT_EQ(std::vector<uint8_t>(row, row + 100), expected(window, 100));
      records.insert(window.record);
    }
  }
  EXPECT_EQ(records, (std::set<int64_t>{0, 2}));

  options.order = WindowOrder::sequential;
  options.batch_windows = 4;
  WindowReader sequential(store_, options);
  // a: 1000..1400 by 100; c: 0, 100 (50 valid); a: 4950 (50 valid), in the regions' order.
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> expected_placements{
      {0, 1000, 100}, {0, 1100, 100}, {0, 1200, 100}, {0, 1300, 100}, {0, 1400, 100},
      {2, 0, 100},    {2, 100, 50},   {0, 4950, 50}};
  EXPECT_EQ(sequential.window_count(), 8);
  std::vector<std::tuple<int64_t, int64_t, int64_t>> seen;
  while (sequential.next(batch)) {
    for (const WindowPlacement& window : batch.windows) seen.emplace_back(window.record, window.start, window.valid_tokens);
  }
  EXPECT_EQ(seen, expected_placements);

  options.regions = {{"z", 0, 10}};
  EXPECT_THROW(WindowReader(store_, options), Error) << "unknown record";
  options.regions = {{"b", 0, 301}};
  EXPECT_THROW(WindowReader(store_, options), Error) << "past the record's end";
  options.regions = {{"b", 20, 20}};
  EXPECT_THROW(WindowReader(store_, options), Error) << "empty";
}

TEST_F(WindowReaderTest, PinnedBuffersAreExplicitNeverAFallback) {
  WindowReaderOptions options;
  options.window_tokens = 256;
  options.host_memory = HostMemory::pinned;
  if (cuda_device_count() == 0) {
    EXPECT_THROW(WindowReader(store_, options), Error);
    return;
  }
  WindowReader reader(store_, options);
  WindowBatch batch;
  ASSERT_TRUE(reader.next(batch));
  EXPECT_TRUE(batch.data.storage()->pinned());
}

TEST_F(WindowReaderTest, AWindowLongerThanEveryRecordIsAnError) {
  WindowReaderOptions options;
  options.window_tokens = 6000;
  EXPECT_THROW(WindowReader(store_, options), Error);
}

// Series windows: float32 [windows, L, channels] equal to the CSV's rows, NaN past a record's end.
TEST(SeriesWindowReader, WindowsHoldTheRowsOfEveryChannel) {
  SPINDLE_SKIP_WITHOUT_SHARED_DATA("ett/ETTh1.csv");
  test::TemporaryFolder folder;
  const Series etth1 = read_csv_series(test::shared_data("ett/ETTh1.csv"), {std::string("date"), MissingPolicy::error});
  const std::string path = folder.file("ett.h5");
  {
    StoreTransaction store(path);
    write_series(store, etth1, store::Compression::gzip);
    store.commit();
  }
  WindowReaderOptions options;
  options.source = WindowSource::series;
  options.window_tokens = 336;
  options.batch_windows = 4;
  options.seed = 3;
  WindowReader random(path, options);
  ASSERT_EQ(random.records().size(), 1u);
  EXPECT_EQ(random.records()[0].length, 17420);
  WindowBatch batch;
  for (int b = 0; b < 10; ++b) {
    ASSERT_TRUE(random.next(batch));
    ASSERT_EQ(batch.data.shape(), (Shape{4, 336, 7}));
    for (size_t w = 0; w < batch.windows.size(); ++w) {
      const float* window = batch.data.data<float>() + w * 336 * 7;
      const float* expected = etth1.values.data() + batch.windows[w].start * 7;
      ASSERT_TRUE(std::equal(window, window + 336 * 7, expected)) << "window at row " << batch.windows[w].start;
    }
  }
  options.order = WindowOrder::sequential;
  options.window_tokens = 5000;
  WindowReader sequential(path, options);
  EXPECT_EQ(sequential.window_count(), 4);  // starts 0, 5000, 10000, 15000
  ASSERT_TRUE(sequential.next(batch));
  const WindowPlacement& last = batch.windows[3];
  EXPECT_EQ(last.valid_tokens, 2420);
  const float* tail = batch.data.data<float>() + 3 * 5000 * 7;
  EXPECT_EQ(tail[2419 * 7 + 6], etth1.values.back());
  EXPECT_TRUE(std::isnan(tail[2420 * 7]));
  options.reverse_complement = true;
  EXPECT_THROW(WindowReader(path, options), Error);
  options.reverse_complement = false;
  {
    Series two_channels;
    two_channels.name = "pair";
    two_channels.rows = 6000;
    two_channels.channels = 2;
    two_channels.values.assign(12000, 1.0f);
    two_channels.channel_names = two_channels.units = {"x", "y"};
    StoreTransaction store(path);
    write_series(store, two_channels, store::Compression::none);
    store.commit();
  }
  EXPECT_THROW(WindowReader(path, options), Error) << "series of 7 and 2 channels in one reader";
}

}  // namespace
}  // namespace spindle
