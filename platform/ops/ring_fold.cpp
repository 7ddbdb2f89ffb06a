#include "platform/ops/ring_fold.h"

#include <string>

#include "kernels/ring_fold.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {

void ring_fold(const Tensor& values, const Tensor& decays, const std::vector<int>& first_rank, int rank, Tensor& out,
               const Stream* stream) {
  constexpr const char* kOp = "ring_fold";
  const int64_t rows = static_cast<int64_t>(first_rank.size());
  SPINDLE_CHECK(values.dim() == 2 && decays.shape() == values.shape(), kOp,
                "values " + values.describe() + ", decays " + decays.describe(), "two (ranks, rows x width) tensors");
  const int64_t ranks = values.size(0);
  SPINDLE_CHECK(rows > 0 && values.size(1) % rows == 0, kOp,
                std::to_string(rows) + " rows for summaries of " + std::to_string(values.size(1)) + " elements",
                "a row count dividing the summary");
  SPINDLE_CHECK(rank >= 0 && rank < ranks, kOp, "rank " + std::to_string(rank), "0.." + std::to_string(ranks - 1));
  for (const int first : first_rank) {
    SPINDLE_CHECK(first >= 0 && first < ranks, kOp, "a fold starting at rank " + std::to_string(first),
                  "0.." + std::to_string(ranks - 1));
  }
  const int64_t width = values.size(1) / rows;
  check_tensor(kOp, "out", out, {rows, width}, values.device());
  SPINDLE_CHECK(decays.device() == values.device(), kOp, "decays on " + decays.device().str(), values.device().str());
  check_same_dtype(kOp, "decays", decays, values);
  check_same_dtype(kOp, "out", out, values);
  const kernels::RingFoldShape shape{rows, width, values.row_pitch(), decays.row_pitch(), rank};
  if (values.device().is_cpu()) {
    check_dtype(kOp, "values", values, {DType::f32, DType::f64});
    auto run = [&]<typename T>(T) {
      kernels::ring_fold_cpu(values.data<T>(), decays.data<T>(), first_rank.data(), out.data<T>(), shape);
    };
    values.dtype() == DType::f64 ? run(double{}) : run(float{});
    return;
  }
  check_dtype(kOp, "values", values, {DType::f32});
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(values.device());
  kernels::ring_fold_cuda(values.data<float>(), decays.data<float>(), first_rank.data(), out.data<float>(), shape,
                          op_stream(kOp, values.device(), stream).cuda());
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
