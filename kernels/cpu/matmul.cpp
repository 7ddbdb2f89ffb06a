#include <cblas.h>

#include "kernels/matmul.h"

namespace spindle::kernels {
namespace {

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, float alpha, const float* a,
          blasint lda, const float* b, blasint ldb, float beta, float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, double alpha, const double* a,
          blasint lda, const double* b, blasint ldb, double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

template <typename T>
void matmul_cpu(const T* a, const T* b, const T* bias, T* c, MatmulShape s, T alpha, T beta) {
  const blasint lda = static_cast<blasint>(s.transpose_a ? s.m : s.k);
  const blasint ldb = static_cast<blasint>(s.transpose_b ? s.k : s.n);
  for (int64_t i = 0; i < s.batch; ++i) {
    T* c_i = c + i * s.stride_c;
    if (beta == T(0)) {
      // BLAS may compute 0 * C; a written output must not depend on C's old contents.
      for (int64_t e = 0; e < s.m * s.n; ++e) c_i[e] = T(0);
    }
    gemm(s.transpose_a ? CblasTrans : CblasNoTrans, s.transpose_b ? CblasTrans : CblasNoTrans,
         static_cast<blasint>(s.m), static_cast<blasint>(s.n), static_cast<blasint>(s.k), alpha, a + i * s.stride_a,
         lda, b + i * s.stride_b, ldb, beta, c_i, static_cast<blasint>(s.n));
    if (bias) {
      for (int64_t row = 0; row < s.m; ++row) {
        for (int64_t j = 0; j < s.n; ++j) c_i[row * s.n + j] += bias[j];
      }
    }
  }
}

template void matmul_cpu<float>(const float*, const float*, const float*, float*, MatmulShape, float, float);
template void matmul_cpu<double>(const double*, const double*, const double*, double*, MatmulShape, double, double);

}  // namespace spindle::kernels
