// Progress of a long job logged at info level: fraction done, rate and ETA, at most once
// every few seconds, so a terminal shows that a billion-base ingest is moving.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace spindle {

class ProgressMeter {
 public:
  // `task` names the job in each line ("ingest x.fa.gz"); `total` is the amount of work in
  // `unit`s (e.g. bytes of the input file), 0 if unknown (then no ETA).
  ProgressMeter(std::string task, int64_t total, std::string unit);
  // `done` units of `total` so far; `detail` is appended ("chr1: 12,000,000 bases").
  void update(int64_t done, const std::string& detail);

 private:
  using Clock = std::chrono::steady_clock;
  std::string task_, unit_;
  int64_t total_;
  Clock::time_point start_, last_log_;
};

}  // namespace spindle
