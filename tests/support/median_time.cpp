#include "tests/support/median_time.h"

#include <algorithm>
#include <vector>

namespace spindle::testing {

double median_ms(const std::function<void()>& work, int repeats, const Stream& stream, int warmup) {
  for (int i = 0; i < warmup; ++i) work();
  std::vector<double> times;
  Event start(stream.device()), stop(stream.device());
  for (int i = 0; i < repeats; ++i) {
    start.record(stream);
    work();
    stop.record(stream);
    stop.synchronize();
    times.push_back(Event::elapsed_ms(start, stop));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace spindle::testing
