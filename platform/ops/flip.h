// Reversal along the length axis of sequence tensors, and the reverse complement of
// activations as Caduceus's RC-equivariant (RCPS) layers define it. Each is its own
// inverse and its own backward: dx = the same op applied to dy.
// Tensors contiguous, 3-D, one dtype: f32/f64 on the CPU, f32/bf16 on CUDA. y must not
// share memory with x.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

enum class SequenceLayout {
  channels_first,  // (batch, channels, length), as conv1d and the scan take it
  channels_last,   // (batch, length, channels), as norms and linear layers take it
};

// y[b, c, t] = x[b, c, L-1-t] (channels_first) or y[b, t, c] = x[b, L-1-t, c] (channels_last).
void flip_length(const Tensor& x, Tensor& y, SequenceLayout layout, const Stream* stream = nullptr);

// Caduceus RCPSWrapper.rc: torch.flip(x, dims=[-2, -1]) of x (batch, length, channels):
//   y[b, t, c] = x[b, L-1-t, C-1-c].
// With channels = 2d split as [forward half | reverse-complement half], this maps
// y[:, t, :d] = x[:, L-1-t, d:] with channels reversed, and y[:, t, d:] = x[:, L-1-t, :d]
// with channels reversed.
void reverse_complement_channels(const Tensor& x, Tensor& y, const Stream* stream = nullptr);

}  // namespace spindle::ops
