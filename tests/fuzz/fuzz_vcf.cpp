// VcfReader (htslib underneath, spindle's normalisation on top) on any bytes, without a
// reference: every variant.
#include "io/vcf_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7.vcf", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal(
      [&] {
        VcfReader reader(path);
        Variant variant;
        while (reader.next(variant)) {
        }
      },
      "fz7.vcf");
  return 0;
}
