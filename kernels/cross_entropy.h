// Softmax cross-entropy over a vocabulary with label smoothing, loss and gradient in one
// pass (max-subtracted, so large logits do not overflow).
//
// logits, dlogits: (rows, vocab) row-major; targets: (rows) int32 or int64; loss: (rows).
// For a row with target t != ignore_index, eps = label_smoothing in [0, 1), V = vocab:
//   lse     = log(sum_k exp(z_k))
//   loss    = lse - (1 - eps) * z_t - (eps / V) * sum_k z_k
//             (= cross-entropy against the smoothed target (1 - eps) * onehot(t) + eps / V,
//              as torch.nn.functional.cross_entropy(label_smoothing=eps))
//   dlogits = (softmax(z) - (1 - eps) * onehot(t) - eps / V) * dloss_scale
// A row whose target is ignore_index has loss 0 and dlogits 0. loss and dlogits are
// written (dlogits may be null: loss only); *valid_rows is written with the number of
// rows not ignored. A target outside [0, V) that is not ignore_index is an error: the CPU
// reference throws spindle::Error; the CUDA kernel sets *bad_target_flag = 1 (a device
// int it never clears) and treats that row as ignored.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

struct CrossEntropyArgs {
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  double dloss_scale = 1.0;  // e.g. 1 / valid rows for a mean loss
};

struct CrossEntropyShape {
  int64_t rows = 0, vocab = 0;
};

// CPU reference: logits, loss, dlogits are T (float or double).
template <typename T, typename Id>
void cross_entropy_cpu(const T* logits, const Id* targets, T* loss, T* dlogits, int64_t* valid_rows,
                       CrossEntropyShape shape, CrossEntropyArgs args);

#if SPINDLE_WITH_CUDA
// logits and dlogits are T (float or bfloat16); loss is float; valid_rows a device int64.
// One block per row, three passes over it (max; sum of exponentials and of logits;
// dlogits); any vocabulary size.
template <typename T, typename Id>
void cross_entropy_cuda(const T* logits, const Id* targets, float* loss, T* dlogits, int64_t* valid_rows,
                        int* bad_target_flag, CrossEntropyShape shape, CrossEntropyArgs args, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
