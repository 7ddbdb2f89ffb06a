// read_mit_annotations on any bytes.
#include "io/wfdb_annotations.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7rec.atr", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal([&] { read_mit_annotations(path); }, "fz7rec.atr");
  return 0;
}
