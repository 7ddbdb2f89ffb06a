#include "platform/ops/flip.h"
#include "platform/ops/reverse_complement.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

using ops::SequenceLayout;

std::vector<std::pair<std::string, Tensor>> run_flip(const Backend& be, Shape shape, SequenceLayout layout) {
  const Tensor x = be.input(shape, 1);
  Tensor y = be.output(shape);
  ops::flip_length(x, y, layout);
  return {{"y", y}};
}

std::vector<std::pair<std::string, Tensor>> run_rc_channels(const Backend& be, Shape shape) {
  const Tensor x = be.input(shape, 1);
  Tensor y = be.output(shape);
  ops::reverse_complement_channels(x, y);
  return {{"y", y}};
}

// Token ids 0..12 (every tokenizer id and one beyond); the result is compared as f64.
template <typename Id>
std::vector<std::pair<std::string, Tensor>> run_rc_tokens(const Backend& be, int64_t batch, int64_t length) {
  std::vector<Id> ids(static_cast<size_t>(batch * length));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<Id>((i * 7919 + 3) % 13);
  const Tensor in = Tensor::from_vector(ids, {batch, length}).to(be.device);
  Tensor out = Tensor::empty(in.shape(), in.dtype(), be.device);
  ops::reverse_complement_tokens(in, out);
  const std::vector<Id> got = out.to(Device::cpu()).to_vector<Id>();
  return {{"ids", Tensor::from_vector(std::vector<double>(got.begin(), got.end()), in.shape())}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"flip_channels_first_2x37x1001", [](const Backend& be) { return run_flip(be, {2, 37, 1001}, SequenceLayout::channels_first); }}),
    RegisterOpCase({"flip_channels_last_3x257x17", [](const Backend& be) { return run_flip(be, {3, 257, 17}, SequenceLayout::channels_last); }}),
    // Rows of 256 and 6 channels: moved in 16-byte and 8-/4-byte units.
    RegisterOpCase({"flip_channels_last_2x129x256", [](const Backend& be) { return run_flip(be, {2, 129, 256}, SequenceLayout::channels_last); }}),
    RegisterOpCase({"flip_channels_last_2x33x6", [](const Backend& be) { return run_flip(be, {2, 33, 6}, SequenceLayout::channels_last); }}),
    RegisterOpCase({"flip_channels_last_1x1x3", [](const Backend& be) { return run_flip(be, {1, 1, 3}, SequenceLayout::channels_last); }}),
    RegisterOpCase({"rc_channels_2x1000x34", [](const Backend& be) { return run_rc_channels(be, {2, 1000, 34}); }}),
    RegisterOpCase({"rc_tokens_i32_3x1001", [](const Backend& be) { return run_rc_tokens<int32_t>(be, 3, 1001); }}),
    RegisterOpCase({"rc_tokens_i64_2x257", [](const Backend& be) { return run_rc_tokens<int64_t>(be, 2, 257); }}),
    RegisterOpCase({"rc_tokens_u8_1x1", [](const Backend& be) { return run_rc_tokens<uint8_t>(be, 1, 1); }}),
};

}  // namespace
}  // namespace spindle::testing
