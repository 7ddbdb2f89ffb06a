// read_wfdb_record on any header and signal file: the input up to its first NUL byte is
// fz7rec.hea, the rest is fz7rec.dat (the file a header names with "fz7rec.dat").
#include <algorithm>
#include <filesystem>

#include "io/wfdb_record.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string_view input = fuzz::as_text(data, size);
  const size_t split = std::min(input.find('\0'), input.size());
  const std::string header = fuzz::write_scratch_file("fz7rec.hea", input.substr(0, split));
  fuzz::write_scratch_file("fz7rec.dat", input.substr(std::min(split + 1, input.size())));
  const std::string record = std::filesystem::path(header).replace_extension().string();
  fuzz::expect_clean_refusal([&] { read_wfdb_record(record); }, "fz7rec");
  return 0;
}
