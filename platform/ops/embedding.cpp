#include "platform/ops/embedding.h"

#include "kernels/embedding.h"
#include "platform/ops/dtype_dispatch.h"
#include "platform/ops/index_flag.h"

namespace spindle::ops {
namespace {

constexpr const char* kForward = "embedding_forward";
constexpr const char* kBackward = "embedding_backward";

// Checks ids, the table and the activations (out or dout); returns the problem shape.
kernels::EmbeddingShape check_arguments(const char* op, const Tensor& ids, const Tensor& table,
                                        const char* activations_name, const Tensor& activations) {
  const Device device = ids.device();
  check_tensor(op, "ids", ids, ids.shape(), device);
  check_dtype(op, "ids", ids, {DType::i32, DType::i64});
  SPINDLE_CHECK(table.dim() == 2, std::string(op) + ": table", table.describe(), "a (vocab, dim) tensor");
  check_tensor(op, "table", table, table.shape(), device);
  Shape shape = ids.shape();
  shape.push_back(table.size(1));
  check_tensor(op, activations_name, activations, shape, device);
  check_float_dtype(op, activations_name, activations);
  if (device.is_cpu()) {
    check_same_dtype(op, "table", table, activations);
  } else {
    check_dtype(op, "table", table, {DType::f32});
  }
  return {ids.numel(), table.size(0), table.size(1)};
}

// Calls f(TypeTag<Id>{}) with Id = int32_t or int64_t for ids' dtype.
template <typename F>
void visit_ids(const Tensor& ids, F&& f) {
  if (ids.dtype() == DType::i32) {
    f(TypeTag<int32_t>{});
  } else {
    f(TypeTag<int64_t>{});
  }
}

#if SPINDLE_WITH_CUDA
std::string id_range(kernels::EmbeddingShape shape) { return "ids in [0, " + std::to_string(shape.vocab) + ")"; }
#endif

}  // namespace

void embedding_forward(const Tensor& ids, const Tensor& table, Tensor& out, const Stream* stream) {
  const kernels::EmbeddingShape shape = check_arguments(kForward, ids, table, "out", out);
  visit_ids(ids, [&](auto id_tag) {
    using Id = typename decltype(id_tag)::type;
    if (ids.device().is_cpu()) {
      visit_cpu_float(out, [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::embedding_forward_cpu(ids.data<Id>(), table.data<T>(), out.data<T>(), shape);
      });
      return;
    }
#if SPINDLE_WITH_CUDA
    on_cuda_float(kForward, out, stream, [&](auto tag, cudaStream_t cuda) {
      using T = typename decltype(tag)::type;
      const IndexFlag flag(op_stream(kForward, ids.device(), stream));
      kernels::embedding_forward_cuda(ids.data<Id>(), table.data<float>(), out.data<T>(), shape, flag.data(), cuda);
      flag.throw_if_set(kForward, "ids", id_range(shape));
    });
#else
    (void)stream;
#endif
  });
}

void embedding_backward(const Tensor& ids, const Tensor& dout, Tensor& dtable, const Stream* stream) {
  const kernels::EmbeddingShape shape = check_arguments(kBackward, ids, dtable, "dout", dout);
  visit_ids(ids, [&](auto id_tag) {
    using Id = typename decltype(id_tag)::type;
    if (ids.device().is_cpu()) {
      visit_cpu_float(dout, [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::embedding_backward_cpu(ids.data<Id>(), dout.data<T>(), dtable.data<T>(), shape);
      });
      return;
    }
#if SPINDLE_WITH_CUDA
    on_cuda_float(kBackward, dout, stream, [&](auto tag, cudaStream_t cuda) {
      using T = typename decltype(tag)::type;
      const IndexFlag flag(op_stream(kBackward, ids.device(), stream));
      kernels::embedding_backward_cuda(ids.data<Id>(), dout.data<T>(), dtable.data<float>(), shape, flag.data(),
                                       cuda);
      flag.throw_if_set(kBackward, "ids", id_range(shape));
    });
#else
    (void)stream;
#endif
  });
}

}  // namespace spindle::ops
