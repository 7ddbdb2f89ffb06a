// read_train_config on any YAML: every key, range and cross-check of a training config.
#include "pipelines/train/train_config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7train.yaml", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal([&] { read_train_config(path); }, "fz7train.yaml");
  return 0;
}
