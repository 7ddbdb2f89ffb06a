#include "platform/ops/index_flag.h"

namespace spindle::ops {

IndexFlag::IndexFlag(const Stream& stream)
    : stream_(stream), flag_(Tensor::zeros({1}, DType::i32, stream.device(), &stream)) {}

void IndexFlag::throw_if_set(const char* op, const char* name, const std::string& expected) const {
  const int32_t set = flag_.to(Device::cpu(), &stream_).to_vector<int32_t>()[0];
  SPINDLE_CHECK(set == 0, std::string(op) + ": " + name, "an index out of range on " + stream_.device().str(),
                expected);
}

}  // namespace spindle::ops
