#include "platform/ops/op_checks.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace spindle::ops {

void check_tensor(const char* op, const char* name, const Tensor& tensor, const Shape& shape, Device device) {
  const std::string where = std::string(op) + ": " + name;
  SPINDLE_CHECK(tensor.defined(), where, "undefined tensor", "a tensor of shape " + shape_str(shape));
  SPINDLE_CHECK(tensor.shape() == shape, where, tensor.describe(), "shape " + shape_str(shape));
  SPINDLE_CHECK(tensor.device() == device, where, tensor.describe(), "a tensor on " + device.str());
  SPINDLE_CHECK(tensor.is_contiguous(), where, "non-contiguous " + tensor.describe(), "a contiguous tensor");
}

void check_dtype(const char* op, const char* name, const Tensor& tensor, std::initializer_list<DType> allowed) {
  std::string names;
  for (DType dtype : allowed) {
    if (tensor.dtype() == dtype) return;
    names += (names.empty() ? "" : " or ") + std::string(dtype_name(dtype));
  }
  throw Error(std::string(op) + ": " + name, tensor.describe(), names);
}

void check_same_dtype(const char* op, const char* name, const Tensor& tensor, const Tensor& reference) {
  SPINDLE_CHECK(tensor.dtype() == reference.dtype(), std::string(op) + ": " + name, tensor.describe(),
                "dtype " + std::string(dtype_name(reference.dtype())));
}

void check_distinct(const char* op, const char* list, const std::vector<const void*>& addresses) {
  std::vector<size_t> order;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (addresses[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::less<const void*>()(addresses[a], addresses[b]) || (addresses[a] == addresses[b] && a < b);
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t first = order[k - 1], second = order[k];
    SPINDLE_CHECK(addresses[first] != addresses[second], std::string(op) + ": " + list,
                  "entries " + std::to_string(first) + " and " + std::to_string(second) + " are the same tensor",
                  "distinct tensors");
  }
}

Stream op_stream(const char* op, Device device, const Stream* stream) {
  if (!stream) return Stream::per_thread(device);
  SPINDLE_CHECK(stream->device() == device, op, "stream on " + stream->device().str(), "a stream on " + device.str());
  return *stream;
}

}  // namespace spindle::ops
