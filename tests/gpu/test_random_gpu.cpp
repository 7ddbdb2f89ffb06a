// The Philox streams drawn on the GPU equal the CPU's, draw for draw.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "platform/random.h"
#include "platform/tensor.h"
#include "tests/support/gpu.h"

namespace spindle {
namespace {

struct Case {
  int64_t n;
  uint64_t offset;
};

std::vector<float> draw(Device device, Case c, uint64_t seed, bool normal) {
  Tensor out = Tensor::empty({c.n}, DType::f32, device);
  if (device.is_cuda()) {
    // Poison: every element must be written by the kernel.
    const Tensor nans = Tensor::from_vector(std::vector<float>(c.n, std::numeric_limits<float>::quiet_NaN()), {c.n});
    out.copy_from(nans);
  }
  RandomStream stream{seed, c.offset};
  normal ? fill_normal(out, stream) : fill_uniform(out, stream);
  return out.to(Device::cpu()).to_vector<float>();
}

const Case kCases[] = {{1, 0}, {3, 1}, {1000003, 5}, {65536 * 256 + 17, 2}, {4099, (uint64_t{1} << 33) + 3}};

TEST(RandomGpu, UniformDrawsEqualTheCpuExactly) {
  SPINDLE_REQUIRE_GPUS(1);
  for (const Case& c : kCases) {
    const std::vector<float> cpu = draw(Device::cpu(), c, 77, false);
    const std::vector<float> gpu = draw(Device::cuda(0), c, 77, false);
    ASSERT_EQ(cpu.size(), gpu.size());
    int64_t differing = 0;
    for (size_t i = 0; i < cpu.size(); ++i) differing += cpu[i] != gpu[i];  // NaN never equals
    EXPECT_EQ(differing, 0) << "n " << c.n << " offset " << c.offset;
  }
}

TEST(RandomGpu, NormalDrawsEqualTheCpuToAFloatUlp) {
  SPINDLE_REQUIRE_GPUS(1);
  for (const Case& c : kCases) {
    const std::vector<float> cpu = draw(Device::cpu(), c, 78, true);
    const std::vector<float> gpu = draw(Device::cuda(0), c, 78, true);
    int64_t bitwise_equal = 0;
    double worst_relative = 0;
    for (size_t i = 0; i < cpu.size(); ++i) {
      ASSERT_TRUE(std::isfinite(gpu[i])) << "element " << i << " not written or not finite";
      bitwise_equal += cpu[i] == gpu[i];
      worst_relative = std::max(worst_relative, std::abs(double(cpu[i]) - gpu[i]) / std::max(1.0, std::abs(double(cpu[i]))));
    }
    EXPECT_LE(worst_relative, 2.4e-7) << "n " << c.n;  // one float ulp at magnitude 1..2
    // libm and CUDA differ in the last double bits only: nearly every float is identical.
    EXPECT_GE(double(bitwise_equal), 0.999 * double(cpu.size())) << "n " << c.n;
  }
}

TEST(RandomGpu, SplitAcrossTheDeviceAndTheHostEqualsWhole) {
  SPINDLE_REQUIRE_GPUS(1);
  const std::vector<float> whole = draw(Device::cpu(), {50001, 0}, 5, false);
  std::vector<float> joined = draw(Device::cuda(0), {20000, 0}, 5, false);
  const std::vector<float> rest = draw(Device::cpu(), {30001, 20000}, 5, false);
  joined.insert(joined.end(), rest.begin(), rest.end());
  EXPECT_EQ(joined, whole);
}

}  // namespace
}  // namespace spindle
