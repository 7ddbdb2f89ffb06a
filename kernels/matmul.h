// Matrix products of row-major matrices, batched with strides: for every batch entry i,
//   C_i = alpha * op(A_i) * op(B_i) + beta * C_i [+ bias broadcast over rows]
// where op(X) is X or its transpose, op(A_i) is (m, k), op(B_i) is (k, n), C_i is (m, n).
//
// Layout: every matrix is row-major and dense (leading dimension = its number of columns as
// stored): A_i is (m, k), or (k, m) when transpose_a; B_i is (k, n), or (n, k) when
// transpose_b; C_i is (m, n). A_i starts at a + i * stride_a (elements), likewise B_i and
// C_i; a stride of 0 shares one matrix across the batch (a weight). bias, when given, has n
// elements and bias[j] is added to every row of every C_i (column j). C is WRITTEN when
// beta == 0 (its old contents are never read, so NaN there does not leak) and accumulated
// into otherwise.
//
// Example (Mamba's in_proj with its output already transposed): x (batch, length, d_model),
// W (2 d_inner, d_model) -> xz (batch, 2 d_inner, length) = W * x_i^T is
// m = 2 d_inner, n = length, k = d_model, transpose_b, stride_a = 0,
// stride_b = length * d_model, stride_c = 2 d_inner * length.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

struct MatmulShape {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;  // elements between batch entries; 0: shared
};

// m, n, k >= 1 (and below 2^31) on every backend.
//
// CPU reference through OpenBLAS (cblas_sgemm / cblas_dgemm); T is float or double.
template <typename T>
void matmul_cpu(const T* a, const T* b, const T* bias, T* c, MatmulShape shape, T alpha, T beta);

#if SPINDLE_WITH_CUDA
// cuBLASLt on the current device. In is float or bfloat16 (A and B); Out is In or float.
// Products accumulate in float32 with TF32 disabled (CUBLAS_COMPUTE_32F), alpha and beta
// are float, and bias (of type Out, as cuBLASLt's bias epilogue requires) is added in the
// epilogue. Reuses one cuBLASLt handle per
// device and one workspace per (calling thread, device, stream) (kernels/cuda/blaslt_context.h).
template <typename In, typename Out>
void matmul_cuda(const In* a, const In* b, const Out* bias, Out* c, MatmulShape shape, float alpha, float beta,
                 cudaStream_t stream);
#endif

}  // namespace spindle::kernels
