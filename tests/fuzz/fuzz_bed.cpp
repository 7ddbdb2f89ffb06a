// read_bed on any bytes.
#include "io/genomic_regions.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7.bed", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal([&] { read_bed(path); }, "fz7.bed");
  return 0;
}
