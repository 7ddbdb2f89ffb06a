#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "pipelines/cli/commands.h"
#include "pipelines/train/pretraining.h"
#include "pipelines/train/train_config.h"
#include "platform/device.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/mpi_runtime.h"
#include "platform/distributed/process_placement.h"
#include "platform/distributed/rank_failures.h"
#include "platform/tensor.h"

namespace spindle::cli {
namespace {

// Collective. Ranks that read different configs (a file edited as the job started, each
// host's own copy) would train different steps or shapes and wait for each other forever:
// every rank compares a hash of its config file's bytes with rank 0's (every rank runs the
// same program, so std::hash agrees) and every rank throws the same error naming the ranks
// that differ.
void require_one_config(MpiCommunicator& world, const std::string& path) {
  if (world.size() == 1) return;
  std::ifstream file(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  const uint64_t digest = std::hash<std::string>{}(bytes);
  const Tensor mine = Tensor::from_vector<int64_t>({static_cast<int64_t>(digest)}, {1, 1});
  Tensor all = Tensor::empty({world.size(), 1}, DType::i64);
  world.all_gather(mine, all);
  std::string differing;
  int count = 0;
  for (int rank = 1; rank < world.size(); ++rank) {
    if (all.data<int64_t>()[rank] == all.data<int64_t>()[0]) continue;
    differing += (count++ == 0 ? "" : ", ") + std::to_string(rank);
  }
  SPINDLE_CHECK(count == 0, path,
                (count == 1 ? "rank " : "ranks ") + differing + " read a config that differs from rank 0's",
                "the same config file on every rank (one config for the whole job)");
}

}  // namespace

void add_train_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand("train", "Masked-LM pretraining of a Caduceus model on a DNA store");
  command->footer(
      "The YAML configuration names the model (a preset or a config.json, with overrides), the\n"
      "store and held-out validation data, masking, AdamW and its schedule, steps, device and\n"
      "precision, checkpoints and the output folder; docs/train_caduceus.yaml documents every\n"
      "key. Writes <output>/metrics.jsonl (a line per step and per validation) and\n"
      "<output>/loss_curve.svg; checkpoints go to <output>/checkpoints unless set. A resumed\n"
      "run continues from the newest checkpoint with the same losses, step for step, as a run\n"
      "that never stopped.\n"
      "Examples:\n"
      "  spindle ingest fasta genome.fa.gz --out genome.h5\n"
      "  spindle train --config train.yaml\n"
      "  spindle train --config train.yaml --resume    # after an interruption\n"
      "  spindle train --config train.yaml --stop-after 300 && spindle train --config train.yaml --resume\n"
      "  mpirun -np 4 spindle train --config train.yaml   # with parallel: {sequence: 2, data: 2}\n");
  struct Options {
    std::string config;
    bool resume = false;
    int64_t stop_after = 0;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--config", options->config, "the training configuration (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_flag("--resume", options->resume, "continue from the newest checkpoint (as resume: true)");
  command->add_option("--stop-after", options->stop_after,
                      "stop after this step as an interruption would (no extra checkpoint), to show exact resume")
      ->check(CLI::PositiveNumber);
  command->callback([&runner, options] {
    runner = [options] {
      // A world of one without a launcher; under mpirun or srun, config.parallel's grid.
      MpiRuntime mpi;
      const auto world = MpiCommunicator::world();
      // Collective, so on every rank whatever device its config names.
      const ProcessPlacement placement = world->size() > 1 ? discover_placement() : ProcessPlacement{};
      // Reading the config and choosing the GPU can fail on one rank alone (its host's view
      // of the files, its GPUs): every rank ends with that rank's error at the check below
      // instead of waiting in the grid's collectives.
      RankFailures setup(*world, "train");
      TrainConfig config;
      try {
        config = read_train_config(options->config);
        config.resume = config.resume || options->resume;
        config.stop_after = options->stop_after;
        if (world->size() > 1 && config.device.is_cuda()) {
          std::string why_none;
          config.device = gpu_for_process(placement, cuda_device_count(&why_none), why_none);
        }
        require_usable(config.device, options->config + ": device");
      } catch (...) {
        setup.fail();
      }
      setup.check();
      require_one_config(*world, options->config);
      ProcessGrid grid = ProcessGrid::create(*world, config.parallel, config.device);
      pretrain_caduceus(config, grid);
      return 0;
    };
  });
}

}  // namespace spindle::cli
