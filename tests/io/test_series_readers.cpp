// CSV, timestamps, WFDB signal formats and MIT annotations on small synthetic inputs whose
// every value is known; the real records are checked with h5py (check_series_store.py).
#include <gtest/gtest.h>

#include <cmath>

#include "io/csv_series.h"
#include "io/timestamp.h"
#include "io/wfdb_annotations.h"
#include "io/wfdb_record.h"
#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

TEST(Timestamp, FormatsAndImpossibleDates) {
  EXPECT_EQ(parse_timestamp_ns("1970-01-01"), 0);
  EXPECT_EQ(parse_timestamp_ns("1970-01-02 00:00"), 86'400'000'000'000);
  EXPECT_EQ(parse_timestamp_ns("2016-07-01 01:00:00"), int64_t{1467334800} * 1'000'000'000);
  EXPECT_EQ(parse_timestamp_ns("2016-07-01T01:00:00.5Z"), int64_t{1467334800} * 1'000'000'000 + 500'000'000);
  EXPECT_EQ(parse_timestamp_ns("1969-12-31 23:59:59"), -1'000'000'000);
  EXPECT_EQ(parse_timestamp_ns("1678-01-01"), int64_t{-9'214'560'000} * 1'000'000'000);
  EXPECT_EQ(parse_timestamp_ns("2261-12-31 23:59:59.999999999"), int64_t{9'214'646'399'999'999'999});
  // Outside int64 nanoseconds (the fuzzer found year 1008 overflowing): no value, no overflow.
  for (const char* outside : {"1677-12-31 23:59:59", "2262-01-01", "1008-07-01 00:00:00", "0000-01-01", "9999-12-31"}) {
    EXPECT_FALSE(parse_timestamp_ns(outside)) << outside;
  }
  for (const char* bad : {"2017-02-29", "2016-13-01", "2016-07-01 24:00", "2016-7-1", "yesterday", "2016-07-01 01:00:00.", ""}) {
    EXPECT_FALSE(parse_timestamp_ns(bad)) << bad;
  }
}

TEST(CsvSeries, ValuesTimesQuotesAndRegularRate) {
  TemporaryFolder folder;
  const std::string path = folder.write("s.csv", "\"a, quoted\",date,b\n1.5,2020-01-01 00:00:00,-2\n\"3\",2020-01-01 00:00:10,4e1\n");
  const Series series = read_csv_series(path, {std::string("date"), MissingPolicy::error});
  EXPECT_EQ(series.name, "s");
  EXPECT_EQ(series.rows, 2);
  EXPECT_EQ(series.channel_names, (std::vector<std::string>{"a, quoted", "b"}));
  EXPECT_EQ(series.values, (std::vector<float>{1.5f, -2.0f, 3.0f, 40.0f}));
  EXPECT_EQ(series.time_ns.size(), 2u);
  EXPECT_DOUBLE_EQ(*series.sampling_rate_hz, 0.1);
  EXPECT_EQ(*series.irregular_steps, 0);
}

TEST(CsvSeries, MissingValuePolicies) {
  TemporaryFolder folder;
  const std::string path = folder.write("m.csv", "t,a,b\n2020-01-01,1,2\n2020-01-02,,NaN\n2020-01-03,5,6\n");
  const Series masked = read_csv_series(path, {std::string("t"), MissingPolicy::mask});
  EXPECT_TRUE(std::isnan(masked.values[2]) && std::isnan(masked.values[3]));
  EXPECT_EQ(masked.missing, (std::vector<uint8_t>{0, 0, 1, 1, 0, 0}));
  const Series filled = read_csv_series(path, {std::string("t"), MissingPolicy::forward_fill});
  EXPECT_EQ(filled.values, (std::vector<float>{1, 2, 1, 2, 5, 6}));
  EXPECT_TRUE(filled.missing.empty());
  EXPECT_NE(message_of([&] { read_csv_series(path, {std::string("t"), MissingPolicy::error}); })
                .find("m.csv:3: column a: missing value"),
            std::string::npos);
  const std::string first = folder.write("f.csv", "t,a\n2020-01-01,\n");
  EXPECT_NE(message_of([&] { read_csv_series(first, {std::string("t"), MissingPolicy::forward_fill}); })
                .find("missing value in the first row"),
            std::string::npos);
}

TEST(CsvSeries, IrregularStepsAreCountedNotFatal) {
  TemporaryFolder folder;
  const std::string path =
      folder.write("i.csv", "t,a\n2020-01-01 00:00,1\n2020-01-01 01:00,2\n2020-01-01 03:00,3\n2020-01-01 04:00,4\n");
  const Series series = read_csv_series(path, {std::string("t"), MissingPolicy::error});
  EXPECT_EQ(*series.irregular_steps, 1);
  EXPECT_FALSE(series.sampling_rate_hz);
  EXPECT_EQ(series.time_ns.back() - series.time_ns.front(), int64_t{4} * 3600 * 1'000'000'000);
}

TEST(CsvSeries, WithoutTimeColumnADateIsAnUnparseableNumber) {
  TemporaryFolder folder;
  const std::string path = folder.write("d.csv", "date,a\n2020-01-01,1\n");
  EXPECT_NE(message_of([&] { read_csv_series(path, {std::nullopt, MissingPolicy::error}); })
                .find("d.csv:2: column date: unparseable number '2020-01-01' (expected a decimal number, empty or NaN (a time column? name it with --time-column))"),
            std::string::npos);
}

TEST(WfdbRecord, Format80WithTwoSignalsAndUnits) {
  TemporaryFolder folder;
  folder.write("r.hea", "r 2 100 3\nr.dat 80 100(10)/uV 8 0\nr.dat 80 50 8 0\n");
  // Frames (signal 0, signal 1) of offset-binary bytes: digital = byte - 128.
  folder.write("r.dat", std::string{char(128 + 10), char(128 + 50), char(128 + 110), char(128 - 50), char(0), char(128)});
  const Series series = read_wfdb_record(folder.file("r"));
  EXPECT_EQ(series.rows, 3);
  EXPECT_EQ(series.channels, 2);
  EXPECT_EQ(series.units, (std::vector<std::string>{"uV", "mV"}));
  EXPECT_EQ(*series.sampling_rate_hz, 100.0);
  ASSERT_EQ(series.values.size(), 6u);
  EXPECT_FLOAT_EQ(series.values[0], 0.0f);   // (10 - 10) / 100
  EXPECT_FLOAT_EQ(series.values[1], 1.0f);   // (50 - 0) / 50
  EXPECT_FLOAT_EQ(series.values[2], 1.0f);   // (110 - 10) / 100
  EXPECT_FLOAT_EQ(series.values[3], -1.0f);  // (-50 - 0) / 50
  EXPECT_TRUE(std::isnan(series.values[4])); // -128 is WFDB's invalid sample
  EXPECT_FLOAT_EQ(series.values[5], 0.0f);
}

TEST(WfdbRecord, Format212WithAnOddSampleCount) {
  TemporaryFolder folder;
  folder.write("o.hea", "o 1 360 3\no.dat 212 1 12 0 1 2047 0 only\n");
  // Samples 1, -1, 2047: bytes 01 F0 FF | FF 07 (the last pair half-filled).
  folder.write("o.dat", std::string{char(0x01), char(0xF0), char(0xFF), char(0xFF), char(0x07)});
  const Series series = read_wfdb_record(folder.file("o"));
  EXPECT_EQ(series.values, (std::vector<float>{1.0f, -1.0f, 2047.0f}));
  EXPECT_EQ(series.channel_names, (std::vector<std::string>{"only"}));
}

// Found by tests/fuzz: a format field without leading digits threw std::invalid_argument
// (no file, no line), and one past int's range std::out_of_range.
TEST(WfdbRecord, AFormatFieldThatIsNotANumberNamesTheHeaderLine) {
  TemporaryFolder folder;
  folder.write("f.dat", std::string(4, '\0'));
  for (const char* format : {"?212", "x1", "99999999999"}) {
    folder.write("f.hea", std::string("f 1 360 2\nf.dat ") + format + " 200 11 0\n");
    EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("f")); }).find("f.hea:2: signal format '"),
              std::string::npos)
        << format;
  }
}

// Found by tests/fuzz: a byte offset past the end of the file, with no sample count in the
// header, made a negative count that matched a negative size and was then used.
TEST(WfdbRecord, AByteOffsetPastTheFileOrACountPastItsBytesIsAnError) {
  TemporaryFolder folder;
  folder.write("b.dat", std::string(6, '\0'));
  folder.write("b.hea", "b 1 360\nb.dat 16+220 200 11 0\n");
  EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("b")); }).find("b.dat: is 6 bytes, shorter than its byte offset"),
            std::string::npos);
  folder.write("b.hea", "b 1 360 4611686018427387904\nb.dat 16 200 11 0\n");
  EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("b")); })
                .find("b.dat: header/data size mismatch: 6 bytes of samples (expected more bytes for 4611686018427387904"),
            std::string::npos);
  folder.write("b.hea", "b 1 360\nb.dat 16+-2 200 11 0\n");
  EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("b")); }).find("b.hea:2: negative byte offset"),
            std::string::npos);
}

TEST(MitAnnotations, ModifiersSkipAndCarriedFields) {
  TemporaryFolder folder;
  std::string bytes;
  const auto word = [&bytes](unsigned value) {
    bytes += static_cast<char>(value & 0xFF);
    bytes += static_cast<char>(value >> 8);
  };
  word((1u << 10) | 10);  // N at 10
  word((63u << 10) | 2);  // AUX "(N"
  bytes += "(N";
  word((62u << 10) | 1);  // CHN 1 (carries over)
  word(59u << 10);        // SKIP 65536
  word(1);
  word(0);
  word((5u << 10) | 5);   // V at 10 + 65536 + 5
  word((60u << 10) | 3);  // NUM 3
  word(0);
  const SeriesAnnotations annotations = read_mit_annotations(folder.write("a.atr", bytes));
  EXPECT_EQ(annotations.sample, (std::vector<int64_t>{10, 65551}));
  EXPECT_EQ(annotations.symbol, (std::vector<std::string>{"N", "V"}));
  EXPECT_EQ(annotations.aux, (std::vector<std::string>{"(N", ""}));
  EXPECT_EQ(annotations.channel, (std::vector<int8_t>{1, 1}));
  EXPECT_EQ(annotations.number, (std::vector<int8_t>{0, 3}));
  EXPECT_NE(message_of([&] { read_mit_annotations(folder.write("t.atr", bytes.substr(0, bytes.size() - 2))); })
                .find("no end-of-annotations word"),
            std::string::npos);
}

TEST(MitAnnotations, RealRecord100) {
  SPINDLE_SKIP_WITHOUT_SHARED_DATA("ecg/100.atr");
  const SeriesAnnotations annotations = read_mit_annotations(test::shared_data("ecg/100.atr"));
  std::map<std::string, int> counts;
  for (const std::string& symbol : annotations.symbol) ++counts[symbol];
  EXPECT_EQ(annotations.sample.size(), 2274u);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"N", 2239}, {"A", 33}, {"V", 1}, {"+", 1}}));
}

}  // namespace
}  // namespace spindle
