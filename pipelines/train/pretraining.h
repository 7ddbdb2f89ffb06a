// Masked-LM pretraining of Caduceus (`spindle train`): random windows of the training
// regions of a store, masked by the BERT rule (mlm_masking.h), the mean cross-entropy over
// the masked positions, backward, global gradient-norm clipping, AdamW on f32 master weights
// at the scheduled learning rate. Every `validation.every` steps (and at the end): loss and
// masked-token accuracy on the same held-out batches each time. Every `checkpoint.every`
// steps (and at the end): a checkpoint (training_checkpoint.h) from which a run resumes
// exactly, giving the same losses step for step as a run that never stopped. Before looking
// for the newest checkpoint, a checkpoint folder that a crash left moved aside while it was
// being replaced is settled (io/atomic_write.h); a run refused before its first step (a
// resume with changed settings, say) removes the folders it made, when still empty.
//
// Outputs in the output folder: metrics.jsonl (a line per step and per validation) and
// loss_curve.svg (rewritten at each validation and at the end). Progress is logged.
//
// On a grid of processes (config.parallel, mpirun -np N): every rank reads and masks the
// same whole batch and trains on its part (its replica's windows, its ring slice of them);
// losses are summed and gradients added over the world before the identical optimizer step
// on every rank, so the run computes what one process would. Rank 0 alone writes metrics,
// the loss curve and checkpoints; every rank resumes from the same checkpoint.
#pragma once

#include "pipelines/train/train_config.h"
#include "platform/distributed/process_grid.h"

namespace spindle {

// `grid` made from config.parallel (ProcessGrid::create).
void pretrain_caduceus(const TrainConfig& config, ProcessGrid& grid);

}  // namespace spindle
