// DNA reverse complement of Caduceus token ids (kernels/reverse_complement.h has the
// tokenizer and the complement): out[b, t] = complement(ids[b, L-1-t]).
// ids and out: (batch, length) int32, int64 or uint8, contiguous, same dtype and device,
// not sharing memory. The reverse complement of activations is in platform/ops/flip.h.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

void reverse_complement_tokens(const Tensor& ids, Tensor& out, const Stream* stream = nullptr);

}  // namespace spindle::ops
