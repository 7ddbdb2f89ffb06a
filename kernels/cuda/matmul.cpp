#include <cublasLt.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/cuda/blaslt_context.h"
#include "kernels/cuda_check.h"
#include "kernels/matmul.h"

namespace spindle::kernels {
namespace {

template <typename T> constexpr cudaDataType_t kDataType = CUDA_R_32F;
template <> constexpr cudaDataType_t kDataType<bfloat16> = CUDA_R_16BF;

struct DescDeleter {
  void operator()(cublasLtMatmulDescOpaque_t* d) const { (void)cublasLtMatmulDescDestroy(d); }
  void operator()(cublasLtMatrixLayoutOpaque_t* l) const { (void)cublasLtMatrixLayoutDestroy(l); }
  void operator()(cublasLtMatmulPreferenceOpaque_t* p) const { (void)cublasLtMatmulPreferenceDestroy(p); }
};
using MatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, DescDeleter>;
using Layout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, DescDeleter>;
using Preference = std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, DescDeleter>;

template <typename V>
void set(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute, const V& value) {
  SPINDLE_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof value));
}

// A column-major (rows, cols) matrix with leading dimension rows, `batch` of them `stride`
// elements apart.
Layout layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t batch, int64_t stride) {
  cublasLtMatrixLayout_t raw = nullptr;
  SPINDLE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&raw, type, static_cast<uint64_t>(rows),
                                                  static_cast<uint64_t>(cols), rows));
  Layout result(raw);
  if (batch > 1) {
    const int32_t count = static_cast<int32_t>(batch);
    SPINDLE_CUBLAS_CHECK(
        cublasLtMatrixLayoutSetAttribute(raw, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count));
    SPINDLE_CUBLAS_CHECK(
        cublasLtMatrixLayoutSetAttribute(raw, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride));
  }
  return result;
}

// Largest power of two (up to 256) dividing the address of every matrix of the batch, for
// the heuristic to pick only algorithms that can load them.
uint32_t alignment(const void* pointer, int64_t batch, int64_t stride, size_t element) {
  uint64_t bits = reinterpret_cast<uintptr_t>(pointer) | 256;
  if (batch > 1 && stride != 0) bits |= static_cast<uint64_t>(stride) * element;
  return static_cast<uint32_t>(bits & (~bits + 1));
}

}  // namespace

template <typename In, typename Out>
void matmul_cuda(const In* a, const In* b, const Out* bias, Out* c, MatmulShape s, float alpha, float beta,
                 cudaStream_t stream) {
  const BlasLtContext context = blaslt_context(stream);
  // cuBLASLt is column-major: a row-major (rows, cols) matrix is its column-major transpose,
  // so C^T (n, m) = op(B)^T (n, k) * op(A)^T (k, m) is computed with B as the first operand.
  cublasLtMatmulDesc_t raw_desc = nullptr;
  SPINDLE_CUBLAS_CHECK(cublasLtMatmulDescCreate(&raw_desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const MatmulDesc desc(raw_desc);
  set(raw_desc, CUBLASLT_MATMUL_DESC_TRANSA, s.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N);
  set(raw_desc, CUBLASLT_MATMUL_DESC_TRANSB, s.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N);
  if (bias) {
    set(raw_desc, CUBLASLT_MATMUL_DESC_EPILOGUE, CUBLASLT_EPILOGUE_BIAS);
    set(raw_desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));
  }
  const cudaDataType_t in_type = kDataType<In>, out_type = kDataType<Out>;
  const Layout first = s.transpose_b ? layout(in_type, s.k, s.n, s.batch, s.stride_b)
                                     : layout(in_type, s.n, s.k, s.batch, s.stride_b);
  const Layout second = s.transpose_a ? layout(in_type, s.m, s.k, s.batch, s.stride_a)
                                      : layout(in_type, s.k, s.m, s.batch, s.stride_a);
  const Layout result = layout(out_type, s.n, s.m, s.batch, s.stride_c);

  cublasLtMatmulPreference_t raw_preference = nullptr;
  SPINDLE_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&raw_preference));
  const Preference preference(raw_preference);
  const uint64_t workspace_bytes = context.workspace_bytes;
  SPINDLE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(raw_preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                            &workspace_bytes, sizeof workspace_bytes));
  const uint32_t align_first = alignment(b, s.batch, s.stride_b, sizeof(In));
  const uint32_t align_second = alignment(a, s.batch, s.stride_a, sizeof(In));
  const uint32_t align_result = alignment(c, s.batch, s.stride_c, sizeof(Out));
  for (const auto& [attribute, value] :
       {std::pair{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_first},
        std::pair{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_second},
        std::pair{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_result},
        std::pair{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_result}}) {
    SPINDLE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(raw_preference, attribute, &value, sizeof value));
  }

  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  SPINDLE_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(context.handle, raw_desc, first.get(), second.get(),
                                                      result.get(), result.get(), raw_preference, 1, &heuristic,
                                                      &found));
  SPINDLE_CHECK(found > 0, "cublasLtMatmulAlgoGetHeuristic",
                "no algorithm for m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                    " k=" + std::to_string(s.k) + " batch=" + std::to_string(s.batch),
                "an algorithm for this matmul");
  SPINDLE_CUBLAS_CHECK(cublasLtMatmul(context.handle, raw_desc, &alpha, b, first.get(), a, second.get(), &beta, c,
                                      result.get(), c, result.get(), &heuristic.algo, context.workspace,
                                      context.workspace_bytes, stream));
}

template void matmul_cuda<float, float>(const float*, const float*, const float*, float*, MatmulShape, float, float,
                                        cudaStream_t);
template void matmul_cuda<bfloat16, bfloat16>(const bfloat16*, const bfloat16*, const bfloat16*, bfloat16*,
                                              MatmulShape, float, float, cudaStream_t);
template void matmul_cuda<bfloat16, float>(const bfloat16*, const bfloat16*, const float*, float*, MatmulShape,
                                           float, float, cudaStream_t);

}  // namespace spindle::kernels
