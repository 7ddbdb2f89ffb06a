#include "platform/ops/reverse_complement.h"

#include "kernels/reverse_complement.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {
namespace {

constexpr const char* kOp = "reverse_complement_tokens";

template <typename Id>
void run(const Tensor& ids, Tensor& out, const Stream* stream) {
  const int64_t batch = ids.size(0), length = ids.size(1);
  if (ids.device().is_cpu()) {
    kernels::reverse_complement_tokens_cpu(ids.data<Id>(), out.data<Id>(), batch, length);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(ids.device());
  kernels::reverse_complement_tokens_cuda(ids.data<Id>(), out.data<Id>(), batch, length,
                                          op_stream(kOp, ids.device(), stream).cuda());
#else
  (void)stream;
#endif
}

}  // namespace

void reverse_complement_tokens(const Tensor& ids, Tensor& out, const Stream* stream) {
  SPINDLE_CHECK(ids.dim() == 2, std::string(kOp) + ": ids", ids.describe(), "a (batch, length) tensor");
  check_tensor(kOp, "ids", ids, ids.shape(), ids.device());
  check_dtype(kOp, "ids", ids, {DType::i32, DType::i64, DType::u8});
  check_tensor(kOp, "out", out, ids.shape(), ids.device());
  check_same_dtype(kOp, "out", out, ids);
  SPINDLE_CHECK(ids.numel() == 0 || ids.raw_data() != out.raw_data(), kOp, "out is ids", "an output apart from ids");
  switch (ids.dtype()) {
    case DType::i32: return run<int32_t>(ids, out, stream);
    case DType::i64: return run<int64_t>(ids, out, stream);
    default: return run<uint8_t>(ids, out, stream);
  }
}

}  // namespace spindle::ops
