// Device memory, copies, streams and events on a real GPU.
#include <gtest/gtest.h>

#include <cstring>

#include "platform/memory.h"
#include "platform/random.h"
#include "platform/tensor.h"
#include "tests/support/gpu.h"

namespace spindle {
namespace {

const Device kGpu = Device::cuda(0);

Tensor random_host(const Shape& shape, uint64_t seed, HostMemory host = HostMemory::pageable) {
  Tensor t = Tensor::empty(shape, DType::f32, Device::cpu(), nullptr, host);
  RandomStream stream{seed, 0};
  fill_uniform(t, stream);
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  const Tensor x = a.contiguous(), y = b.contiguous();
  return x.nbytes() == y.nbytes() && std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()) == 0;
}

TEST(CudaMemory, PoolAccountsAllocationsAndKeepsFreedMemory) {
  SPINDLE_REQUIRE_GPUS(1);
  Stream::per_thread(kGpu).synchronize();
  const DeviceMemoryStats before = device_memory_stats(0);
  const size_t bytes = size_t{64} << 20;
  {
    const Tensor t = Tensor::empty({static_cast<int64_t>(bytes / 4)}, DType::f32, kGpu);
    Stream::per_thread(kGpu).synchronize();
    const DeviceMemoryStats during = device_memory_stats(0);
    EXPECT_GE(during.used_bytes, before.used_bytes + bytes);
    EXPECT_GE(during.reserved_bytes, during.used_bytes);
  }
  Stream::per_thread(kGpu).synchronize();
  const DeviceMemoryStats after = device_memory_stats(0);
  EXPECT_EQ(after.used_bytes, before.used_bytes);
  EXPECT_GE(after.reserved_bytes, bytes) << "the pool should keep freed memory for reuse";
  EXPECT_GE(after.used_peak_bytes, before.used_bytes + bytes);

  // Steady state: the same allocation again is served from the pool.
  for (int i = 0; i < 10; ++i) {
    const Tensor t = Tensor::empty({static_cast<int64_t>(bytes / 4)}, DType::f32, kGpu);
  }
  Stream::per_thread(kGpu).synchronize();
  EXPECT_EQ(device_memory_stats(0).reserved_bytes, after.reserved_bytes);

  reset_peak_device_memory(0);
  EXPECT_EQ(device_memory_stats(0).used_peak_bytes, device_memory_stats(0).used_bytes);
}

TEST(CudaMemory, OutOfMemoryIsAClearError) {
  SPINDLE_REQUIRE_GPUS(1);
  try {
    Tensor::empty({int64_t{1} << 42}, DType::f32, kGpu);  // 16 TiB
    FAIL() << "a 16 TiB allocation did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of device memory"), std::string::npos) << e.what();
  }
  // The device stays usable afterwards.
  const Tensor ok = Tensor::zeros({1024}, DType::f32, kGpu);
  EXPECT_EQ(ok.to(Device::cpu()).to_vector<float>(), std::vector<float>(1024, 0.0f));
}

// Sizes around the 8 MiB staging chunk, odd lengths, one element.
class RoundTrip : public ::testing::TestWithParam<int64_t> {};

TEST_P(RoundTrip, PageableAndPinnedHostMemoryComeBackBitForBit) {
  SPINDLE_REQUIRE_GPUS(1);
  const int64_t n = GetParam();
  for (HostMemory host : {HostMemory::pageable, HostMemory::pinned}) {
    const Tensor source = random_host({n}, static_cast<uint64_t>(n), host);
    const Tensor on_gpu = source.to(kGpu);
    EXPECT_EQ(on_gpu.device(), kGpu);
    const Tensor back = on_gpu.to(Device::cpu());
    EXPECT_TRUE(same_bytes(source, back)) << "n = " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTrip,
                         ::testing::Values(int64_t{1}, int64_t{1023}, int64_t{(8 << 20) / 4},
                                           int64_t{(8 << 20) / 4 + 1}, int64_t{5'000'003}));

TEST(CudaCopy, StridedViewsCopyBothWays) {
  SPINDLE_REQUIRE_GPUS(1);
  const Tensor host = random_host({37, 3, 129}, 5);
  const Tensor host_view = host.slice(0, 4, 31).slice(-1, 7, 100);
  // Strided pageable host -> device, then compare.
  EXPECT_TRUE(same_bytes(host_view.to(kGpu).to(Device::cpu()), host_view));
  // Strided device view -> host.
  const Tensor device_full = host.to(kGpu);
  const Tensor device_view = device_full.slice(0, 4, 31).slice(-1, 7, 100);
  EXPECT_FALSE(device_view.is_contiguous());
  EXPECT_TRUE(same_bytes(device_view.to(Device::cpu()), host_view));
  // Into a strided device destination, from pinned host memory.
  Tensor device_target = Tensor::zeros({27, 3, 200}, DType::f32, kGpu).slice(-1, 50, 143);
  device_target.copy_from(host_view.contiguous().to(Device::cpu()));
  EXPECT_TRUE(same_bytes(device_target.to(Device::cpu()), host_view));
  // Device -> device, strided both sides.
  Tensor device_copy = Tensor::zeros({27, 3, 95}, DType::f32, kGpu).slice(-1, 1, 94);
  device_copy.copy_from(device_view);
  EXPECT_TRUE(same_bytes(device_copy.to(Device::cpu()), host_view));
  // Strided device -> strided pageable host.
  Tensor host_target = Tensor::zeros({27, 3, 120}, DType::f32).slice(-1, 10, 103);
  host_target.copy_from(device_view);
  EXPECT_TRUE(same_bytes(host_target, host_view));
}

TEST(CudaCopy, OverlappingDeviceViewsShiftRows) {
  SPINDLE_REQUIRE_GPUS(1);
  const Tensor host = random_host({65, 3, 130}, 6);
  // Rows of 129 with a pitch of 130, moved one index down the first axis in place.
  Tensor device = host.to(kGpu).slice(-1, 0, 129);
  device.slice(0, 1, 65).copy_from(device.slice(0, 0, 64));
  EXPECT_TRUE(same_bytes(device.slice(0, 1, 65).to(Device::cpu()), host.slice(-1, 0, 129).slice(0, 0, 64)));
  EXPECT_TRUE(same_bytes(device.slice(0, 0, 1).to(Device::cpu()), host.slice(-1, 0, 129).slice(0, 0, 1)));
}

TEST(CudaCopy, ZerosOnDeviceAreZero) {
  SPINDLE_REQUIRE_GPUS(1);
  // Fill the pool with non-zero bytes first so that zeros() must really write.
  { const Tensor dirty = random_host({100003}, 9).to(kGpu); }
  const Tensor z = Tensor::zeros({100003}, DType::f32, kGpu);
  for (float v : z.to(Device::cpu()).to_vector<float>()) ASSERT_EQ(v, 0.0f);
}

TEST(CudaStream, OwnStreamOrdersCopiesAndEventsTimeThem) {
  SPINDLE_REQUIRE_GPUS(1);
  const Stream stream = Stream::create(kGpu);
  const Tensor source = random_host({1 << 20}, 3, HostMemory::pinned);
  Event start(kGpu), stop(kGpu);
  start.record(stream);
  const Tensor on_gpu = source.to(kGpu, &stream);
  stop.record(stream);
  stop.synchronize();
  EXPECT_GE(Event::elapsed_ms(start, stop), 0.0f);
  EXPECT_TRUE(same_bytes(on_gpu.to(Device::cpu(), &stream), source));
  EXPECT_THROW(Event(Device::cpu()), Error);
}

TEST(CudaDevices, CopiesBetweenTwoGpus) {
  SPINDLE_REQUIRE_GPUS(2);
  const Tensor source = random_host({300007}, 4);
  const Tensor on_second = source.to(kGpu).to(Device::cuda(1));
  EXPECT_EQ(on_second.device(), Device::cuda(1));
  EXPECT_TRUE(same_bytes(on_second.to(Device::cpu()), source));
}

}  // namespace
}  // namespace spindle
