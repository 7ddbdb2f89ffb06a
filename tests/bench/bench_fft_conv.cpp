// FFT long-convolution timing on one GPU: f32, causal, with the D skip term; by default
// batch 1, 256 channels at L = 2^14, 2^17, 2^20, 2^22.
//   bench_fft_conv [--length L]... [--channels C] [--batch B] [--repeats R] [--backward 0|1]
//                  [--chunk K]   (channels transformed together; 0: automatic)
//                  [--path automatic|one_block|own_rows|cufft_rows]   (kernels/fft_conv.h)
// Prints per length: the forward median time (CUDA events, after warm-up; inputs random
// normal, never zeros), the minimal bytes (read u and k, write y once) and the rate they
// give, that rate as a fraction of the H100's ~3.0 TB/s copy bandwidth, the bytes this
// implementation moves (one read and one write of the rows per pass, a lower bound: large
// cuFFT transforms take more than one pass), and the anchor
// (PyTorch's cuFFT path measured on the same H100). With --backward 1, forward+backward
// times too.
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "platform/ops/fft_conv.h"
#include "platform/random.h"
#include "platform/tensor.h"
#include "tests/support/median_time.h"

namespace spindle {
namespace {

const Device kGpu = Device::cuda(0);
constexpr double kCopyBandwidthGBs = 3000.0;  // H100 SXM, device copy, as stated in issue 4

Tensor device_normal(const Shape& shape, uint64_t seed, const Stream& stream) {
  Tensor t = Tensor::empty(shape, DType::f32, kGpu, &stream);
  RandomStream random{seed, 0};
  fill_normal(t, random, &stream);
  return t;
}

struct Anchor {
  int64_t length;
  double forward_ms;
};
// PyTorch (rfft/irfft, n = 2L) on the device's H100, f32, batch 1, 256 channels (issue 4).
const Anchor kAnchors[] = {{16384, 0.313}, {131072, 3.38}, {1048576, 26.4}, {4194304, 118.5}};

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  using namespace spindle;
  std::vector<int64_t> lengths;
  int64_t channels = 256, batch = 1;
  int repeats = 20;
  bool backward = false;
  int64_t chunk = 0;
  kernels::FftConvPath path_choice = kernels::FftConvPath::automatic;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--path") {
      bool known = false;
      for (const kernels::FftConvPath p : {kernels::FftConvPath::automatic, kernels::FftConvPath::one_block,
                                           kernels::FftConvPath::own_rows, kernels::FftConvPath::cufft_rows}) {
        if (std::string(argv[i + 1]) == kernels::fft_conv_path_name(p)) path_choice = p, known = true;
      }
      if (!known) {
        std::fprintf(stderr, "--path %s: expected automatic, one_block, own_rows or cufft_rows\n", argv[i + 1]);
        return 2;
      }
    } else if (flag == "--length") lengths.push_back(value);
    else if (flag == "--channels") channels = value;
    else if (flag == "--batch") batch = value;
    else if (flag == "--repeats") repeats = static_cast<int>(value);
    else if (flag == "--backward") backward = value != 0;
    else if (flag == "--chunk") chunk = value;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (lengths.empty()) lengths = {int64_t{1} << 14, int64_t{1} << 17, int64_t{1} << 20, int64_t{1} << 22};
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_fft_conv: no GPU\n");
    return 1;
  }
  const Stream stream = Stream::create(kGpu);
  std::printf(
      "device: %s; f32, causal, batch %lld, %lld channels, channels per chunk %lld, path %s, median of %d runs\n",
      gpu_properties(0).name.c_str(), static_cast<long long>(batch), static_cast<long long>(channels),
      static_cast<long long>(chunk), kernels::fft_conv_path_name(path_choice), repeats);
  std::printf("%-9s %9s %9s %8s %8s %9s %8s %9s %9s\n", "L", "fwd ms", "anchor", "vs anch", "min GB", "min GB/s",
              "of 3TB/s", "moved GB", "fwd+bwd");
  for (const int64_t length : lengths) {
    const Shape sequence{batch, channels, length};
    const Tensor u = device_normal(sequence, 1, stream);
    const Tensor k = device_normal({channels, length}, 2, stream);
    const Tensor D = device_normal({channels}, 3, stream);
    Tensor y = Tensor::empty(sequence, DType::f32, kGpu, &stream);
    const ops::FftConvArgs args{nullptr, &D, chunk, path_choice};
    const double forward = testing::median_ms([&] { ops::fft_conv_forward(u, k, y, args, &stream); }, repeats, stream);

    const double rows = double(batch) * channels, L = double(length);
    const double minimal = (2 * rows + channels) * L * 4;  // u, k in; y out
    // The forward's passes (one read and one write of every row each, a lower bound). One
    // block: each activation row's block reads u and its channel's k and writes y. Split: the
    // column pass reads u and k and writes the packed rows (2L complex values per pair of
    // channels, 8L bytes per channel); cuFFT's rows: transform, product (reads the u and k
    // spectra, writes y's), inverse; own rows: one pass reading the rows and writing y's;
    // the inverse column pass reads y's rows and writes y.
    const kernels::FftConvPath path =
        kernels::fft_conv_path({batch, channels, length, false, chunk, path_choice});
    const double in_rows = (rows + channels) * 8 * L, out_rows = rows * 8 * L;
    const double middle = path == kernels::FftConvPath::own_rows
                              ? in_rows + out_rows
                              : 2 * in_rows + (in_rows + out_rows) + 2 * out_rows;
    const double moved = path == kernels::FftConvPath::one_block
                             ? 3 * rows * L * 4
                             : (rows + channels) * L * 4 + in_rows + middle + out_rows + rows * L * 4;
    const double rate = minimal / (forward * 1e-3) / 1e9;
    double anchor = 0;
    for (const Anchor& a : kAnchors) {
      if (a.length == length && channels == 256 && batch == 1) anchor = a.forward_ms;
    }
    char anchor_text[16] = "-", versus[16] = "-", both[24] = "-";
    if (anchor > 0) {
      std::snprintf(anchor_text, sizeof anchor_text, "%.3f", anchor);
      std::snprintf(versus, sizeof versus, "%.2fx", anchor / forward);
    }
    if (backward) {
      try {
        const Tensor dy = device_normal(sequence, 4, stream);
        Tensor du = Tensor::empty(sequence, DType::f32, kGpu, &stream);
        Tensor dk = Tensor::empty({channels, length}, DType::f32, kGpu, &stream);
        Tensor dD = Tensor::zeros({channels}, DType::f32, kGpu, &stream);
        const double ms = testing::median_ms(
            [&] {
              ops::fft_conv_forward(u, k, y, args, &stream);
              ops::fft_conv_backward(u, k, dy, du, dk, nullptr, &dD, args, &stream);
            },
            repeats, stream);
        std::snprintf(both, sizeof both, "%.3f", ms);
      } catch (const Error& e) {
        std::snprintf(both, sizeof both, "failed");
        std::fprintf(stderr, "fwd+bwd at L=%lld: %s\n", static_cast<long long>(length), e.what());
      }
    }
    std::printf("%-9lld %9.3f %9s %8s %8.3f %9.0f %7.1f%% %9.3f %9s\n", static_cast<long long>(length), forward,
                anchor_text, versus, minimal / 1e9, rate, 100 * rate / kCopyBandwidthGBs, moved / 1e9, both);
  }
  std::printf("vs anch: anchor time / spindle time (above 1: faster than the PyTorch cuFFT path)\n");
  return 0;
}
