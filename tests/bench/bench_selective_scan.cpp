// Selective scan timing on one GPU: bf16 inputs, f32 state, z gating, softplus with bias,
// D skip; Mamba's shapes (batch 1, d_inner 512, d_state 16) by default.
//   bench_selective_scan [--length L]... [--channels D] [--state N] [--batch B] [--repeats R]
//                        [--segments S]... [--forward-only]
// Prints per length median times (CUDA events, after warm-up) of: the forward alone (fwd, no
// states saved: inference); forward + backward as training runs them (fwd+bwd: the forward
// saves the states its backward starts from); and forward + backward with nothing saved
// (fb-recomp: the backward runs the forward's scan again first). With each, the bytes a
// minimal implementation must move and the achieved fraction of the device's copy bandwidth
// (measured here with a device-to-device copy). --segments forces the forward's segment
// count (0, the default: automatic); several values compare them. --forward-only times the
// forward alone (for quick comparisons of its kernels).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "platform/ops/axpy.h"
#include "platform/ops/convert.h"
#include "platform/ops/selective_scan.h"
#include "platform/random.h"
#include "platform/tensor.h"
#include "tests/support/median_time.h"

namespace spindle {
namespace {

const Device kGpu = Device::cuda(0);

using testing::median_ms;

// Values uniform in [low, high), drawn on the GPU: the same Philox draws as
// testing::random_tensor (drawing on the host took most of a run at L 1,048,576).
Tensor device_random(const Shape& shape, DType dtype, uint64_t seed, double low, double high, const Stream& stream) {
  Tensor unit = Tensor::empty(shape, DType::f32, kGpu, &stream);
  RandomStream random{seed, 0};
  fill_uniform(unit, random, &stream);
  // low + (high - low) u, the offset copied row by row from one uploaded row (a host array of
  // every element would be a 2 GB fill and upload per input at L 1,048,576).
  const Shape matrix{unit.rows(), unit.cols()};
  const Tensor low_row =
      Tensor::from_vector(std::vector<float>(unit.cols(), static_cast<float>(low)), {1, unit.cols()}).to(kGpu, &stream);
  Tensor values = Tensor::empty(matrix, DType::f32, kGpu, &stream);
  for (int64_t r = 0; r < matrix[0]; ++r) values.slice(0, r, r + 1).copy_from(low_row, &stream);
  ops::axpy(high - low, unit.reshape(matrix), values, &stream);
  return ops::converted(values.reshape(shape), dtype, &stream);
}

double copy_bandwidth_gbs(const Stream& stream) {
  const int64_t n = int64_t{1} << 30;  // 1 GiB each way
  const Tensor source = Tensor::zeros({n}, DType::u8, kGpu);
  Tensor target = Tensor::empty({n}, DType::u8, kGpu);
  const double ms = median_ms([&] { target.copy_from(source, &stream); }, 10, stream);
  return 2.0 * n / (ms * 1e-3) / 1e9;
}

struct Anchor {
  int64_t length;
  double forward_ms, forward_backward_ms;
};
// mamba_ssm's own CUDA kernel on the device's H100 (issue 4), d_inner 512, d_state 16, batch 1.
const Anchor kAnchors[] = {{131072, 1.50, 8.94}, {1048576, 12.0, 72.7}};

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  using namespace spindle;
  std::vector<int64_t> lengths, segment_counts;
  int64_t channels = 512, state = 16, batch = 1;
  int repeats = 20;
  bool forward_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--forward-only") {
      forward_only = true;
      continue;
    }
    if (++i == argc) {
      std::fprintf(stderr, "option %s needs a value\n", flag.c_str());
      return 2;
    }
    const int64_t value = std::atoll(argv[i]);
    if (flag == "--length") lengths.push_back(value);
    else if (flag == "--channels") channels = value;
    else if (flag == "--state") state = value;
    else if (flag == "--batch") batch = value;
    else if (flag == "--repeats") repeats = static_cast<int>(value);
    else if (flag == "--segments") segment_counts.push_back(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (lengths.empty()) lengths = {131072, 1048576};
  if (segment_counts.empty()) segment_counts = {0};
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_selective_scan: no GPU\n");
    return 1;
  }
  const Stream stream = Stream::create(kGpu);
  const double bandwidth = copy_bandwidth_gbs(stream);
  std::printf("device copy bandwidth: %.0f GB/s (read + write)\n", bandwidth);
  std::printf("%-9s %-9s %5s %9s %9s %8s %7s %12s %9s %7s\n", "length", "pass", "segs", "ms", "anchor", "vs anch", "GB",
              "GB/s", "of copy", "peakGiB");
  for (const int64_t length : lengths) {
    const Shape sequence{batch, channels, length}, per_state{batch, state, length};
    const Tensor u = device_random(sequence, DType::bf16, 1, -1, 1, stream);
    const Tensor delta = device_random(sequence, DType::bf16, 2, -4, -1, stream);
    const Tensor z = device_random(sequence, DType::bf16, 3, -1, 1, stream);
    const Tensor B = device_random(per_state, DType::bf16, 4, -1, 1, stream);
    const Tensor C = device_random(per_state, DType::bf16, 5, -1, 1, stream);
    const Tensor A = device_random({channels, state}, DType::f32, 6, -8, -1, stream);
    const Tensor D = device_random({channels}, DType::f32, 7, -1, 1, stream);
    const Tensor bias = device_random({channels}, DType::f32, 8, -1, 1, stream);
    const Tensor dout = device_random(sequence, DType::bf16, 9, -1, 1, stream);
    Tensor out = Tensor::empty(sequence, DType::bf16, kGpu);
    Tensor du = Tensor::empty(sequence, DType::bf16, kGpu), ddelta = Tensor::empty(sequence, DType::bf16, kGpu),
           dz = Tensor::empty(sequence, DType::bf16, kGpu);
    Tensor dB = Tensor::empty(per_state, DType::bf16, kGpu), dC = Tensor::empty(per_state, DType::bf16, kGpu);
    Tensor dA = Tensor::zeros({channels, state}, DType::f32, kGpu), dD = Tensor::zeros({channels}, DType::f32, kGpu),
           dbias = Tensor::zeros({channels}, DType::f32, kGpu);
    const ops::ScanTensors in{&u, &delta, &A, &B, &C, &D, &z, &bias, nullptr};
    const ops::ScanGradientTensors grad{&du, &ddelta, &dA, &dB, &dC, &dD, &dz, &dbias, nullptr};
    Tensor saved = Tensor::empty(ops::selective_scan_saved_shape(in), DType::f32, kGpu);
    for (const int64_t segments : segment_counts) {
      const kernels::ScanOptions options{.softplus = true, .reverse = false, .forward_segments = segments};
      stream.synchronize();
      reset_peak_device_memory(0);
      const double forward =
          median_ms([&] { ops::selective_scan_forward(in, out, nullptr, options, &stream); }, repeats, stream);
      double forward_saving = 0, backward_from_saved = 0, backward_recomputing = 0;
      if (!forward_only) {
        forward_saving = median_ms(
            [&] { ops::selective_scan_forward(in, out, nullptr, options, &stream, &saved); }, repeats, stream);
        backward_from_saved = median_ms(
            [&] { ops::selective_scan_backward(in, dout, nullptr, grad, options, &stream, &saved); }, repeats, stream);
        backward_recomputing = median_ms(
            [&] { ops::selective_scan_backward(in, dout, nullptr, grad, options, &stream); }, repeats, stream);
      }
      const double peak_gib = device_memory_stats(0).used_peak_bytes / double(1 << 30);
      const double element = 2.0;  // bf16
      const double seq_bytes = double(batch) * channels * length * element,
                   state_bytes = double(batch) * state * length * element;
      const double forward_bytes = 4 * seq_bytes + 2 * state_bytes;  // u, delta, z, B, C in; out
      const double backward_bytes =
          4 * seq_bytes + 2 * state_bytes + 3 * seq_bytes + 2 * state_bytes;  // + dout in; du, ddelta, dz, dB, dC out
      double anchor_f = 0, anchor_fb = 0;
      for (const Anchor& a : kAnchors) {
        if (a.length == length && channels == 512 && state == 16 && batch == 1) {
          anchor_f = a.forward_ms;
          anchor_fb = a.forward_backward_ms;
        }
      }
      char segments_text[24] = "auto";
      if (segments > 0) std::snprintf(segments_text, sizeof segments_text, "%lld", static_cast<long long>(segments));
      auto row = [&](const char* pass, double ms, double anchor, double bytes) {
        const double gbs = bytes / (ms * 1e-3) / 1e9;
        char versus[16] = "-";
        if (anchor > 0) std::snprintf(versus, sizeof versus, "%.2fx", anchor / ms);
        char anchor_text[16] = "-";
        if (anchor > 0) std::snprintf(anchor_text, sizeof anchor_text, "%.2f", anchor);
        std::printf("%-9lld %-9s %5s %9.3f %9s %8s %7.3f %12.0f %8.1f%% %7.2f\n", static_cast<long long>(length), pass,
                    segments_text, ms, anchor_text, versus, bytes / 1e9, gbs, 100 * gbs / bandwidth, peak_gib);
      };
      row("fwd", forward, anchor_f, forward_bytes);
      if (forward_only) continue;
      row("fwd+bwd", forward_saving + backward_from_saved, anchor_fb, forward_bytes + backward_bytes);
      row("fb-recomp", forward + backward_recomputing, anchor_fb, forward_bytes + backward_bytes);
    }
  }
  std::printf("vs anch: anchor time / spindle time (above 1 is faster than mamba_ssm's kernel)\n");
  return 0;
}
