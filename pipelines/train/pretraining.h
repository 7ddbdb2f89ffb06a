// Masked-LM pretraining of Caduceus (`spindle train`): random windows of the training
// regions of a store, masked by the BERT rule (mlm_masking.h), the mean cross-entropy over
// the masked positions, backward, global gradient-norm clipping, AdamW on f32 master weights
// at the scheduled learning rate. Every `validation.every` steps (and at the end): loss and
// masked-token accuracy on the same held-out batches each time. Every `checkpoint.every`
// steps (and at the end): a checkpoint (training_checkpoint.h) from which a run resumes
// exactly, giving the same losses step for step as a run that never stopped.
//
// Outputs in the output folder: metrics.jsonl (a line per step and per validation) and
// loss_curve.svg (rewritten at each validation and at the end). Progress is logged.
#pragma once

#include "pipelines/train/train_config.h"

namespace spindle {

void pretrain_caduceus(const TrainConfig& config);

}  // namespace spindle
