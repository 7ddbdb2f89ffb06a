// Caduceus against the reference implementation: model directories written by the
// reference code (kuleshov-group/caduceus with mamba_ssm's Python modules and its
// pure-PyTorch selective_scan_ref, float32 on an H100, TF32 off) load unchanged, and
// spindle's logits and last hidden state equal the reference's to float32 rounding.
// tests/data/caduceus_reference/README.md says how the dumps were made.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "io/caduceus_checkpoint.h"
#include "io/safetensors.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

std::string reference_dir(const std::string& variant) {
  const char* source = std::getenv("SPINDLE_SOURCE_DIR");
  if (!source) throw std::runtime_error("SPINDLE_SOURCE_DIR is not set (run the tests through ctest)");
  return std::string(source) + "/tests/data/caduceus_reference/" + variant;
}

class CaduceusReference : public ::testing::TestWithParam<const char*> {};

TEST_P(CaduceusReference, LogitsAndHiddenStatesMatch) {
  const std::string dir = reference_dir(GetParam());
  Caduceus model = load_caduceus(dir, Device::cpu());
  SafetensorsReader expected(dir + "/expected.safetensors");
  const Tensor ids = expected.read("input_ids");
  Tensor logits, hidden;
  model.forward(ids, DType::f32, logits, &hidden, false);
  const double logits_error = testing::relative_error(logits, expected.read("logits", DType::f32));
  const double hidden_error = testing::relative_error(hidden, expected.read("last_hidden_state", DType::f32));
  EXPECT_LT(logits_error, 1e-4);
  EXPECT_LT(hidden_error, 1e-4);
  std::printf("%s: relative error logits %.2e, last hidden state %.2e\n", GetParam(), logits_error, hidden_error);
}

INSTANTIATE_TEST_SUITE_P(Caduceus, CaduceusReference,
                         ::testing::Values("ph_fused", "ph_unfused_layernorm", "ps_fused", "ps_unfused"),
                         [](const auto& info) { return std::string(info.param); });

// The fused and unfused add + norm paths of the reference's PS model compute different
// functions (same weights, same input): spindle must follow each, not one for both.
TEST(CaduceusReference, FusedAndUnfusedPsPathsDiffer) {
  SafetensorsReader fused(reference_dir("ps_fused") + "/expected.safetensors");
  SafetensorsReader unfused(reference_dir("ps_unfused") + "/expected.safetensors");
  EXPECT_GT(testing::relative_error(fused.read("logits", DType::f32), unfused.read("logits", DType::f32)), 1e-2);
}

}  // namespace
}  // namespace spindle
