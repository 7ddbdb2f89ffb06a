#include "pipelines/train/pretraining.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "io/atomic_write.h"
#include "io/window_reader.h"
#include "kernels/error.h"
#include "pipelines/progress_meter.h"
#include "pipelines/system_report.h"
#include "pipelines/train/adamw_optimizer.h"
#include "pipelines/train/held_out_split.h"
#include "pipelines/train/loss_curve_svg.h"
#include "pipelines/train/metrics_log.h"
#include "pipelines/train/mlm_masking.h"
#include "pipelines/train/training_checkpoint.h"
#include "platform/distributed/gradient_buckets.h"
#include "platform/distributed/rank_failures.h"
#include "platform/distributed/ring_section.h"
#include "platform/distributed/sequence_slice.h"
#include "platform/models/caduceus.h"
#include "platform/ops/clip_grad_norm.h"
#include "platform/ops/cross_entropy.h"

namespace fs = std::filesystem;

namespace spindle {
namespace {

using Clock = std::chrono::steady_clock;

// Sums of one batch's masked-LM outputs.
struct MaskedLmTotals {
  double loss_sum = 0;  // cross-entropy summed over the masked positions
  int64_t masked = 0;
  int64_t correct = 0;  // masked positions whose most likely token is the target
};

float as_float(float value) { return value; }
float as_float(bfloat16 value) { return bf16_to_float(value); }

template <typename T>
int64_t count_correct(const Tensor& logits, const std::vector<int32_t>& targets) {
  const int64_t vocab = logits.size(-1);
  const T* values = logits.data<T>();
  int64_t correct = 0;
  for (size_t row = 0; row < targets.size(); ++row) {
    if (targets[row] == kIgnoreTarget) continue;
    const T* scores = values + static_cast<int64_t>(row) * vocab;
    int64_t best = 0;
    for (int64_t k = 1; k < vocab; ++k) {
      if (as_float(scores[k]) > as_float(scores[best])) best = k;
    }
    correct += best == targets[row];
  }
  return correct;
}

// What this rank trains on of every batch: the windows of its data-parallel replica, the
// positions of its slice of the ring. Every rank reads and masks the whole batch (the same
// windows and masks everywhere) and keeps its part, so the masked count is global as read.
struct BatchPart {
  int64_t first_window = 0, windows = 0;
  SequenceSlice positions;

  BatchPart(ProcessGrid& grid, const TrainData& data)
      : first_window(grid.ring_index() * (data.batch_windows / grid.shape().data)),
        windows(data.batch_windows / grid.shape().data),
        positions(ring_slice(data.window_tokens, grid.shape().sequence, grid.ring_position(), "data.window")) {}

  // Of a host [windows, length] tensor.
  Tensor of(const Tensor& batch) const {
    return batch.slice(0, first_window, first_window + windows).slice(-1, positions.begin, positions.end).contiguous();
  }
};

// Forward (and with `train`, backward: this part's share of the mean loss's gradient
// accumulated into the parameters, `final` told as gradients become final) of this rank's
// part of one masked batch. Accuracy is counted on request (it reads the logits back).
// Sums are over the part only.
MaskedLmTotals masked_lm(Caduceus& model, const MaskedBatch& whole, const BatchPart& part, DType activations,
                         bool train, bool accuracy, const Caduceus::GradientsFinal& final = {}) {
  const Device device = model.device();
  MaskedBatch batch;
  batch.inputs = part.of(whole.inputs);
  batch.targets = part.of(whole.targets.reshape(whole.inputs.shape())).reshape({batch.inputs.numel()});
  batch.masked = whole.masked;
  const Tensor ids = batch.inputs.to(device), targets = batch.targets.to(device);
  Tensor logits;
  model.forward(ids, activations, logits, nullptr, train);
  const int64_t rows = ids.numel(), vocab = logits.size(-1);
  const Tensor flat = logits.reshape({rows, vocab});
  Tensor loss = Tensor::empty({rows}, DType::f32, device);  // activations are f32 on the CPU, loss f32 on GPUs
  Tensor valid = Tensor::empty({1}, DType::i64, device);
  ops::CrossEntropyArgs args;
  args.ignore_index = kIgnoreTarget;
  args.dloss_scale = 1.0 / static_cast<double>(std::max<int64_t>(batch.masked, 1));
  if (train) {
    Tensor dlogits = Tensor::empty(logits.shape(), activations, device);
    Tensor dflat = dlogits.reshape({rows, vocab});
    ops::cross_entropy(flat, targets, loss, &dflat, valid, args);
    model.backward(dlogits, nullptr, final);
  } else {
    ops::cross_entropy(flat, targets, loss, nullptr, valid, args);
  }
  MaskedLmTotals totals;
  totals.masked = batch.masked;
  for (const float row_loss : loss.to(Device::cpu()).to_vector<float>()) totals.loss_sum += row_loss;
  if (accuracy) {
    const Tensor host_logits = flat.to(Device::cpu());
    const std::vector<int32_t> host_targets = batch.targets.to_vector<int32_t>();
    totals.correct = host_logits.dtype() == DType::bf16 ? count_correct<bfloat16>(host_logits, host_targets)
                                                        : count_correct<float>(host_logits, host_targets);
  }
  return totals;
}

// Every rank's sums added (the masked count is global already).
MaskedLmTotals summed(MaskedLmTotals totals, Communicator& world) {
  Tensor sums = Tensor::from_vector<double>({totals.loss_sum, static_cast<double>(totals.correct)}, {2});
  world.all_reduce_sum(sums);
  const std::vector<double> values = sums.to_vector<double>();
  totals.loss_sum = values[0];
  totals.correct = static_cast<int64_t>(values[1]);
  return totals;
}

// The mean over masked positions. Windows with no base selected at all (only plausible
// for a few tiny windows) give 0, with masked_tokens 0 in the metrics, and a zero gradient.
double mean_loss(const MaskedLmTotals& totals) {
  return totals.masked > 0 ? totals.loss_sum / static_cast<double>(totals.masked) : 0.0;
}

WindowReaderOptions window_options(const TrainConfig& config, const std::vector<WindowRegion>& regions, bool augment) {
  WindowReaderOptions options;
  options.window_tokens = config.data.window_tokens;
  options.batch_windows = config.data.batch_windows;
  options.reverse_complement = augment && config.data.reverse_complement;
  options.seed = config.seed;
  options.regions = regions;
  return options;
}

// Windows can be drawn from `regions` only if one of them is at least a window long.
void require_a_window(const std::vector<WindowRegion>& regions, int64_t window, const std::string& where,
                      const std::string& what) {
  const bool fits = std::any_of(regions.begin(), regions.end(),
                                [&](const WindowRegion& region) { return region.end - region.start >= window; });
  SPINDLE_CHECK(fits, where, "no " + what + " region is " + std::to_string(window) + " bases long",
                "at least one " + what + " record or interval as long as data.window");
}

// The least one step holds, and where: a batch whose floor passes the memory there is refused
// before the first step, since it could only end in a failed allocation, or in the kernel
// killing the job once the pages are touched. On the host the window reader's buffers and the
// masked inputs and targets of the whole batch (every rank reads and masks it); where the
// model runs, for this rank's part, each layer's residual stream (all that recompute keeps),
// the final norm's output and the logits with their gradient. The mixers' activations come on
// top: a floor, not an estimate. Total physical memory is the host's bound (not a cgroup's,
// nor shared with other ranks on the host).
void require_step_memory(const TrainConfig& config, const BatchPart& part) {
  const CaduceusConfig& model = config.model;
  const double batch = static_cast<double>(config.data.batch_windows);
  const double host = batch * static_cast<double>(config.data.window_tokens) *
                      ((WindowReaderOptions{}.queue_depth + 1) * dtype_size(DType::u8) + 2 * dtype_size(DType::i32));
  const double rows = model.rcps ? 2 : 1;  // PS runs the reverse complement as rows of its own
  const double activation = static_cast<double>(dtype_size(config.activations));
  const double d = static_cast<double>(model.d_model);
  const double per_token = static_cast<double>(model.n_layer + 1) * rows * d * dtype_size(DType::f32) +
                           rows * d * activation + 2.0 * static_cast<double>(model.padded_vocab_size()) * activation;
  const double device = static_cast<double>(part.windows * part.positions.length()) * per_token;
  const std::string host_part = "the window buffers and masks", device_part =
      "this rank's windows: each layer's residual stream, the logits and their gradient";
  const auto require = [&](double bytes, const std::string& memory, const std::string& counted, double available,
                           const std::string& holder) {
    SPINDLE_CHECK(bytes <= available, config.data.batch_where,
                  fmt::format("{} windows of {} tokens need at least {} of {} in a step ({}), more than the {} {} has",
                              config.data.batch_windows, config.data.window_tokens, human_bytes(bytes), memory, counted,
                              human_bytes(available), holder),
                  fmt::format("far fewer windows (this floor alone allows {}; the mixers' activations come on "
                              "top), or a shorter data.window",
                              static_cast<int64_t>(std::floor(available / (bytes / batch)))));
  };
  const double host_memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (config.device.is_cpu()) {
    require(host + device, "host memory", host_part + "; " + device_part, host_memory, "this machine");
  } else {
    require(host, "host memory", host_part, host_memory, "this machine");
    require(device, config.device.str() + " memory", device_part,
            static_cast<double>(gpu_properties(config.device.index).total_memory_bytes), config.device.str());
  }
}

// The folders a run writes in (output, checkpoint.dir), made before the first step: one that
// cannot be made is a mistake in the configuration, refused then. A run that does not start
// (a refused resume, a failure on any rank while setting up) removes those it made, when
// still empty, so that a refusal leaves nothing behind.
class RunFolders {
 public:
  void make(const TrainConfig& config) {
    for (const auto& [key, dir] : {std::pair{"output", config.output_dir}, {"checkpoint.dir", config.checkpoint_dir}}) {
      std::vector<fs::path> missing;  // the folder and its parents that surely do not exist yet, innermost first
      std::error_code error;
      fs::path folder = fs::absolute(dir, error).lexically_normal();
      if (!folder.has_filename()) folder = folder.parent_path();  // "a/b/" is "a/b"
      for (; folder.has_relative_path(); folder = folder.parent_path()) {
        std::error_code unknown;
        if (fs::status(folder, unknown).type() != fs::file_type::not_found) break;
        missing.push_back(folder);
      }
      fs::create_directories(dir, error);
      for (auto made = missing.rbegin(); made != missing.rend(); ++made) {
        std::error_code unknown;
        if (fs::is_directory(*made, unknown)) made_.push_back(*made);
      }
      SPINDLE_CHECK(!error, config.source + ": " + key, "cannot make the folder " + dir + ": " + error.message(),
                    "a folder path where folders can be made");
    }
  }

  // Innermost first; fs::remove leaves a folder that is not empty.
  void remove_empty() noexcept {
    for (auto made = made_.rbegin(); made != made_.rend(); ++made) {
      std::error_code not_empty;
      fs::remove(*made, not_empty);
    }
    made_.clear();
  }

 private:
  std::vector<fs::path> made_;  // outer folders before the folders in them
};

class Pretraining {
 public:
  Pretraining(const TrainConfig& config, ProcessGrid& grid)
      : config_(config),
        grid_(grid),
        part_(grid, config.data),
        writer_(grid.host_world().rank() == 0),
        split_(split_held_out(SequenceStoreReader(config.data.store).sequences(), config.data.validation_records,
                              config.data.validation_intervals, config.data.validation_where)),
        model_(config.model, config.device, DType::f32),
        optimizer_(model_.parameters(), config.adamw),
        metrics_path_((fs::path(config.output_dir) / "metrics.jsonl").string()),
        curve_path_((fs::path(config.output_dir) / "loss_curve.svg").string()) {
    require_a_window(split_.training, config.data.window_tokens, config.source + ": data.window", "training");
    require_a_window(split_.validation, config.data.window_tokens, config.data.validation_where, "held-out");
    model_.set_recompute(config.recompute);
    if (grid.shape().sequence > 1) model_.set_sequence_parallel(&grid.ring());
    if (grid.world().size() > 1) {
      // Summed over the world while backward runs, in the order backward finishes them.
      std::vector<Parameter*> backward_order = model_.parameters();
      std::reverse(backward_order.begin(), backward_order.end());
      gradient_sums_.emplace(std::move(backward_order), grid.world(), grid.shape().gradient_bucket_mib << 20);
      if (writer_) {
        spdlog::info("train: gradients summed over {} ranks in {} buckets (at most {} MiB) during backward",
                     grid.world().size(), gradient_sums_->bucket_count(), grid.shape().gradient_bucket_mib);
      }
    }
  }

  // Steps first + 1 .. config.steps; `first` from start().
  void run(int64_t first) {
    const int64_t tokens_per_step = config_.data.window_tokens * config_.data.batch_windows;
    WindowReader windows(config_.data.store, window_options(config_, split_.training, true), windows_cursor_);
    ProgressMeter progress("train", (config_.steps - first) * tokens_per_step, "tokens");
    const Clock::time_point began = Clock::now();
    WindowBatch batch;
    // Each step (its batch through validation, checkpoint and metrics) is a section of the
    // world: one rank failing anywhere in it ends the job instead of leaving the others waiting
    // in the step's next collective (platform/distributed/ring_section.h). A world of one
    // throws as usual.
    const Communicator* world = grid_.world().size() > 1 ? &grid_.host_world() : nullptr;
    for (int64_t step = first + 1; step <= config_.steps; ++step) {
      const bool go_on = run_ring_section(world, "train", [&] {
        SPINDLE_CHECK(windows.next(batch), config_.data.store, "the training windows ended", "endless random windows");
        const MaskedBatch masked =
            mask_tokens(batch.data, config_.masking, config_.seed, MaskStream::training, static_cast<uint32_t>(step));
        const MaskedLmTotals part_totals = ring_masked_lm(masked, true, false);
        if (gradient_sums_) gradient_sums_->finish();
        const MaskedLmTotals totals = summed(part_totals, grid_.host_world());
        std::vector<Tensor*> gradients;
        for (Parameter* parameter : model_.parameters()) gradients.push_back(&parameter->grad);
        const double grad_norm = ops::clip_grad_norm(gradients, config_.gradient_clip);
        const double loss = mean_loss(totals);
        check_finite(step, loss, grad_norm);
        const double lr = config_.schedule.at(step);
        optimizer_.step(lr);
        model_.zero_grad();

        const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
        const int64_t tokens = (step - first) * tokens_per_step;
        const bool last = step == config_.steps;
        if (writer_) {
          metrics_->append({{"kind", "train"},
                            {"step", step},
                            {"loss", loss},
                            {"lr", lr},
                            {"grad_norm", grad_norm},
                            {"masked_tokens", totals.masked},
                            {"tokens", tokens_per_step},
                            {"tokens_per_s", tokens / seconds},
                            {"elapsed_s", seconds}});
          progress.update(tokens, fmt::format("step {}/{}, loss {:.4f}, lr {:.3g}", step, config_.steps, loss, lr));
        }
        if (step % config_.validation_every == 0 || last) validate(step);
        if (writer_ && (step % config_.checkpoint_every == 0 || last)) {
          save_training_checkpoint(config_.checkpoint_dir, config_.checkpoint_keep, model_, optimizer_,
                                   {step, windows.cursor(), trajectory_settings(config_)});
          write_checkpoint_record(config_.output_dir, {config_.checkpoint_dir, step});
        }
        if (step == config_.stop_after) {
          if (writer_) {
            spdlog::info("train: stopped after step {} as asked; --resume continues from the newest checkpoint", step);
          }
          return false;
        }
        return true;
      });
      if (!go_on) break;
    }
    if (!writer_) return;
    write_curve();
    spdlog::info("train: metrics in {}, loss curve in {}", metrics_path_, curve_path_);
  }

  // A loss or gradient norm that is not finite would turn every parameter into NaN at the
  // optimizer step, and every later checkpoint with it: the run stops before that step. Both
  // are sums over the whole world, so every rank stops at the same step.
  void check_finite(int64_t step, double loss, double grad_norm) const {
    if (std::isfinite(loss) && std::isfinite(grad_norm)) return;
    const std::optional<std::string> latest = latest_training_checkpoint(config_.checkpoint_dir);
    throw Error(fmt::format("train: step {}", step),
                fmt::format("the training diverged: loss {}, gradient norm {}", loss, grad_norm),
                "finite values; the parameters before this step are in " +
                    (latest ? *latest : std::string("no checkpoint yet")) +
                    " (a lower optimizer.lr or optimizer.gradient_clip needs a new run: a resumed one keeps the settings)");
  }

  // A resume that finds no checkpoint in checkpoint.dir while the output folder's run saved
  // some (checkpoint.dir changed, or its checkpoints moved or deleted since) would start over
  // at step 0 and drop that run's metrics: refused, naming both places, and any checkpoint a
  // save left moved aside that the settling before the search could not restore yet.
  void refuse_to_start_over_a_checkpointed_run() const {
    const std::optional<CheckpointRecord> saved = read_checkpoint_record(config_.output_dir);
    if (!saved) return;
    std::string moved_aside;
    for (const ReplacedFolder& replaced : replaced_training_checkpoints(config_.checkpoint_dir)) {
      moved_aside += fmt::format(
          "; {} is a checkpoint that a save moved aside while replacing it: a resume renames it back once the "
          "process that moved it no longer runs and an hour has passed, or rename it back to {} by hand when "
          "no run writes to {}",
          replaced.path, replaced.output, config_.checkpoint_dir);
    }
    throw Error(
        config_.source + ": checkpoint.dir",
        fmt::format("no checkpoint in {}, but the run in the output folder {} saved its checkpoint of step {} in {}{}",
                    config_.checkpoint_dir, config_.output_dir, saved->step, saved->dir, moved_aside),
        fmt::format("checkpoint.dir naming the folder that holds that run's checkpoints ({} when it saved "
                    "them) to resume it, or a new output folder to start a new run",
                    saved->dir));
  }

  // Initializes or resumes; returns the number of steps already done.
  int64_t start() {
    const nlohmann::json settings = trajectory_settings(config_);
    const std::optional<std::string> latest = latest_training_checkpoint(config_.checkpoint_dir);
    if (config_.resume && latest) {
      const TrainerState state = load_training_checkpoint(*latest, settings, model_, optimizer_);
      // run() stops only at a step it takes: an earlier one would let it go on to the last step.
      SPINDLE_CHECK(config_.stop_after == 0 || config_.stop_after > state.step,
                    "--stop-after " + std::to_string(config_.stop_after),
                    fmt::format("step {} is done already: the run resumes from {} (step {})", config_.stop_after,
                                *latest, state.step),
                    fmt::format("a step after {}", state.step));
      windows_cursor_ = state.windows_cursor;
      if (writer_) metrics_.emplace(MetricsLog::resume(metrics_path_, state.step));
      spdlog::info("train: resuming from {} (step {} of {})", *latest, state.step, config_.steps);
      model_.zero_grad();
      return state.step;
    }
    SPINDLE_CHECK(!latest, config_.checkpoint_dir, "holds checkpoints of a run",
                  "resume: true (or --resume) to continue that run, or a new output and checkpoint folder");
    if (config_.resume) {
      // A run stopped before its first checkpoint starts over, with its partial metrics dropped;
      // one that saved a checkpoint is refused.
      refuse_to_start_over_a_checkpointed_run();
      spdlog::info("train: no checkpoint in {} yet: starting at step 0", config_.checkpoint_dir);
      if (writer_) metrics_.emplace(MetricsLog::resume(metrics_path_, 0));
    } else if (writer_) {
      metrics_.emplace(MetricsLog::create(metrics_path_));
      remove_checkpoint_record(config_.output_dir);
    }
    RandomStream initialization{config_.seed, 0};
    model_.initialize(initialization);
    model_.zero_grad();
    return 0;
  }

 private:
  // masked_lm of this rank's part (its forward and backward exchange halos and states with
  // the ring; run() holds it in the step's section of the world). A training backward starts
  // the gradient sums' buckets as it goes.
  MaskedLmTotals ring_masked_lm(const MaskedBatch& masked, bool train, bool accuracy) {
    Caduceus::GradientsFinal final;
    if (train && gradient_sums_) final = [this](std::span<Parameter* const> ready) { gradient_sums_->ready(ready); };
    return masked_lm(model_, masked, part_, config_.activations, train, accuracy, final);
  }

  // Loss and accuracy over the same held-out batches (windows and masks) every time.
  void validate(int64_t step) {
    WindowReader windows(config_.data.store, window_options(config_, split_.validation, false));
    MaskedLmTotals sum;
    WindowBatch batch;
    for (int64_t b = 0; b < config_.validation_batches; ++b) {
      SPINDLE_CHECK(windows.next(batch), config_.data.store, "the held-out windows ended", "endless random windows");
      const MaskedBatch masked = mask_tokens(batch.data, config_.masking, config_.seed, MaskStream::validation,
                                             static_cast<uint32_t>(b));
      const MaskedLmTotals totals = summed(ring_masked_lm(masked, false, true), grid_.host_world());
      sum.loss_sum += totals.loss_sum;
      sum.masked += totals.masked;
      sum.correct += totals.correct;
    }
    const double loss = mean_loss(sum);
    const double accuracy = sum.masked > 0 ? static_cast<double>(sum.correct) / static_cast<double>(sum.masked) : 0.0;
    if (!writer_) return;
    metrics_->append({{"kind", "validation"},
                      {"step", step},
                      {"loss", loss},
                      {"accuracy", accuracy},
                      {"masked_tokens", sum.masked},
                      {"batches", config_.validation_batches}});
    spdlog::info("train: step {}: validation loss {:.4f}, masked-token accuracy {:.4f} ({} masked tokens)", step, loss,
                 accuracy, sum.masked);
    write_curve();
  }

  void write_curve() const {
    const std::string title = fmt::format("spindle train: {} (d_model {}, {} layers), masked-LM loss",
                                          config_.model_source, config_.model.d_model, config_.model.n_layer);
    const std::string svg = loss_curve_svg(metrics_->training(), metrics_->validation(), title);
    write_file_atomically(curve_path_, [&](std::ostream& out) { out << svg; });
  }

  const TrainConfig& config_;
  ProcessGrid& grid_;
  BatchPart part_;
  bool writer_;  // rank 0 writes metrics, the loss curve and checkpoints
  HeldOutSplit split_;
  Caduceus model_;
  AdamWOptimizer optimizer_;
  std::optional<GradientBuckets> gradient_sums_;  // with more than one rank
  std::string metrics_path_, curve_path_;
  std::optional<MetricsLog> metrics_;
  int64_t windows_cursor_ = 0;
};

// Collective over the host world. Each rank looks for the newest checkpoint in checkpoint.dir
// itself while rank 0 alone writes them: where checkpoint.dir is not on a filesystem every
// rank sees, the others find none or an older one and would train other steps, their
// collectives hanging or mixing steps. Every rank gathers the steps and throws the same error.
void require_one_resume_step(const TrainConfig& config, Communicator& world, int64_t first) {
  if (world.size() == 1) return;
  const Tensor mine = Tensor::from_vector<int64_t>({first}, {1, 1});
  Tensor all = Tensor::empty({world.size(), 1}, DType::i64);
  world.all_gather(mine, all);
  // Ranks by the step they resume from, rank 0's step first.
  std::vector<std::pair<int64_t, std::vector<int>>> ranks_by_step;
  for (int rank = 0; rank < world.size(); ++rank) {
    const int64_t step = all.data<int64_t>()[rank];
    const auto same = std::find_if(ranks_by_step.begin(), ranks_by_step.end(),
                                   [&](const auto& entry) { return entry.first == step; });
    if (same == ranks_by_step.end()) {
      ranks_by_step.push_back({step, {rank}});
    } else {
      same->second.push_back(rank);
    }
  }
  if (ranks_by_step.size() == 1) return;
  std::string found;
  for (const auto& [step, ranks] : ranks_by_step) {
    found += (found.empty() ? "" : "; ") + rank_list(ranks) +
             (step == 0 ? " found no checkpoint (step 0)" : fmt::format(" found step {}", step));
  }
  throw Error(config.source + ": checkpoint.dir " + config.checkpoint_dir,
              "the ranks would resume from different steps: " + found +
                  " (each rank looks for the newest checkpoint itself; rank 0 alone writes them)",
              fmt::format("checkpoint.dir ({}) and the output folder ({}) on a filesystem every rank sees (the "
                          "same path on every host), so that every rank resumes from rank 0's checkpoint",
                          config.checkpoint_dir, config.output_dir));
}

}  // namespace

void pretrain_caduceus(const TrainConfig& config, ProcessGrid& grid) {
  // Setting up can fail on one rank alone (a store or checkpoint it cannot read, its
  // device's memory), before any collective: every rank learns of it here and ends with its
  // message, instead of the others waiting in the first step.
  RankFailures setup(grid.host_world(), "train");
  const bool writer = grid.host_world().rank() == 0;
  try {
    // A checkpoint folder that a crash left moved aside while it was being replaced is back
    // under its name (or deleted, its replacement in place) before any rank looks for the newest.
    if (writer) settle_replaced_folders_in(config.checkpoint_dir);
  } catch (...) {
    setup.fail();
  }
  setup.check();
  RunFolders folders;
  std::optional<Pretraining> training;
  int64_t first = 0;
  try {
    require_step_memory(config, BatchPart(grid, config.data));
    training.emplace(config, grid);
    if (writer) folders.make(config);
    first = training->start();
  } catch (...) {
    folders.remove_empty();
    setup.fail();
  }
  try {
    setup.check();
    require_one_resume_step(config, grid.host_world(), first);
  } catch (...) {
    folders.remove_empty();  // another rank failed, or the ranks found different checkpoints
    throw;
  }
  training->run(first);
}

}  // namespace spindle
