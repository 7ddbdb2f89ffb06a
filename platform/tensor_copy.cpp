// Tensor copies between host and devices: copy_from, to, contiguous.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>

#include "platform/cuda_backend.h"
#include "platform/tensor.h"

namespace spindle {
namespace {

// Two page-locked buffers shared by the process. Copies from pageable memory go through
// them so that the host-side memcpy of one chunk overlaps the DMA of the other.
class PinnedStaging {
 public:
  static constexpr size_t kChunkBytes = size_t{8} << 20;

  static PinnedStaging& instance() {
    static PinnedStaging staging;
    return staging;
  }
  std::unique_lock<std::mutex> acquire() {
    std::unique_lock lock(mutex_);
    if (!buffers_[0]) {
      for (auto& buffer : buffers_) buffer = static_cast<char*>(cuda_backend::pinned_allocate(kChunkBytes));
    }
    return lock;
  }
  char* buffer(size_t index) const { return buffers_[index % 2]; }

 private:
  PinnedStaging() = default;
  ~PinnedStaging() {
    for (char* buffer : buffers_) {
      if (buffer) cuda_backend::pinned_free(buffer);
    }
  }
  std::mutex mutex_;
  char* buffers_[2] = {nullptr, nullptr};
};

// Pageable host -> device, `bytes` contiguous on both sides. Returns once the source has
// been fully read (the caller may then free or change it).
void staged_upload(char* device_dst, const char* host_src, size_t bytes, const Stream& stream) {
  PinnedStaging& staging = PinnedStaging::instance();
  const auto lock = staging.acquire();
  Event buffer_free0(stream.device()), buffer_free1(stream.device());
  Event* buffer_free[2] = {&buffer_free0, &buffer_free1};
  for (size_t offset = 0, chunk = 0; offset < bytes; offset += PinnedStaging::kChunkBytes, ++chunk) {
    const size_t n = std::min(PinnedStaging::kChunkBytes, bytes - offset);
    if (chunk >= 2) buffer_free[chunk % 2]->synchronize();
    std::memcpy(staging.buffer(chunk), host_src + offset, n);
    cuda_backend::copy_2d_async(device_dst + offset, n, staging.buffer(chunk), n, n, 1, stream.raw());
    buffer_free[chunk % 2]->record(stream);
  }
  stream.synchronize();
}

// Device -> pageable host, `bytes` contiguous on both sides; complete when it returns.
void staged_download(char* host_dst, const char* device_src, size_t bytes, const Stream& stream) {
  PinnedStaging& staging = PinnedStaging::instance();
  const auto lock = staging.acquire();
  Event arrived0(stream.device()), arrived1(stream.device());
  Event* arrived[2] = {&arrived0, &arrived1};
  const size_t chunks = (bytes + PinnedStaging::kChunkBytes - 1) / PinnedStaging::kChunkBytes;
  auto fetch = [&](size_t chunk) {
    const size_t offset = chunk * PinnedStaging::kChunkBytes;
    const size_t n = std::min(PinnedStaging::kChunkBytes, bytes - offset);
    cuda_backend::copy_2d_async(staging.buffer(chunk), n, device_src + offset, n, n, 1, stream.raw());
    arrived[chunk % 2]->record(stream);
  };
  if (chunks > 0) fetch(0);
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    if (chunk + 1 < chunks) fetch(chunk + 1);  // its buffer was drained in the previous iteration
    arrived[chunk % 2]->synchronize();
    const size_t offset = chunk * PinnedStaging::kChunkBytes;
    std::memcpy(host_dst + offset, staging.buffer(chunk), std::min(PinnedStaging::kChunkBytes, bytes - offset));
  }
}

void host_copy(const Tensor& dst, const Tensor& src) {
  if (dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(dst.raw_data(), src.raw_data(), dst.nbytes());
    return;
  }
  const size_t width = static_cast<size_t>(dst.cols()) * dst.element_size();
  char* to = static_cast<char*>(dst.raw_data());
  const char* from = static_cast<const char*>(src.raw_data());
  for (int64_t row = 0; row < dst.rows(); ++row) {
    std::memcpy(to + row * dst.row_pitch() * dst.element_size(), from + row * src.row_pitch() * src.element_size(),
                width);
  }
}

// Whether two non-empty views of one shape and dtype share an element. With one row pitch,
// rows j apart meet where |offset + j pitch| < cols (offset: b's start from a's, in elements),
// so disjoint column slices of one buffer (channel halves) are told apart; otherwise the spans
// from first to last element are compared.
bool share_elements(const Tensor& a, const Tensor& b) {
  if (a.storage() != b.storage()) return false;
  const auto first = [](const Tensor& t) { return reinterpret_cast<intptr_t>(t.raw_data()); };
  const intptr_t bytes = first(b) - first(a), size = static_cast<intptr_t>(a.element_size());
  const int64_t rows = a.rows(), cols = a.cols(), pitch = a.row_pitch();
  if (pitch == b.row_pitch() && pitch >= cols && bytes % size == 0 && (rows == 1 || pitch > 0)) {
    const int64_t offset = bytes / size;
    if (rows == 1) return offset > -cols && offset < cols;
    // The j nearest -offset / pitch, from below and above.
    const int64_t below = offset >= 0 ? -((offset + pitch - 1) / pitch) : (-offset) / pitch;
    for (const int64_t j : {below, below + 1}) {
      if (j > -rows && j < rows && offset + j * pitch > -cols && offset + j * pitch < cols) return true;
    }
    return false;
  }
  const auto end = [&](const Tensor& t) {
    return first(t) + static_cast<intptr_t>(((rows - 1) * t.row_pitch() + cols) * size);
  };
  return first(a) < end(b) && first(b) < end(a);
}

bool directly_addressable_by_device(const Tensor& tensor) {
  return tensor.device().is_cuda() || tensor.storage()->pinned();
}

void async_copy_2d(const Tensor& dst, const Tensor& src, const Stream& stream) {
  const size_t esize = dst.element_size();
  cuda_backend::copy_2d_async(dst.raw_data(), dst.row_pitch() * esize, src.raw_data(), src.row_pitch() * esize,
                              dst.cols() * esize, dst.rows(), stream.raw());
}

}  // namespace

void Tensor::copy_from(const Tensor& source, const Stream* stream) {
  SPINDLE_CHECK(defined() && source.defined(), "Tensor::copy_from", "undefined tensor", "defined tensors");
  SPINDLE_CHECK(shape_ == source.shape_ && dtype_ == source.dtype_, "Tensor::copy_from",
                "copying " + source.describe() + " into " + describe(), "the same shape and dtype");
  if (numel() == 0) return;
  if (raw_data() == source.raw_data() && row_pitch_ == source.row_pitch_) return;  // the same elements
  if (share_elements(*this, source)) {
    // Row by row (or a 2-D DMA) would overwrite source rows before reading them.
    copy_from(source.to(source.device(), stream), stream);
    return;
  }
  if (device().is_cpu() && source.device().is_cpu()) {
    host_copy(*this, source);
    return;
  }
  const Device cuda_device = device().is_cuda() ? device() : source.device();
  const Stream ordering = stream ? *stream : Stream::per_thread(cuda_device);
  DeviceGuard guard(ordering.device());
  SPINDLE_CHECK(ordering.device().is_cuda(), "Tensor::copy_from", "host stream for a device copy",
                "a stream on a CUDA device");

  if (directly_addressable_by_device(*this) && directly_addressable_by_device(source)) {
    async_copy_2d(*this, source, ordering);
    if (device().is_cpu()) ordering.synchronize();
    return;
  }
  if (source.device().is_cpu()) {  // pageable host -> device
    const Tensor host_source = source.contiguous();
    Tensor target = is_contiguous() ? *this : Tensor::empty(shape_, dtype_, device(), &ordering);
    staged_upload(static_cast<char*>(target.raw_data()), static_cast<const char*>(host_source.raw_data()),
                  nbytes(), ordering);
    if (target.raw_data() != raw_data()) async_copy_2d(*this, target, ordering);
    return;
  }
  // device -> pageable host
  const Tensor device_source = source.contiguous(&ordering);
  Tensor target = is_contiguous() ? *this : Tensor::empty(shape_, dtype_);
  staged_download(static_cast<char*>(target.raw_data()), static_cast<const char*>(device_source.raw_data()),
                  nbytes(), ordering);
  if (target.raw_data() != raw_data()) host_copy(*this, target);
}

Tensor Tensor::contiguous(const Stream* stream) const {
  if (is_contiguous()) return *this;
  Tensor copy = empty(shape_, dtype_, device(), stream && stream->device() == device() ? stream : nullptr);
  copy.copy_from(*this, stream);
  return copy;
}

Tensor Tensor::to(Device target, const Stream* stream) const {
  SPINDLE_CHECK(defined(), "Tensor::to", "undefined tensor", "a defined tensor");
  const Stream* allocation_stream = stream && stream->device() == target ? stream : nullptr;
  Tensor copy = empty(shape_, dtype_, target, allocation_stream);
  copy.copy_from(*this, stream);
  return copy;
}

}  // namespace spindle
