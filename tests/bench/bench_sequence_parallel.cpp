// Sequence-parallel Caduceus training step over the ranks of one ring (issue 6's scaling
// benchmark): mpirun -np N, one GPU per rank through NCCL, or CPU ranks through MPI with
// --device cpu (a smoke run). Every rank holds --slice positions of one row of N x slice
// positions; the gradients are summed over the ring during backward, as training does.
//   mpirun -np N bench_sequence_parallel [--variant ph|ps] [--slice L] [--layers N]
//          [--d-model D] [--repeats R] [--device cuda|cpu] [--recompute] [--alone]
// A step is timed on the host from a barrier to a barrier after the device has finished
// (the slowest rank's step), median of --repeats after 2 warm-up steps. Rank 0 prints the
// ranks, the row's length, step ms, tokens/s of the row and per rank, the largest per-rank
// device peak (GiB, CUDA only), and with --alone the same step of one slice on each rank
// without the ring: its time and the ring's per-rank throughput as a fraction of it, the
// scaling efficiency issue 6 asks to be at least 90% on 4 GPUs. "comm" is the time a rank's
// stream spends in the ring's calls (halo and summary exchanges, the loss's sums, and the
// gradient sums' waits: transfer plus waiting for later ranks; Communicator::set_measuring),
// median over the steps, the largest of any rank, and its share of the step. The longest row a ring
// handles is found by running again with a larger --slice (a rank out of memory ends the
// run with the device pool's error).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/mpi_runtime.h"
#include "platform/distributed/process_grid.h"
#include "platform/distributed/process_placement.h"
#include "platform/distributed/ring_section.h"
#include "platform/memory.h"
#include "platform/models/caduceus.h"
#include "tests/support/training_step.h"

namespace spindle {
namespace {

struct Options {
  std::string variant = "ph";
  int64_t slice = 131072, layers = 16, d_model = 256;
  int repeats = 5;
  Device device = Device::cuda(0);
  bool recompute = false, alone = false;
};

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--recompute" || flag == "--alone") {
      (flag == "--recompute" ? o.recompute : o.alone) = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", argv[i]);
      return std::nullopt;
    }
    const std::string value = argv[++i];
    if (flag == "--variant" && (value == "ph" || value == "ps")) o.variant = value;
    else if (flag == "--slice") o.slice = std::atoll(value.c_str());
    else if (flag == "--layers") o.layers = std::atoll(value.c_str());
    else if (flag == "--d-model") o.d_model = std::atoll(value.c_str());
    else if (flag == "--repeats") o.repeats = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--device" && (value == "cuda" || value == "cpu")) o.device = value == "cpu" ? Device::cpu() : o.device;
    else {
      std::fprintf(stderr, "unknown option %s %s\n", flag.c_str(), value.c_str());
      return std::nullopt;
    }
  }
  return o;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct StepTimes {
  double step_ms = 0;           // the slowest rank's step, from barrier to barrier
  double communication_ms = 0;  // this rank's time in `measured`'s calls
};

// Medians over `repeats` steps after 2 warm-up steps; `measured` (may be null) is the
// communicator whose calls are timed.
StepTimes median_step(testing::TrainingStep& step, const Stream& stream, Communicator& world, Communicator* measured,
                      int repeats) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> steps, communication;
  if (measured) measured->set_measuring(true);
  for (int i = 0; i < repeats + 2; ++i) {
    world.barrier(&stream);
    if (measured) (void)measured->take_measured_ms();
    const Clock::time_point begin = Clock::now();
    step.run(stream);
    stream.synchronize();
    const double communication_ms = measured ? measured->take_measured_ms() : 0.0;
    world.barrier(&stream);
    if (i < 2) continue;
    steps.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
    communication.push_back(communication_ms);
  }
  if (measured) measured->set_measuring(false);
  return {median(steps), median(communication)};
}

// The largest of every rank's `mine`.
double largest_over_ranks(double mine, MpiCommunicator& world) {
  Tensor all = Tensor::empty({world.size()}, DType::f64, Device::cpu());
  world.all_gather(Tensor::from_vector<double>({mine}, {1}), all);
  const std::vector<double> values = all.to_vector<double>();
  return *std::max_element(values.begin(), values.end());
}

// The benchmark on this rank; rank 0 prints.
void run(Options o, MpiCommunicator& world) {
  if (o.device.is_cuda()) o.device = gpu_for_process(discover_placement(), cuda_device_count());
  ProcessGrid grid = ProcessGrid::create(world, {.sequence = world.size(), .data = 1}, o.device);
  CaduceusConfig config = caduceus_131k_config(o.variant == "ps");
  config.n_layer = o.layers;
  config.d_model = o.d_model;
  const DType activations = o.device.is_cuda() ? DType::bf16 : DType::f32;
  const Stream stream = Stream::per_thread(o.device);
  const int64_t ranks = world.size(), row = ranks * o.slice;

  if (o.device.is_cuda()) reset_peak_device_memory(o.device.index);
  StepTimes ring;
  {
    testing::TrainingStep step(config, o.device, activations, 1, o.slice, o.recompute, &grid.ring());
    ring = median_step(step, stream, grid.world(), &grid.ring(), o.repeats);
  }
  const double ring_ms = ring.step_ms;
  const double communication_ms = largest_over_ranks(ring.communication_ms, world);
  const double peak = largest_over_ranks(
      o.device.is_cuda() ? device_memory_stats(o.device.index).used_peak_bytes / double(1 << 30) : 0.0, world);
  double alone_ms = 0;
  if (o.alone) {
    testing::TrainingStep step(config, o.device, activations, 1, o.slice, o.recompute);
    alone_ms = median_step(step, stream, grid.world(), nullptr, o.repeats).step_ms;
  }
  if (world.rank() != 0) return;
  std::printf("%s on %s, %lld ranks, d_model %lld, %lld layers%s, median of %d steps\n", o.variant.c_str(),
              o.device.is_cuda() ? gpu_properties(o.device.index).name.c_str() : "CPU", static_cast<long long>(ranks),
              static_cast<long long>(o.d_model), static_cast<long long>(o.layers), o.recompute ? ", recompute" : "",
              o.repeats);
  std::printf("%-5s %10s %10s %10s %12s %12s %9s %9s %7s %10s %10s\n", "ranks", "slice", "row", "step ms",
              "tokens/s", "per rank", "peakGiB", "comm ms", "comm %", "alone ms", "efficiency");
  char alone[16] = "-", efficiency[16] = "-";
  if (o.alone) {
    std::snprintf(alone, sizeof alone, "%.1f", alone_ms);
    std::snprintf(efficiency, sizeof efficiency, "%.1f%%", 100 * alone_ms / ring_ms);
  }
  std::printf("%-5lld %10lld %10lld %10.1f %12.0f %12.0f %9.1f %9.2f %6.1f%% %10s %10s\n",
              static_cast<long long>(ranks), static_cast<long long>(o.slice), static_cast<long long>(row), ring_ms,
              row / (ring_ms * 1e-3), o.slice / (ring_ms * 1e-3), peak, communication_ms,
              100 * communication_ms / ring_ms, alone, efficiency);
  std::printf("comm: the most time any rank's stream spent in the ring's calls in a step (transfers and waits)\n");
  std::printf("efficiency: the step of one slice alone / the ring's step (per-rank throughput, ring vs alone)\n");
}

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  using namespace spindle;
  MpiRuntime mpi;
  const std::optional<Options> options = parse(argc, argv);
  if (!options) return 2;
  const auto world = MpiCommunicator::world();
  try {
    // A rank failing (out of memory, say) while the others wait in a collective ends the job.
    run_ring_section(world.get(), "bench_sequence_parallel", [&] { run(*options, *world); });
  } catch (const Error& e) {  // a world of one
    std::fprintf(stderr, "bench_sequence_parallel: %s\n", e.what());
    return 1;
  }
  return 0;
}
