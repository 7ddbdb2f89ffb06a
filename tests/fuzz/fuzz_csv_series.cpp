// read_csv_series on any bytes. The first byte picks the missing-value policy and whether
// a "date" column is the time axis, so that every path of the reader is reachable.
#include "io/csv_series.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  if (size == 0) return 0;
  CsvOptions options;
  options.missing = static_cast<MissingPolicy>(data[0] % 3);
  if (data[0] & 4) options.time_column = "date";
  const std::string path = fuzz::write_scratch_file("fz7.csv", fuzz::as_text(data + 1, size - 1));
  fuzz::expect_clean_refusal([&] { read_csv_series(path, options); }, "fz7.csv");
  return 0;
}
