#include "platform/distributed/communication_clock.h"

namespace spindle {

CommunicationClock::Interval::Interval(CommunicationClock& clock, const Stream& stream)
    : clock_(clock), stream_(stream) {
  if (stream.device().is_cpu()) {
    host_start_ = std::chrono::steady_clock::now();
    return;
  }
  device_start_ = std::make_unique<Event>(stream.device());
  device_start_->record(stream);
}

CommunicationClock::Interval::~Interval() {
  if (!device_start_) {
    clock_.host_ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - host_start_).count();
    return;
  }
  try {
    auto end = std::make_unique<Event>(stream_.device());
    end->record(stream_);
    clock_.device_.push_back({std::move(device_start_), std::move(end)});
  } catch (...) {  // a destructor must not throw: the interval goes unmeasured
  }
}

double CommunicationClock::take_ms() {
  double ms = host_ms_;
  for (const DeviceInterval& interval : device_) {
    interval.end->synchronize();
    ms += Event::elapsed_ms(*interval.start, *interval.end);
  }
  host_ms_ = 0;
  device_.clear();
  return ms;
}

}  // namespace spindle
