#include "pipelines/train/loss_curve_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace spindle {
namespace {

constexpr double kWidth = 800, kHeight = 480;
constexpr double kLeft = 80, kRight = 20, kTop = 40, kBottom = 60;  // margins around the plot area
constexpr const char* kTrainingColor = "#1f77b4";
constexpr const char* kValidationColor = "#d62728";

std::string escape_xml(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

// Consecutive ranges of steps averaged down to at most `limit` points.
std::vector<LossPoint> thin(const std::vector<LossPoint>& points, size_t limit) {
  if (points.size() <= limit) return points;
  std::vector<LossPoint> means;
  for (size_t bucket = 0; bucket < limit; ++bucket) {
    const size_t begin = bucket * points.size() / limit, end = (bucket + 1) * points.size() / limit;
    double steps = 0, losses = 0;
    for (size_t i = begin; i < end; ++i) {
      steps += static_cast<double>(points[i].step);
      losses += points[i].loss;
    }
    const double count = static_cast<double>(end - begin);
    means.push_back({static_cast<int64_t>(std::llround(steps / count)), losses / count});
  }
  return means;
}

// Maps data coordinates to pixels of the plot area.
struct Frame {
  double x_low, x_high, y_low, y_high;
  double x(double step) const { return kLeft + (step - x_low) / (x_high - x_low) * (kWidth - kLeft - kRight); }
  double y(double loss) const { return kHeight - kBottom - (loss - y_low) / (y_high - y_low) * (kHeight - kTop - kBottom); }
};

std::string polyline(const std::vector<LossPoint>& points, const Frame& frame, const char* color) {
  std::string coordinates;
  for (const LossPoint& p : points) {
    coordinates += fmt::format("{}{:.1f},{:.1f}", coordinates.empty() ? "" : " ", frame.x(static_cast<double>(p.step)),
                               frame.y(p.loss));
  }
  return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", color, coordinates);
}

std::string label(double value) { return fmt::format("{:g}", std::abs(value) < 1e-12 ? 0.0 : value); }

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target) {
  // A range too narrow for its values' own rounding gets a width of 1, as a flat curve does:
  // ticks a few ulps apart number past 2^53 multiples of their spacing, where ++k stops moving.
  if (!(high - low > 1e-9 * std::max(std::abs(low), std::abs(high)))) high = low + 1;
  const double raw = (high - low) / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double spacing = 10 * magnitude;
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= raw) {
      spacing = factor * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  const double first = std::floor(low / spacing), last = std::ceil(high / spacing);
  for (double k = first; k <= last; ++k) ticks.push_back(k * spacing);
  return ticks;
}

std::string loss_curve_svg(const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation,
                           const std::string& title) {
  double step_high = 1, loss_low = INFINITY, loss_high = -INFINITY;
  for (const std::vector<LossPoint>* series : {&training, &validation}) {
    for (const LossPoint& p : *series) {
      step_high = std::max(step_high, static_cast<double>(p.step));
      loss_low = std::min(loss_low, p.loss);
      loss_high = std::max(loss_high, p.loss);
    }
  }
  if (loss_low > loss_high) loss_low = 0, loss_high = 1;  // nothing to draw yet: an empty frame
  const std::vector<double> x_ticks = nice_ticks(0, step_high, 8), y_ticks = nice_ticks(loss_low, loss_high, 6);
  const Frame frame{x_ticks.front(), x_ticks.back(), y_ticks.front(), y_ticks.back()};

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{3}</text>\n",
      kWidth, kHeight, kWidth / 2, escape_xml(title));
  for (const double tick : x_ticks) {
    const double x = frame.x(tick);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e0e0e0\"/>\n", x, kTop,
                       kHeight - kBottom);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, kHeight - kBottom + 18,
                       label(tick));
  }
  for (const double tick : y_ticks) {
    const double y = frame.y(tick);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e0e0e0\"/>\n", kLeft, y,
                       kWidth - kRight);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 8, y + 4, label(tick));
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", kLeft,
                     kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">step</text>\n", (kLeft + kWidth - kRight) / 2,
                     kHeight - 18);
  svg += fmt::format(
      "<text x=\"20\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {0})\">loss (nats per masked "
      "token)</text>\n",
      (kTop + kHeight - kBottom) / 2);

  svg += polyline(thin(training, kMaxTrainingPoints), frame, kTrainingColor);
  svg += polyline(validation, frame, kValidationColor);
  for (const LossPoint& p : validation) {
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n",
                       frame.x(static_cast<double>(p.step)), frame.y(p.loss), kValidationColor);
  }
  const double legend_x = kWidth - kRight - 150, legend_y = kTop + 18;
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"140\" height=\"44\" fill=\"white\" stroke=\"#a0a0a0\"/>\n",
                     legend_x - 8, legend_y - 13);
  for (int row = 0; row < 2; ++row) {
    const double y = legend_y + 18 * row;
    const char* color = row == 0 ? kTrainingColor : kValidationColor;
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"/>\n",
                       legend_x, y, legend_x + 24, color);
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", legend_x + 30, y + 4,
                       row == 0 ? "training" : "validation");
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace spindle
