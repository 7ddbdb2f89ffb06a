#include <string>

#include "kernels/embedding.h"
#include "kernels/error.h"

namespace spindle::kernels {
namespace {

// The row of ids[i], checked against the vocabulary.
template <typename Id>
int64_t row_of(const Id* ids, int64_t i, int64_t vocab, const char* op) {
  const int64_t id = static_cast<int64_t>(ids[i]);
  SPINDLE_CHECK(id >= 0 && id < vocab, op, "id " + std::to_string(id) + " at position " + std::to_string(i),
                "ids in [0, " + std::to_string(vocab) + ")");
  return id;
}

}  // namespace

template <typename T, typename Id>
void embedding_forward_cpu(const Id* ids, const T* table, T* out, EmbeddingShape shape) {
  for (int64_t i = 0; i < shape.n; ++i) {
    const T* row = table + row_of(ids, i, shape.vocab, "embedding_forward") * shape.dim;
    for (int64_t j = 0; j < shape.dim; ++j) out[i * shape.dim + j] = row[j];
  }
}

template <typename T, typename Id>
void embedding_backward_cpu(const Id* ids, const T* dout, T* dtable, EmbeddingShape shape) {
  // Every id is checked before dtable changes.
  for (int64_t i = 0; i < shape.n; ++i) row_of(ids, i, shape.vocab, "embedding_backward");
  for (int64_t i = 0; i < shape.n; ++i) {
    T* row = dtable + static_cast<int64_t>(ids[i]) * shape.dim;
    for (int64_t j = 0; j < shape.dim; ++j) row[j] += dout[i * shape.dim + j];
  }
}

#define SPINDLE_INSTANTIATE(T, Id)                                                                    \
  template void embedding_forward_cpu<T, Id>(const Id*, const T*, T*, EmbeddingShape);               \
  template void embedding_backward_cpu<T, Id>(const Id*, const T*, T*, EmbeddingShape);
SPINDLE_INSTANTIATE(float, int32_t)
SPINDLE_INSTANTIATE(float, int64_t)
SPINDLE_INSTANTIATE(double, int32_t)
SPINDLE_INSTANTIATE(double, int64_t)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
