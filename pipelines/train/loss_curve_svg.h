// The loss curve of a training run as a self-contained SVG image (written by hand: no
// plotting library): training and validation loss against the step, axes with round-number
// ticks and labels, grid lines and a legend. Training losses of long runs are drawn as the
// means of at most kMaxTrainingPoints consecutive ranges of steps, so the file stays small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spindle {

inline constexpr size_t kMaxTrainingPoints = 1000;

struct LossPoint {
  int64_t step = 0;
  double loss = 0;
};

// The SVG document (UTF-8). `title` is escaped for XML.
std::string loss_curve_svg(const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation,
                           const std::string& title);

// Round-number tick values covering [low, high]: about `target` of them, spaced by 1, 2 or
// 5 times a power of ten; the first <= low and the last >= high.
std::vector<double> nice_ticks(double low, double high, int target);

}  // namespace spindle
