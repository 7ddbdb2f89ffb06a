#include "platform/tensor.h"

#include <algorithm>
#include <cstring>

#include "platform/cuda_backend.h"

namespace spindle {

std::string shape_str(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t shape_numel(const Shape& shape) {
  for (int64_t extent : shape) {
    SPINDLE_CHECK(extent >= 0, "shape " + shape_str(shape), "negative extent", "extents >= 0");
  }
  // Checked before the product: with a zero extent it is 0 however large the others are.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t numel = 1;
  for (int64_t extent : shape) {
    SPINDLE_CHECK(!__builtin_mul_overflow(numel, extent, &numel), "shape " + shape_str(shape),
                  "the number of elements overflows 64 bits", "a shape that fits in memory");
  }
  return numel;
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device, const Stream* stream, HostMemory host) {
  for (int64_t extent : shape) {
    SPINDLE_CHECK(extent >= 0, "Tensor::empty", "negative extent in shape " + shape_str(shape),
                  "extents >= 0");
  }
  const Stream ordering = stream ? *stream : Stream::per_thread(device);
  size_t bytes = 0;
  SPINDLE_CHECK(!__builtin_mul_overflow(static_cast<size_t>(shape_numel(shape)), dtype_size(dtype), &bytes),
                "Tensor::empty", "the size in bytes of " + std::string(dtype_name(dtype)) + shape_str(shape) +
                " overflows 64 bits", "a shape that fits in memory");
  const int64_t cols = shape.empty() ? 1 : shape.back();
  return Tensor(Storage::allocate(bytes, device, ordering, host), 0, shape, cols, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device, const Stream* stream) {
  Tensor tensor = empty(shape, dtype, device, stream);
  tensor.set_zero(stream);
  return tensor;
}

void Tensor::set_zero(const Stream* stream) {
  SPINDLE_CHECK(is_contiguous(), "Tensor::set_zero", describe() + " with row pitch " + std::to_string(row_pitch_),
                "a contiguous tensor");
  if (nbytes() == 0) return;
  if (device().is_cuda()) {
    DeviceGuard guard(device());
    cuda_backend::memset_async(raw_data(), 0, nbytes(), (stream ? *stream : storage_->stream()).raw());
  } else {
    std::memset(raw_data(), 0, nbytes());
  }
}

int64_t Tensor::size(int64_t axis) const {
  const int64_t resolved = axis < 0 ? axis + dim() : axis;
  SPINDLE_CHECK(resolved >= 0 && resolved < dim(), "Tensor::size",
                "axis " + std::to_string(axis) + " of " + describe(),
                "an axis in [-" + std::to_string(dim()) + ", " + std::to_string(dim()) + ")");
  return shape_[resolved];
}

void* Tensor::raw_data() const {
  SPINDLE_CHECK(defined(), "Tensor::raw_data", "undefined tensor", "a tensor made by empty/zeros/from_vector");
  return static_cast<char*>(storage_->data()) + byte_offset_;
}

void Tensor::check_dtype(DType requested) const {
  SPINDLE_CHECK(requested == dtype_, "Tensor::data", "element type " + std::string(dtype_name(requested)) +
                " requested of " + describe(), std::string(dtype_name(dtype_)));
}

void Tensor::check_host_contiguous(const char* operation) const {
  SPINDLE_CHECK(device().is_cpu() && is_contiguous(), operation, describe(),
                "a contiguous host tensor (use contiguous() or to(Device::cpu()) first)");
}

Tensor Tensor::slice(int64_t axis, int64_t begin, int64_t end) const {
  SPINDLE_CHECK(dim() >= 1, "Tensor::slice", "slicing a scalar", "a tensor with at least one axis");
  const int64_t resolved = axis < 0 ? axis + dim() : axis;
  SPINDLE_CHECK(resolved == 0 || resolved == dim() - 1, "Tensor::slice",
                "axis " + std::to_string(axis) + " of " + describe(), "the first or the last axis");
  const int64_t extent = shape_[resolved];
  SPINDLE_CHECK(0 <= begin && begin <= end && end <= extent, "Tensor::slice",
                "range [" + std::to_string(begin) + ", " + std::to_string(end) + ") of axis " +
                    std::to_string(axis) + " of " + describe(),
                "0 <= begin <= end <= " + std::to_string(extent));
  Shape shape = shape_;
  shape[resolved] = end - begin;
  if (resolved == dim() - 1) {
    // Narrow every row; a 1-D tensor is one row, so this also covers axis 0 of it.
    const size_t offset = byte_offset_ + static_cast<size_t>(begin) * element_size();
    return Tensor(storage_, offset, shape, row_pitch_, dtype_);
  }
  const int64_t rows_per_index = extent == 0 ? 0 : rows() / extent;
  const size_t offset = byte_offset_ + static_cast<size_t>(begin * rows_per_index * row_pitch_) * element_size();
  return Tensor(storage_, offset, shape, row_pitch_, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  SPINDLE_CHECK(shape_numel(shape) == numel(), "Tensor::reshape",
                "shape " + shape_str(shape) + " for " + describe(), std::to_string(numel()) + " elements");
  SPINDLE_CHECK(is_contiguous(), "Tensor::reshape", "non-contiguous " + describe(),
                "a contiguous tensor (use contiguous() first)");
  const int64_t cols = shape.empty() ? 1 : shape.back();
  return Tensor(storage_, byte_offset_, shape, cols, dtype_);
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return std::string(dtype_name(dtype_)) + shape_str(shape_) + " on " + device().str();
}

}  // namespace spindle
