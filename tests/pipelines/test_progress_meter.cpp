// The progress line: rates below one per second and between 1 and 10 keep two significant
// digits (they once printed "0 variants/s"), larger figures read with thousands separators
// or SI prefixes, and the ETA follows the unrounded rate.
#include <gtest/gtest.h>

#include "pipelines/progress_meter.h"

namespace spindle {
namespace {

struct Case {
  int64_t done, total;
  const char* unit;
  double seconds;
  const char* line;  // progress_line("t", done, total, unit, seconds, "d")
};

TEST(ProgressLine, RatesAndEtas) {
  const Case cases[] = {
      // 0.42/s; 79 left take 188.1 s.
      {21, 100, "variants", 50, "t: 21.0% (21 variants of 100 variants), 0.42 variants/s, ETA 3 min 08 s; d"},
      // 0.041666/s; 99 left take 2,376 s.
      {1, 100, "variants", 24, "t: 1.0% (1 variants of 100 variants), 0.042 variants/s, ETA 39 min 36 s; d"},
      // Two significant digits at any scale; 999 left take 9,990,000 s.
      {1, 1000, "variants", 1e4, "t: 0.1% (1 variants of 1,000 variants), 0.00010 variants/s, ETA 2775 h 00 min; d"},
      // 5.3/s; 947 left take 178.7 s.
      {53, 1000, "variants", 10, "t: 5.3% (53 variants of 1,000 variants), 5.3 variants/s, ETA 2 min 59 s; d"},
      // A trailing zero kept; a whole rate without decimals.
      {5, 10, "variants", 10, "t: 50.0% (5 variants of 10 variants), 0.50 variants/s, ETA 10 s; d"},
      {20, 30, "variants", 4, "t: 66.7% (20 variants of 30 variants), 5 variants/s, ETA 2 s; d"},
      // 9.96/s rounds to 10 (not "10." or "10.0").
      {996, 1992, "variants", 100, "t: 50.0% (996 variants of 1,992 variants), 10 variants/s, ETA 1 min 40 s; d"},
      // 1,234/s; 87,660 left take 71.0 s.
      {12340, 100000, "variants", 10,
       "t: 12.3% (12,340 variants of 100,000 variants), 1,234 variants/s, ETA 1 min 11 s; d"},
      // From a million on, SI prefixes: an ingest's bytes.
      {1500000000, 3000000000, "B", 100, "t: 50.0% (1.5 GB of 3.0 GB), 15.0 MB/s, ETA 1 min 40 s; d"},
      // Without a total: no fraction, no ETA.
      {3, 0, "steps", 4, "t: 3 steps, 0.75 steps/s; d"},
      {0, 0, "steps", 4, "t: 0 steps, 0 steps/s; d"},
  };
  for (const Case& c : cases) EXPECT_EQ(progress_line("t", c.done, c.total, c.unit, c.seconds, "d"), c.line);
}

}  // namespace
}  // namespace spindle
