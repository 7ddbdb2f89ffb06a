// The learning rate of each optimizer step: linear warmup, then cosine decay to a floor
// (the shape of the reference pretraining's timm cosine schedule with a warmup prefix).
//
// For step s = 1, 2, ..., total (the step being taken):
//   s <= warmup:  lr = peak * s / warmup
//   s >  warmup:  lr = floor + (peak - floor) * (1 + cos(pi * (s - warmup) / (total - warmup))) / 2
// so the first step after warmup is just below peak and the last step takes the floor.
#pragma once

#include <cstdint>
#include <string>

namespace spindle {

struct LrSchedule {
  double peak = 1e-3;
  double floor = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  // Throws spindle::Error naming `where` unless 0 <= floor <= peak and 0 <= warmup < total.
  void validate(const std::string& where) const;
  // The rate of step `step` (1 .. total_steps).
  double at(int64_t step) const;
};

}  // namespace spindle
