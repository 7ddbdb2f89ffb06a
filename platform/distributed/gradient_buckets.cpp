#include "platform/distributed/gradient_buckets.h"

#include <algorithm>
#include <string>

#include "kernels/error.h"

namespace spindle {
namespace {

constexpr const char* kWhere = "GradientBuckets";

}  // namespace

GradientBuckets::GradientBuckets(std::vector<Parameter*> parameters, Communicator& group, int64_t bucket_bytes,
                                 const Stream* stream)
    : parameters_(std::move(parameters)),
      group_(group),
      stream_(stream ? *stream : Stream::per_thread(group.device())) {
  SPINDLE_CHECK(bucket_bytes > 0, kWhere, "bucket size " + std::to_string(bucket_bytes) + " bytes",
                "a bucket size of at least one byte");
  SPINDLE_CHECK(stream_.device() == group.device(), kWhere, "stream on " + stream_.device().str(),
                "a stream on the group's device " + group.device().str());
  const std::vector<DType> summable = group.summable_dtypes();
  int64_t bytes = 0;  // in the last bucket
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter* parameter = parameters_[i];
    SPINDLE_CHECK(parameter != nullptr, kWhere, "parameter " + std::to_string(i) + " is null", "parameters");
    const std::string where = std::string(kWhere) + ": " + parameter->name;
    const Tensor& grad = parameter->grad;
    const Parameter* first = parameters_.front();
    SPINDLE_CHECK(grad.defined() && grad.device() == group.device() && grad.dtype() == first->grad.dtype(), where,
                  "gradient " + grad.describe(),
                  "a gradient on " + group.device().str() + " of dtype " + std::string(dtype_name(first->grad.dtype())) +
                      ", as " + first->name);
    SPINDLE_CHECK(std::find(summable.begin(), summable.end(), grad.dtype()) != summable.end(), where,
                  "gradient " + grad.describe(), "a dtype " + group.name() + " sums");
    SPINDLE_CHECK(index_.emplace(parameter, static_cast<int64_t>(i)).second, where, "listed twice",
                  "every parameter once");
    const auto size = static_cast<int64_t>(grad.nbytes());
    if (buckets_.empty() || (bytes + size > bucket_bytes && buckets_.back().end > buckets_.back().first)) {
      buckets_.emplace_back();
      buckets_.back().first = buckets_.back().end = static_cast<int64_t>(i);
      bytes = 0;
    }
    buckets_.back().end += 1;
    bytes += size;
    bucket_of_.push_back(static_cast<int64_t>(buckets_.size()) - 1);
  }
  ready_.assign(parameters_.size(), false);
  for (Bucket& bucket : buckets_) {
    int64_t elements = 0;
    for (int64_t i = bucket.first; i < bucket.end; ++i) elements += parameters_[static_cast<size_t>(i)]->grad.numel();
    bucket.buffer = Tensor::empty({elements}, parameters_.front()->grad.dtype(), group.device(), &stream_);
    bucket.waiting = bucket.end - bucket.first;
  }
}

void GradientBuckets::ready(std::span<Parameter* const> parameters) {
  const std::string where = std::string(kWhere) + "::ready";
  std::vector<int64_t> indices;
  for (const Parameter* parameter : parameters) {
    const auto found = parameter ? index_.find(parameter) : index_.end();
    SPINDLE_CHECK(found != index_.end(), where, "parameter " + (parameter ? parameter->name : "null") + " is not listed",
                  "one of the parameters the buckets were made with");
    const int64_t i = found->second;
    const bool again = ready_[static_cast<size_t>(i)] || std::find(indices.begin(), indices.end(), i) != indices.end();
    SPINDLE_CHECK(!again, where, "parameter " + parameter->name + " is already ready this step",
                  "each parameter marked ready once between finish() calls");
    indices.push_back(i);
  }
  for (const int64_t i : indices) {
    ready_[static_cast<size_t>(i)] = true;
    buckets_[static_cast<size_t>(bucket_of_[static_cast<size_t>(i)])].waiting -= 1;
  }
  start_complete_buckets();
}

void GradientBuckets::start_complete_buckets() {
  for (; next_ < bucket_count() && buckets_[static_cast<size_t>(next_)].waiting == 0; ++next_) {
    Bucket& bucket = buckets_[static_cast<size_t>(next_)];
    int64_t offset = 0;
    for (int64_t i = bucket.first; i < bucket.end; ++i) {
      const Tensor& grad = parameters_[static_cast<size_t>(i)]->grad;
      Tensor slot = bucket.buffer.slice(0, offset, offset + grad.numel()).reshape(grad.shape());
      slot.copy_from(grad, &stream_);
      offset += grad.numel();
    }
    bucket.sum = group_.start_all_reduce_sum(bucket.buffer, &stream_);
  }
}

void GradientBuckets::finish() {
  const auto unready = std::find(ready_.begin(), ready_.end(), false);
  if (unready != ready_.end()) {
    const auto count = std::count(ready_.begin(), ready_.end(), false);
    throw Error(std::string(kWhere) + "::finish",
                "parameter " + parameters_[static_cast<size_t>(unready - ready_.begin())]->name + " is not ready (" +
                    std::to_string(count) + " of " + std::to_string(parameters_.size()) + " are not)",
                "every parameter marked ready by backward before finish()");
  }
  for (Bucket& bucket : buckets_) {
    bucket.sum.wait();
    int64_t offset = 0;
    for (int64_t i = bucket.first; i < bucket.end; ++i) {
      Tensor& grad = parameters_[static_cast<size_t>(i)]->grad;
      grad.copy_from(bucket.buffer.slice(0, offset, offset + grad.numel()).reshape(grad.shape()), &stream_);
      offset += grad.numel();
    }
    bucket.waiting = bucket.end - bucket.first;
  }
  ready_.assign(parameters_.size(), false);
  next_ = 0;
}

}  // namespace spindle
