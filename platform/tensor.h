// An n-dimensional array on the host or a CUDA device.
//
// Layout: row-major. A tensor is a sequence of rows (its last axis, `cols` elements,
// contiguous) whose starts are `row_pitch` elements apart. A freshly allocated tensor has
// row_pitch == cols (contiguous). Slicing the first axis moves the start; slicing the last
// axis narrows the rows but keeps their pitch; neither copies. Since only these two axes
// are sliced, every tensor is described by (start, shape, row_pitch), which is also exactly
// what a 2-D memory copy takes.
//
// Storage is reference-counted: views share it with the tensor they came from.
// Copies between devices are explicit (to, copy_from).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "platform/device.h"
#include "platform/dtype.h"
#include "platform/memory.h"
#include "platform/stream.h"

namespace spindle {

using Shape = std::vector<int64_t>;

// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
int64_t shape_numel(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() is false)

  // Uninitialized memory. `stream` orders a device allocation (default: the calling
  // thread's per-thread stream of that device).
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::cpu(),
                      const Stream* stream = nullptr, HostMemory host = HostMemory::pageable);
  static Tensor zeros(const Shape& shape, DType dtype, Device device = Device::cpu(),
                      const Stream* stream = nullptr);
  // A host tensor holding a copy of `values` (numel(shape) of them).
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::cpu(); }
  const Shape& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  // Size of `axis`; negative counts from the end (-1 is the last axis).
  int64_t size(int64_t axis) const;
  int64_t numel() const { return shape_numel(shape_); }
  // Elements in one row (the last axis; 1 for a scalar).
  int64_t cols() const { return shape_.empty() ? 1 : shape_.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  int64_t row_pitch() const { return row_pitch_; }
  bool is_contiguous() const { return row_pitch_ == cols() || rows() <= 1; }
  size_t element_size() const { return dtype_size(dtype_); }
  // Bytes of the elements this tensor views (not of its storage).
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Address of the first element.
  void* raw_data() const;
  // Typed address of the first element; T must match dtype().
  template <typename T>
  T* data() const;

  // Elements [begin, end) of `axis`, which must be the first (0) or last (-1 or dim-1).
  Tensor slice(int64_t axis, int64_t begin, int64_t end) const;
  // Same elements under another shape of equal numel; contiguous tensors only.
  Tensor reshape(const Shape& shape) const;

  // A copy on `device`. Host results are complete when this returns; device results are
  // ordered on `stream` (default: the per-thread stream of the device involved). Copies
  // from pageable host memory go through pinned staging buffers.
  Tensor to(Device device, const Stream* stream = nullptr) const;
  // This tensor if contiguous, else a contiguous copy on the same device.
  Tensor contiguous(const Stream* stream = nullptr) const;
  // Copies `source` (same shape and dtype, any device) into this tensor's elements.
  void copy_from(const Tensor& source, const Stream* stream = nullptr);
  // Sets this tensor's elements to zero in place (contiguous tensors only), ordered on
  // `stream` for device tensors (default: the storage's stream).
  void set_zero(const Stream* stream = nullptr);
  // Host contiguous tensors only: the elements as a vector.
  template <typename T>
  std::vector<T> to_vector() const;

  // "f32[2, 3] on cuda:0"
  std::string describe() const;

 private:
  Tensor(std::shared_ptr<Storage> storage, size_t byte_offset, Shape shape, int64_t row_pitch, DType dtype)
      : storage_(std::move(storage)), byte_offset_(byte_offset), shape_(std::move(shape)),
        row_pitch_(row_pitch), dtype_(dtype) {}
  void check_dtype(DType requested) const;
  void check_host_contiguous(const char* operation) const;

  std::shared_ptr<Storage> storage_;
  size_t byte_offset_ = 0;
  Shape shape_;
  int64_t row_pitch_ = 0;
  DType dtype_ = DType::f32;
};

template <typename T>
T* Tensor::data() const {
  check_dtype(dtype_of<T>());
  return static_cast<T*>(raw_data());
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  SPINDLE_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "Tensor::from_vector",
                std::to_string(values.size()) + " values for shape " + shape_str(shape),
                std::to_string(shape_numel(shape)) + " values");
  Tensor tensor = empty(shape, dtype_of<T>());
  std::copy(values.begin(), values.end(), tensor.data<T>());
  return tensor;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  check_host_contiguous("Tensor::to_vector");
  const T* first = data<T>();
  return std::vector<T>(first, first + numel());
}

}  // namespace spindle
