// Caduceus training-step throughput on one GPU: the full step (forward in bf16, masked-LM
// cross-entropy on 15% of positions, backward, gradient clipping, AdamW on f32 master
// weights, zeroing the gradients), timed with CUDA events after warm-up, median of the
// repeats. Peak device memory is the pool's high-water mark over the timed steps.
//   bench_caduceus [--variant ph|ps]... [--length L]... [--batch B]... [--layers N]
//                  [--d-model D] [--repeats R] [--longest] [--recompute]
// Defaults: the published 131k configuration (d_model 256, 16 layers), both variants,
// L 131,072, batch 1 and 2. --longest doubles L from the first length until a step no
// longer fits, then bisects (to 16,384) and reports the longest that did. --recompute keeps
// only each layer's residual stream in the forward and recomputes the layer in backward
// (Caduceus::set_recompute).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "platform/models/caduceus.h"
#include "platform/ops/adamw.h"
#include "platform/ops/clip_grad_norm.h"
#include "platform/ops/cross_entropy.h"
#include "tests/support/median_time.h"
#include "tests/support/tensors.h"

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

class TrainingStep {
 public:
  TrainingStep(const CaduceusConfig& config, int64_t batch, int64_t length, bool recompute)
      : model_(config, kGpu), batch_(batch), length_(length) {
    RandomStream random{1, 0};
    model_.initialize(random);
    model_.set_recompute(recompute);
    for (Parameter* p : model_.parameters()) {
      m_.push_back(Tensor::zeros(p->value.shape(), DType::f32, kGpu));
      v_.push_back(Tensor::zeros(p->value.shape(), DType::f32, kGpu));
      gradients_.push_back(&p->grad);
    }
    // Bases 7..10; 15% of positions are targets, the rest ignored.
    const std::vector<double> u = testing::to_doubles(testing::random_tensor({batch, length}, DType::f64, 2, 0, 1));
    std::vector<int64_t> ids(u.size()), targets(u.size());
    for (size_t i = 0; i < u.size(); ++i) {
      ids[i] = 7 + static_cast<int64_t>(u[i] * 4) % 4;
      targets[i] = (i * 2654435761u) % 100 < 15 ? ids[i] : -100;
      masked_ += targets[i] >= 0;
    }
    ids_ = Tensor::from_vector(ids, {batch, length}).to(kGpu);
    targets_ = Tensor::from_vector(targets, {batch * length}).to(kGpu);
  }

  void run(const Stream& stream) {
    Tensor logits;
    model_.forward(ids_, DType::bf16, logits, nullptr, true, &stream);
    const int64_t vocab = logits.size(2);
    Tensor flat_logits = logits.reshape({batch_ * length_, vocab});
    Tensor dlogits = Tensor::empty(flat_logits.shape(), DType::bf16, kGpu, &stream);
    Tensor loss = Tensor::empty({batch_ * length_}, DType::f32, kGpu, &stream);
    Tensor valid = Tensor::empty({1}, DType::i64, kGpu, &stream);
    ops::cross_entropy(flat_logits, targets_, loss, &dlogits, valid, {.dloss_scale = 1.0 / double(masked_)}, &stream);
    model_.backward(dlogits.reshape(logits.shape()), &stream);
    ops::clip_grad_norm(gradients_, 1.0, &stream);
    ++step_;
    std::vector<Parameter*> parameters = model_.parameters();
    for (size_t i = 0; i < parameters.size(); ++i) {
      ops::adamw_step(parameters[i]->value, parameters[i]->grad, m_[i], v_[i], nullptr,
                      {.lr = 1e-4, .weight_decay = parameters[i]->weight_decay ? 0.1 : 0.0, .step = step_}, &stream);
    }
    model_.zero_grad(&stream);
  }

 private:
  Caduceus model_;
  int64_t batch_, length_, masked_ = 0, step_ = 0;
  Tensor ids_, targets_;
  std::vector<Tensor> m_, v_;
  std::vector<Tensor*> gradients_;
};

struct Result {
  bool fits;
  double ms, peak_gib;
};

Result measure(const CaduceusConfig& config, int64_t batch, int64_t length, int repeats, bool recompute) {
  const Stream stream = Stream::per_thread(kGpu);
  try {
    TrainingStep step(config, batch, length, recompute);
    stream.synchronize();
    reset_peak_device_memory(0);
    const double ms = testing::median_ms([&] { step.run(stream); }, repeats, stream, 2);
    return {true, ms, device_memory_stats(0).used_peak_bytes / double(1 << 30)};
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
  std::printf("%-3s %9s %6s %10s %12s %9s %10s %9s %9s\n", "var", "length", "batch", "step ms", "tokens/s", "peakGiB",
              "ref ms", "speedup", "ref GiB");
  for (const std::string& variant : variants) {
    CaduceusConfig config = caduceus_131k_config(variant == "ps");
    config.n_layer = layers;
    config.d_model = d_model;
    for (const int64_t batch : batches) {
      for (const int64_t length : lengths) {
        const Result r = measure(config, batch, length, repeats, recompute);
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
        const Result r = measure(config, 1, length, 1, recompute);
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
