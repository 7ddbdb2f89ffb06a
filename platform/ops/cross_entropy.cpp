#include "platform/ops/cross_entropy.h"

#include "platform/ops/dtype_dispatch.h"
#include "platform/ops/index_flag.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kOp = "cross_entropy";

template <typename Id>
void run(const Tensor& logits, const Tensor& targets, Tensor& loss, Tensor* dlogits, Tensor& valid_rows,
         const CrossEntropyArgs& args, const Stream* stream) {
  const kernels::CrossEntropyShape shape{logits.size(0), logits.size(1)};
  if (logits.device().is_cpu()) {
    visit_cpu_float(logits, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cross_entropy_cpu(logits.data<T>(), targets.data<Id>(), loss.data<T>(), optional_data<T>(dlogits),
                                 valid_rows.data<int64_t>(), shape, args);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(kOp, logits, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    const IndexFlag flag(op_stream(kOp, logits.device(), stream));
    kernels::cross_entropy_cuda(logits.data<T>(), targets.data<Id>(), loss.data<float>(), optional_data<T>(dlogits),
                                valid_rows.data<int64_t>(), flag.data(), shape, args, cuda);
    flag.throw_if_set(kOp, "targets",
                      "targets in [0, " + std::to_string(shape.vocab) + ") or " + std::to_string(args.ignore_index));
  });
#else
  (void)stream;
#endif
}

}  // namespace

void cross_entropy(const Tensor& logits, const Tensor& targets, Tensor& loss, Tensor* dlogits, Tensor& valid_rows,
                   const CrossEntropyArgs& args, const Stream* stream) {
  SPINDLE_CHECK(logits.dim() == 2 && logits.size(1) > 0, std::string(kOp) + ": logits", logits.describe(),
                "a (rows, vocab) tensor, vocab >= 1");
  const Device device = logits.device();
  const int64_t rows = logits.size(0);
  check_tensor(kOp, "logits", logits, logits.shape(), device);
  check_float_dtype(kOp, "logits", logits);
  check_tensor(kOp, "targets", targets, {rows}, device);
  check_dtype(kOp, "targets", targets, {DType::i32, DType::i64});
  check_tensor(kOp, "loss", loss, {rows}, device);
  check_dtype(kOp, "loss", loss, {device.is_cpu() ? logits.dtype() : DType::f32});
  if (dlogits) {
    check_tensor(kOp, "dlogits", *dlogits, logits.shape(), device);
    check_same_dtype(kOp, "dlogits", *dlogits, logits);
  }
  check_tensor(kOp, "valid_rows", valid_rows, {1}, device);
  check_dtype(kOp, "valid_rows", valid_rows, {DType::i64});
  SPINDLE_CHECK(args.label_smoothing >= 0 && args.label_smoothing < 1, kOp,
                "label_smoothing " + std::to_string(args.label_smoothing), "0 <= label_smoothing < 1");
  targets.dtype() == DType::i32 ? run<int32_t>(logits, targets, loss, dlogits, valid_rows, args, stream)
                                : run<int64_t>(logits, targets, loss, dlogits, valid_rows, args, stream);
}

}  // namespace spindle::ops
