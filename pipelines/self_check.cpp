#include "pipelines/self_check.h"

#include <cmath>
#include <cstring>

#include "platform/random.h"
#include "platform/tensor.h"

namespace spindle {
namespace {

std::vector<float> draw(Device device, int64_t elements, uint64_t seed, uint64_t offset, bool normal) {
  Tensor values = Tensor::empty({elements}, DType::f32, device);
  RandomStream stream{seed, offset};
  normal ? fill_normal(values, stream) : fill_uniform(values, stream);
  return values.to(Device::cpu()).to_vector<float>();
}

CheckOutcome check_pieces_equal_whole(int64_t elements, uint64_t seed) {
  const std::vector<float> whole = draw(Device::cpu(), elements, seed, 0, false);
  const int64_t split = elements / 3;
  std::vector<float> pieces = draw(Device::cpu(), split, seed, 0, false);
  const std::vector<float> rest = draw(Device::cpu(), elements - split, seed, static_cast<uint64_t>(split), false);
  pieces.insert(pieces.end(), rest.begin(), rest.end());
  const bool equal = pieces == whole;
  return {"cpu", "stream drawn in two pieces equals stream drawn whole", equal,
          std::to_string(elements) + " draws, split at " + std::to_string(split)};
}

CheckOutcome check_moments(int64_t elements, uint64_t seed) {
  const std::vector<float> values = draw(Device::cpu(), elements, seed, 0, true);
  double sum = 0, sum_squares = 0;
  for (float v : values) {
    sum += v;
    sum_squares += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(values.size());
  const double mean = sum / n, variance = sum_squares / n - mean * mean;
  // Five standard errors: a correct generator fails this about once in 1.7 million runs.
  const bool passed = std::abs(mean) < 5 / std::sqrt(n) && std::abs(variance - 1) < 5 * std::sqrt(2 / n);
  char detail[96];
  std::snprintf(detail, sizeof detail, "mean %+.5f, variance %.5f over %lld draws", mean, variance,
                static_cast<long long>(elements));
  return {"cpu", "normal draws have mean 0 and variance 1", passed, detail};
}

CheckOutcome check_gpu_matches_cpu(Device gpu, int64_t elements, uint64_t seed, bool normal) {
  const uint64_t offset = 12345;  // not a multiple of the Philox block: exercises the index split
  const std::vector<float> cpu = draw(Device::cpu(), elements, seed, offset, normal);
  const std::vector<float> device = draw(gpu, elements, seed, offset, normal);
  int64_t differing = 0;
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (cpu[i] != device[i]) ++differing;
    worst = std::max(worst, std::abs(static_cast<double>(cpu[i]) - device[i]));
  }
  // Uniform draws are integer arithmetic: exact. Normal draws go through log/sin/cos in
  // double, whose last bits may differ between libm and CUDA: a float ulp at most.
  const bool passed = normal ? worst <= 1e-6 : differing == 0;
  char detail[128];
  std::snprintf(detail, sizeof detail, "%lld draws, %lld differ, max |diff| %.2e", static_cast<long long>(elements),
                static_cast<long long>(differing), worst);
  return {gpu.str(), std::string(normal ? "normal" : "uniform") + " draws equal the CPU's", passed, detail};
}

CheckOutcome check_round_trip(Device gpu, int64_t elements, uint64_t seed, HostMemory host) {
  Tensor source = Tensor::empty({elements}, DType::f32, Device::cpu(), nullptr, host);
  RandomStream stream{seed, 0};
  fill_uniform(source, stream);
  const Tensor back = source.to(gpu).to(Device::cpu());
  const bool equal = std::memcmp(source.raw_data(), back.raw_data(), source.nbytes()) == 0;
  return {gpu.str(), std::string("host -> device -> host through ") + (host == HostMemory::pinned ? "pinned" : "pageable") +
                         " memory",
          equal, std::to_string(source.nbytes()) + " bytes"};
}

}  // namespace

std::vector<CheckOutcome> run_self_check(int64_t elements, uint64_t seed) {
  std::vector<CheckOutcome> outcomes{check_pieces_equal_whole(elements, seed), check_moments(elements, seed)};
  for (int index = 0; index < cuda_device_count(); ++index) {
    const Device gpu = Device::cuda(index);
    outcomes.push_back(check_gpu_matches_cpu(gpu, elements, seed, false));
    outcomes.push_back(check_gpu_matches_cpu(gpu, elements, seed, true));
    outcomes.push_back(check_round_trip(gpu, elements, seed, HostMemory::pageable));
    outcomes.push_back(check_round_trip(gpu, elements, seed, HostMemory::pinned));
  }
  return outcomes;
}

}  // namespace spindle
