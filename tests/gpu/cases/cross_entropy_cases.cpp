#include "platform/ops/cross_entropy.h"
#include "tests/gpu/backend_ops.h"
#include "tests/support/gpu.h"
#include "tests/support/tensors.h"

namespace spindle::testing {
namespace {

// Every 5th row ignored; vocabularies from 1 to 65536 (not multiples of the 512-thread block
// except the largest); logits in [-3, 3], where bf16 rounds them by at most 2^-7.
template <typename Id>
std::vector<std::pair<std::string, Tensor>> run(const Backend& be, int64_t rows, int64_t vocab, double smoothing) {
  std::vector<Id> t(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) t[r] = static_cast<Id>(r % 5 == 4 ? -100 : (r * 131 + 7) % vocab);
  const Tensor targets = Tensor::from_vector(t, {rows}).to(be.device);
  const Tensor logits = be.input({rows, vocab}, 1, -3, 3);
  Tensor loss = poisoned({rows}, be.parameters, be.device);
  Tensor dlogits = be.output(logits.shape());
  Tensor valid = Tensor::empty({1}, DType::i64, be.device);
  ops::cross_entropy(logits, targets, loss, &dlogits, valid, {-100, smoothing, 0.25});
  const int64_t count = valid.to(Device::cpu()).to_vector<int64_t>()[0];
  return {{"loss", loss}, {"dlogits", dlogits}, {"valid_rows", Tensor::from_vector<double>({double(count)}, {1})}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"cross_entropy_i64_r1000_v12", [](const Backend& be) { return run<int64_t>(be, 1000, 12, 0.0); }}),
    RegisterOpCase({"cross_entropy_i32_r37_v1000_smooth", [](const Backend& be) { return run<int32_t>(be, 37, 1000, 0.1); }}),
    RegisterOpCase({"cross_entropy_i32_r3_v1", [](const Backend& be) { return run<int32_t>(be, 3, 1, 0.0); }}),
    RegisterOpCase({"cross_entropy_i64_r9_v65536_smooth", [](const Backend& be) { return run<int64_t>(be, 9, 65536, 0.2); }}),
    RegisterOpCase({"cross_entropy_i64_r4_v70001", [](const Backend& be) { return run<int64_t>(be, 4, 70001, 0.0); }}),
};

// On the GPU a target out of range is flagged by the kernel and reported as an Error.
TEST(CrossEntropyGpu, TargetsOutOfRangeAreErrors) {
  SPINDLE_REQUIRE_GPUS(1);
  const Device gpu = Device::cuda(0);
  const Tensor logits = Tensor::zeros({2, 4}, DType::bf16, gpu);
  Tensor loss = Tensor::empty({2}, DType::f32, gpu), valid = Tensor::empty({1}, DType::i64, gpu);
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_vector<int32_t>({0, 4}, {2}).to(gpu), loss, nullptr, valid),
               Error);
  EXPECT_NO_THROW(ops::cross_entropy(logits, Tensor::from_vector<int32_t>({-100, 3}, {2}).to(gpu), loss, nullptr, valid));
}

}  // namespace
}  // namespace spindle::testing
