// The loss-curve SVG: well-formed, escaped, every point inside the image, long runs thinned.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <vector>

#include "pipelines/train/loss_curve_svg.h"

namespace spindle {
namespace {

// Element names of `svg` in document order, with a check that every element is closed
// in the order it was opened (what an XML parser requires of the tags).
std::vector<std::string> balanced_elements(const std::string& svg) {
  std::vector<std::string> open, names;
  const std::regex tag(R"(<(/?)([a-zA-Z?][\w:-]*)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string closing = (*it)[1], name = (*it)[2], self_closing = (*it)[3];
    if (name == "?xml") continue;
    if (closing.empty()) {
      names.push_back(name);
      if (self_closing.empty()) open.push_back(name);
    } else {
      EXPECT_FALSE(open.empty()) << "</" << name << "> closes nothing";
      if (open.empty()) break;
      EXPECT_EQ(open.back(), name) << "tags cross";
      open.pop_back();
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " elements left open";
  return names;
}

int count(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<int>(std::count(names.begin(), names.end(), name));
}

TEST(LossCurveSvg, NiceTicksAreRoundNumbersCoveringTheRange) {
  EXPECT_EQ(nice_ticks(0, 97, 8), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(0, 1000, 8), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  const std::vector<double> losses = nice_ticks(1.23, 1.41, 6);
  ASSERT_EQ(losses.size(), 6u);  // 1.2 .. 1.45 by 0.05
  EXPECT_NEAR(losses.front(), 1.2, 1e-12);
  EXPECT_NEAR(losses.back(), 1.45, 1e-12);
  EXPECT_EQ(nice_ticks(2, 2, 5).front(), 2);  // a flat curve still gets a range
  // Losses an ulp apart: the loop over ticks never ended (k near 2e16, where ++k is k).
  const std::vector<double> flat = nice_ticks(2, std::nextafter(2.0, 3.0), 6);
  ASSERT_FALSE(flat.empty());
  EXPECT_LE(flat.size(), 8u);
  EXPECT_LE(flat.front(), 2);
  EXPECT_GE(flat.back(), std::nextafter(2.0, 3.0));
}

TEST(LossCurveSvg, WellFormedWithBothCurvesAxesAndLegend) {
  std::vector<LossPoint> training, validation;
  for (int64_t step = 1; step <= 200; ++step) training.push_back({step, 1.4 - 0.001 * static_cast<double>(step)});
  for (int64_t step = 50; step <= 200; step += 50) validation.push_back({step, 1.35 - 0.0005 * static_cast<double>(step)});
  const std::string svg = loss_curve_svg(training, validation, "run <a> & \"b\"");
  ASSERT_TRUE(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""));
  const std::vector<std::string> names = balanced_elements(svg);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "svg");
  EXPECT_EQ(count(names, "svg"), 1);
  EXPECT_EQ(count(names, "polyline"), 2);
  EXPECT_EQ(count(names, "circle"), 4);  // one marker per validation
  EXPECT_NE(svg.find("run &lt;a&gt; &amp; &quot;b&quot;"), std::string::npos);
  for (const char* text : {">step<", ">loss (nats per masked token)<", ">training<", ">validation<", ">0<", ">200<"}) {
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  }
  // Every drawn coordinate lies inside the 800 x 480 image.
  const std::regex number_pair(R"((-?[0-9.]+),(-?[0-9.]+))");
  const std::string points = svg.substr(svg.find("points=\""));
  int pairs = 0;
  for (auto it = std::sregex_iterator(points.begin(), points.begin() + points.find("/>"), number_pair);
       it != std::sregex_iterator(); ++it, ++pairs) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]);
    EXPECT_GE(x, 0);
    EXPECT_LE(x, 800);
    EXPECT_GE(y, 0);
    EXPECT_LE(y, 480);
  }
  EXPECT_EQ(pairs, 200);
}

TEST(LossCurveSvg, LongRunsAreThinnedAndAnEmptyRunIsAnEmptyFrame) {
  std::vector<LossPoint> training;
  for (int64_t step = 1; step <= 5000; ++step) training.push_back({step, 2.0 / static_cast<double>(step)});
  const std::string svg = loss_curve_svg(training, {}, "long");
  const size_t begin = svg.find("points=\"") + 8;
  const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), static_cast<long>(kMaxTrainingPoints));
  const std::vector<std::string> empty = balanced_elements(loss_curve_svg({}, {}, "nothing yet"));
  EXPECT_EQ(count(empty, "circle"), 0);
}

}  // namespace
}  // namespace spindle
