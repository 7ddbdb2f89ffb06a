#include "platform/ops/embedding.h"
#include "tests/gpu/backend_ops.h"
#include "tests/support/gpu.h"

namespace spindle::testing {
namespace {

// Ids cycle through the vocabulary with repeats; widths not multiples of 256.
template <typename Id>
Tensor make_ids(const Backend& be, int64_t n, int64_t vocab) {
  std::vector<Id> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<Id>((i * 7 + i / 3) % vocab);
  return Tensor::from_vector(ids, {n}).to(be.device);
}

template <typename Id>
std::vector<std::pair<std::string, Tensor>> run(const Backend& be, int64_t n, int64_t vocab, int64_t dim) {
  const Tensor ids = make_ids<Id>(be, n, vocab);
  const Tensor table = be.parameter({vocab, dim}, 1);
  const Tensor dout = be.input({n, dim}, 2);
  Tensor out = be.output({n, dim});
  Tensor dtable = be.parameter_gradient(table.shape(), 3);
  ops::embedding_forward(ids, table, out);
  ops::embedding_backward(ids, dout, dtable);
  return {{"out", out}, {"dtable", dtable}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"embedding_i32_n10007_v12_d257", [](const Backend& be) { return run<int32_t>(be, 10007, 12, 257); }}),
    // Segments of several id tiles, the last one partial.
    RegisterOpCase({"embedding_i32_n100003_v5_d37", [](const Backend& be) { return run<int32_t>(be, 100003, 5, 37); }}),
    RegisterOpCase({"embedding_i64_n300_v1000_d3", [](const Backend& be) { return run<int64_t>(be, 300, 1000, 3); }}),
    RegisterOpCase({"embedding_i64_n1_v1_d1", [](const Backend& be) { return run<int64_t>(be, 1, 1, 1); }}),
};

// On the GPU an id out of range is flagged by the kernel and reported as an Error.
TEST(EmbeddingGpu, IdsOutOfRangeAreErrors) {
  SPINDLE_REQUIRE_GPUS(1);
  const Device gpu = Device::cuda(0);
  const Tensor table = Tensor::zeros({4, 3}, DType::f32, gpu);
  Tensor out = Tensor::empty({2, 3}, DType::f32, gpu);
  EXPECT_THROW(ops::embedding_forward(Tensor::from_vector<int32_t>({1, 4}, {2}).to(gpu), table, out), Error);
  Tensor dtable = Tensor::zeros({4, 3}, DType::f32, gpu);
  const Tensor dout = Tensor::zeros({2, 3}, DType::bf16, gpu);
  EXPECT_THROW(ops::embedding_backward(Tensor::from_vector<int64_t>({-1, 0}, {2}).to(gpu), dout, dtable), Error);
  EXPECT_NO_THROW(ops::embedding_forward(Tensor::from_vector<int32_t>({3, 0}, {2}).to(gpu), table, out));
}

}  // namespace
}  // namespace spindle::testing
