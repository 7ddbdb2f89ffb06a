// read_caduceus_config on any bytes (a model's config.json).
#include "io/caduceus_checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7config.json", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal([&] { read_caduceus_config(path); }, "fz7config.json");
  return 0;
}
