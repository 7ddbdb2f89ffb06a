// Out-of-range indices found on a GPU (token ids, targets): the kernel sets a device int
// to 1; throw_if_set() copies it back, which waits for the stream, and throws
// spindle::Error if it was set. So an op with such a check synchronizes its stream.
#pragma once

#include <string>

#include "platform/tensor.h"

namespace spindle::ops {

class IndexFlag {
 public:
  // A cleared flag on `stream`'s device.
  explicit IndexFlag(const Stream& stream);
  int* data() const { return flag_.data<int32_t>(); }
  // Throws Error(op + ": " + name, "an index out of range on <device>", expected) if set.
  void throw_if_set(const char* op, const char* name, const std::string& expected) const;

 private:
  Stream stream_;
  Tensor flag_;
};

}  // namespace spindle::ops
