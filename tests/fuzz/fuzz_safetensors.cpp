// SafetensorsReader on any bytes: the header, then every tensor it lists.
#include "io/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7.safetensors", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal(
      [&] {
        SafetensorsReader reader(path);
        for (const SafetensorsEntry& entry : reader.entries()) reader.read(entry.name);
      },
      "fz7.safetensors");
  return 0;
}
