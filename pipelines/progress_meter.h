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

// The line ProgressMeter logs after `done` of `total` units in `seconds`:
//   "score-variants o.vcf.gz: 21.0% (21 variants of 100 variants), 0.42 variants/s, ETA 3 min 08 s; <detail>"
// Figures keep what can be read at a glance: two significant digits below 10 ("0.42",
// "5.3"), whole numbers with thousands separators below a million ("42", "1,234"), then
// SI prefixes ("12.3 MB", "3.2 Gtokens"). The ETA comes from the unrounded rate; without
// a total (0) or before any progress there is none.
std::string progress_line(const std::string& task, int64_t done, int64_t total, const std::string& unit,
                          double seconds, const std::string& detail);

}  // namespace spindle
