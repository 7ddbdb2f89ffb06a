// How long a stream spends in communication calls: the wait the scaling benchmark reports as
// a fraction of the step. An interval runs from the work queued on the stream before a call
// to the call's end on that stream, so it holds the transfer and any wait for peers that are
// behind. Host streams (MPI: calls block) are timed on the host clock, CUDA streams (NCCL:
// calls are queued) by a pair of events each, read when the time is taken.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "platform/stream.h"

namespace spindle {

class CommunicationClock {
 public:
  // One interval on a stream: started when made, ended when destroyed.
  class Interval {
   public:
    Interval(CommunicationClock& clock, const Stream& stream);
    ~Interval();
    Interval(const Interval&) = delete;
    Interval& operator=(const Interval&) = delete;

   private:
    CommunicationClock& clock_;
    Stream stream_;
    std::chrono::steady_clock::time_point host_start_;
    std::unique_ptr<Event> device_start_;
  };

  // Milliseconds in the intervals ended so far (waiting for their events), then forgets them.
  double take_ms();

 private:
  struct DeviceInterval {
    std::unique_ptr<Event> start, end;
  };
  double host_ms_ = 0;
  std::vector<DeviceInterval> device_;
};

}  // namespace spindle
