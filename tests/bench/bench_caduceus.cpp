// Caduceus training-step throughput on one GPU: the full step (forward in bf16, masked-LM
// cross-entropy on 15% of positions, backward, gradient clipping, AdamW on f32 master
// weights, zeroing the gradients), timed with CUDA events after warm-up, median of the
// repeats. Peak device memory is the pool's high-water mark over the timed steps.
//   bench_caduceus [--variant ph|ps]... [--length L]... [--batch B]... [--layers N]
//                  [--d-model D] [--repeats R] [--longest] [--recompute] [--device-gib G]
// Defaults: the published 131k configuration (d_model 256, 16 layers), both variants,
// L 131,072, batch 1 and 2. --longest doubles L from the first length until a step no
// longer fits, then bisects (to 16,384) and reports the longest that did. --recompute keeps
// only each layer's residual stream in the forward and recomputes the layer in backward
// (Caduceus::set_recompute). --device-gib G first takes all but G GiB of the device from
// the pool and holds it, so the steps run in the memory of a smaller GPU (G must be below
// the device's total as CUDA reports it: 79.2 GiB for an H100 80GB, whose nvidia-smi shows
// 81,559 MiB); the held bytes are left out of peakGiB.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "platform/device.h"
#include "platform/memory.h"
#include "platform/models/caduceus.h"
#include "platform/tensor.h"
#include "tests/support/median_time.h"
#include "tests/support/training_step.h"

namespace spindle {
namespace {

const Device kGpu = Device::cuda(0);

// Reference figures (PyTorch + mamba_ssm's CUDA scan + Triton RMSNorm, bf16 autocast,
// AdamW) on the device's H100, full step, issue 5. 0 = out of memory there.
struct Anchor {
  bool rcps;
  int64_t length, batch;
  double ms, peak_gib;
};
const Anchor kAnchors[] = {{false, 131072, 1, 444, 33.5}, {false, 131072, 2, 867, 74.9},
                           {false, 262144, 1, 884, 66.9}, {true, 131072, 1, 937, 67.8},
                           {true, 131072, 2, 0, 0},       {true, 262144, 1, 0, 0}};

struct Result {
  bool fits;
  double ms, peak_gib;
};

Result measure(const CaduceusConfig& config, int64_t batch, int64_t length, int repeats, bool recompute,
               size_t held_bytes) {
  const Stream stream = Stream::per_thread(kGpu);
  try {
    testing::TrainingStep step(config, kGpu, DType::bf16, batch, length, recompute);
    stream.synchronize();
    reset_peak_device_memory(0);
    const double ms = testing::median_ms([&] { step.run(stream); }, repeats, stream, 2);
    return {true, ms, double(device_memory_stats(0).used_peak_bytes - held_bytes) / double(1 << 30)};
  } catch (const Error& error) {
    if (std::strstr(error.what(), "out of device memory") == nullptr) throw;
    stream.synchronize();
    return {false, 0, 0};
  }
}

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  using namespace spindle;
  std::vector<std::string> variants;
  std::vector<int64_t> lengths, batches;
  int64_t layers = 16, d_model = 256;
  int repeats = 5;
  bool longest = false, recompute = false;
  double device_gib = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--longest" || flag == "--recompute") {
      (flag == "--longest" ? longest : recompute) = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", argv[i]);
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--variant" && (value == "ph" || value == "ps")) variants.push_back(value);
    else if (flag == "--length") lengths.push_back(std::atoll(value.c_str()));
    else if (flag == "--batch") batches.push_back(std::atoll(value.c_str()));
    else if (flag == "--layers") layers = std::atoll(value.c_str());
    else if (flag == "--d-model") d_model = std::atoll(value.c_str());
    else if (flag == "--repeats") repeats = std::atoi(value.c_str());
    else if (flag == "--device-gib") device_gib = std::atof(value.c_str());
    else {
      std::fprintf(stderr, "unknown option %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  if (variants.empty()) variants = {"ph", "ps"};
  if (lengths.empty()) lengths = {131072};
  if (batches.empty()) batches = {1, 2};
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_caduceus: no GPU\n");
    return 1;
  }
  Tensor held;
  if (device_gib > 0) {
    const size_t total = gpu_properties(0).total_memory_bytes, keep = static_cast<size_t>(device_gib * (1 << 30));
    if (keep >= total) {
      std::fprintf(stderr, "bench_caduceus: --device-gib %.1f is not below the device's %.1f GiB\n", device_gib,
                   total / double(1 << 30));
      return 2;
    }
    held = Tensor::empty({static_cast<int64_t>((total - keep) / sizeof(float))}, DType::f32, kGpu);
    std::printf("holding %.1f GiB of the device's %.1f: the steps run in %.1f GiB\n", held.nbytes() / double(1 << 30),
                total / double(1 << 30), device_gib);
  }
  const size_t held_bytes = held.defined() ? held.nbytes() : 0;
  std::printf("%-3s %9s %6s %10s %12s %9s %10s %9s %9s\n", "var", "length", "batch", "step ms", "tokens/s", "peakGiB",
              "ref ms", "speedup", "ref GiB");
  for (const std::string& variant : variants) {
    CaduceusConfig config = caduceus_131k_config(variant == "ps");
    config.n_layer = layers;
    config.d_model = d_model;
    for (const int64_t batch : batches) {
      for (const int64_t length : lengths) {
        const Result r = measure(config, batch, length, repeats, recompute, held_bytes);
        const Anchor* anchor = nullptr;
        for (const Anchor& a : kAnchors) {
          if (a.rcps == config.rcps && a.length == length && a.batch == batch && layers == 16 && d_model == 256 &&
              !recompute) {
            anchor = &a;
          }
        }
        char ref_ms[16] = "-", speedup[16] = "-", ref_gib[16] = "-";
        if (anchor && anchor->ms > 0) {
          std::snprintf(ref_ms, sizeof ref_ms, "%.0f", anchor->ms);
          if (r.fits) std::snprintf(speedup, sizeof speedup, "%.2fx", anchor->ms / r.ms);
          std::snprintf(ref_gib, sizeof ref_gib, "%.1f", anchor->peak_gib);
        } else if (anchor) {
          std::snprintf(ref_ms, sizeof ref_ms, "OOM");
        }
        if (r.fits) {
          std::printf("%-3s %9lld %6lld %10.1f %12.0f %9.1f %10s %9s %9s\n", variant.c_str(),
                      static_cast<long long>(length), static_cast<long long>(batch), r.ms,
                      double(batch * length) / (r.ms * 1e-3), r.peak_gib, ref_ms, speedup, ref_gib);
        } else {
          std::printf("%-3s %9lld %6lld %10s %12s %9s %10s %9s %9s\n", variant.c_str(), static_cast<long long>(length),
                      static_cast<long long>(batch), "OOM", "-", "-", ref_ms, speedup, ref_gib);
        }
        std::fflush(stdout);
      }
    }
    if (longest) {
      // Double from the first length until a step does not fit, then bisect to 16,384.
      int64_t fits = 0, fails = 0;
      auto try_length = [&](int64_t length) {
        const Result r = measure(config, 1, length, 1, recompute, held_bytes);
        if (r.fits) {
          std::printf("%-3s %9lld %6d %10.1f %12.0f %9.1f   (longest search)\n", variant.c_str(),
                      static_cast<long long>(length), 1, r.ms, double(length) / (r.ms * 1e-3), r.peak_gib);
        } else {
          std::printf("%-3s %9lld %6d %10s   (longest search)\n", variant.c_str(), static_cast<long long>(length), 1,
                      "OOM");
        }
        std::fflush(stdout);
        return r.fits;
      };
      for (int64_t length = lengths.front(); fails == 0; length *= 2) (try_length(length) ? fits : fails) = length;
      while (fails - fits > 16384) {
        const int64_t middle = (fits + fails) / 2 / 16384 * 16384;
        (try_length(middle) ? fits : fails) = middle;
      }
      std::printf("%s: longest L in one training step at batch 1: %lld\n", variant.c_str(), static_cast<long long>(fits));
    }
  }
  std::printf("speedup: reference step time / spindle step time (issue 5 anchors, same H100 kind)\n");
  return 0;
}
