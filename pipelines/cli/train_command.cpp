#include "pipelines/cli/commands.h"
#include "pipelines/train/pretraining.h"
#include "pipelines/train/train_config.h"
#include "platform/device.h"
#include "platform/distributed/mpi_runtime.h"
#include "platform/distributed/process_placement.h"

namespace spindle::cli {

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
      TrainConfig config = read_train_config(options->config);
      config.resume = config.resume || options->resume;
      config.stop_after = options->stop_after;
      if (world->size() > 1 && config.device.is_cuda()) {
        config.device = gpu_for_process(discover_placement(), cuda_device_count());
      }
      require_usable(config.device, options->config + ": device");
      ProcessGrid grid = ProcessGrid::create(*world, config.parallel, config.device);
      pretrain_caduceus(config, grid);
      return 0;
    };
  });
}

}  // namespace spindle::cli
