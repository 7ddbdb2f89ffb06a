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

// pandas writes a zone-aware index as "2016-07-01 00:00:00+00:00": the offset is taken off, as
// ISO 8601 says, instead of the whole file being refused.
TEST(Timestamp, UtcOffsetsAreConvertedToUtc) {
  EXPECT_EQ(parse_timestamp_ns("2016-07-01 00:00:00+00:00"), parse_timestamp_ns("2016-07-01 00:00:00"));
  EXPECT_EQ(parse_timestamp_ns("2016-07-01 02:00:00+02:00"), parse_timestamp_ns("2016-07-01 00:00:00"));
  EXPECT_EQ(parse_timestamp_ns("2016-07-01T00:00:00.5-05:00"), parse_timestamp_ns("2016-07-01 05:00:00.5"));
  EXPECT_EQ(parse_timestamp_ns("2016-07-01 00:00+0530"), parse_timestamp_ns("2016-06-30 18:30"));
  for (const char* bad : {"2016-07-01 00:00:00+2", "2016-07-01 00:00:00+24:00", "2016-07-01 00:00:00+02:60",
                          "2016-07-01 00:00:00+02:00Z", "2016-07-01+02:00", "2016-07-01 00:00:00+02:00:00"}) {
    EXPECT_FALSE(parse_timestamp_ns(bad)) << bad;
  }
}

// Local times across the end of summer time repeat 02:00; their offsets keep them increasing.
TEST(CsvSeries, LocalTimesWithOffsetsAcrossADaylightSavingChange) {
  TemporaryFolder folder;
  const std::string path = folder.write(
      "dst.csv", "t,a\n2020-10-25 01:00+02:00,1\n2020-10-25 02:00+02:00,2\n2020-10-25 02:00+01:00,3\n"
                 "2020-10-25 03:00+01:00,4\n");
  const Series series = read_csv_series(path, {std::string("t"), MissingPolicy::error});
  EXPECT_EQ(*series.irregular_steps, 0);
  EXPECT_DOUBLE_EQ(*series.sampling_rate_hz, 1.0 / 3600);
  EXPECT_EQ(series.start_time_ns, parse_timestamp_ns("2020-10-24 23:00"));
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

// Excel's "CSV UTF-8" starts the file with a byte order mark: it is not part of the first name.
TEST(CsvSeries, AByteOrderMarkIsNotPartOfTheFirstColumnName) {
  TemporaryFolder folder;
  const std::string path = folder.write("bom.csv", "\xEF\xBB\xBF" "date,a\n2020-01-01,1\n2020-01-02,2\n");
  const Series series = read_csv_series(path, {std::string("date"), MissingPolicy::error});
  EXPECT_EQ(series.channel_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(series.time_ns.front(), 18262 * int64_t{86'400'000'000'000});
  const std::string values = folder.write("v.csv", "\xEF\xBB\xBF" "x,y\n1,2\n");
  EXPECT_EQ(read_csv_series(values, {std::nullopt, MissingPolicy::error}).channel_names,
            (std::vector<std::string>{"x", "y"}));
}

// A CRLF file's last header name ends with '\r': messages name the column without it (a '\r'
// in a terminal sends the cursor back and hides the file and line).
TEST(CsvSeries, ErrorsInTheLastColumnOfACrlfFileNameItCleanly) {
  TemporaryFolder folder;
  const std::string path = folder.write("crlf.csv", "date,a,b\r\n2020-01-01,1,x\r\n");
  const std::string message = message_of([&] { read_csv_series(path, {std::string("date"), MissingPolicy::error}); });
  EXPECT_NE(message.find("crlf.csv:2: column b: unparseable number 'x'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\r'), std::string::npos) << message;
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

// header(5): "13:05:00, or 13:5:0" and "25/4/1989" are valid base times and dates; they were
// dropped without a word, and so was an impossible date.
TEST(WfdbRecord, BaseTimeAndDateInTheirShortFormsOrAnErrorNamingTheLine) {
  TemporaryFolder folder;
  folder.write("t.dat", std::string{char(1), char(0), char(2), char(0)});
  for (const char* base : {"13:5:0 25/4/1989", "13:05:00 25/04/1989", "13:05:00.000 25/04/1989"}) {
    folder.write("t.hea", std::string("t 1 360 2 ") + base + "\nt.dat 16 200 16 0\n");
    EXPECT_EQ(read_wfdb_record(folder.file("t")).start_time_ns, parse_timestamp_ns("1989-04-25 13:05:00")) << base;
  }
  folder.write("t.hea", "t 1 360 2 9:5:0.25 1/2/2000\nt.dat 16 200 16 0\n");
  EXPECT_EQ(read_wfdb_record(folder.file("t")).start_time_ns, parse_timestamp_ns("2000-02-01 09:05:00.25"));
  // As the WFDB library's strtim reads it, "MM:SS" is minutes and seconds.
  folder.write("t.hea", "t 1 360 2 13:05 1/2/2000\nt.dat 16 200 16 0\n");
  EXPECT_EQ(read_wfdb_record(folder.file("t")).start_time_ns, parse_timestamp_ns("2000-02-01 00:13:05"));
  // A well-formed date in a year int64 nanoseconds cannot hold: no start time, not an error.
  folder.write("t.hea", "t 1 360 2 13:05:00 01/01/2500\nt.dat 16 200 16 0\n");
  EXPECT_FALSE(read_wfdb_record(folder.file("t")).start_time_ns.has_value());
  for (const char* bad : {"13:05:00 31/02/1989", "25:00:00 01/01/2000", "1:2:3:4 01/01/2000", "13:05:00 1989-04-25",
                          "25:00:00 01/01/2500"}) {
    folder.write("t.hea", std::string("t 1 360 2 ") + bad + "\nt.dat 16 200 16 0\n");
    EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("t")); }).find("t.hea:1: base time and date '"),
              std::string::npos)
        << bad;
  }
}

// "spindle ingest wfdb data/100.hea" said "data/100.hea.hea: cannot open" of a header that is there.
TEST(WfdbRecord, AHeaderFileGivenForTheRecordIsNamedAsSuch) {
  TemporaryFolder folder;
  folder.write("h.hea", "h 1 360 2\nh.dat 16 200 16 0\n");
  folder.write("h.dat", std::string{char(1), char(0), char(2), char(0)});
  EXPECT_NE(message_of([&] { read_wfdb_record(folder.file("h.hea")); })
                .find("h.hea: a header file in place of its record (expected the record without extension: " +
                      folder.file("h") + ")"),
            std::string::npos);
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
