// `spindle check`: a short end-to-end run of the installed build on this machine. It draws
// Philox streams on the CPU and on every GPU and compares them draw for draw, checks that a
// stream drawn in pieces equals the stream drawn whole, and moves tensors host -> device ->
// host through pageable and pinned memory, comparing bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spindle {

struct CheckOutcome {
  std::string device;  // "cpu", "cuda:0", ...
  std::string name;    // what was checked
  bool passed = false;
  std::string detail;  // figures behind the verdict
};

// elements: length of each stream drawn and tensor moved; seed: the Philox key.
std::vector<CheckOutcome> run_self_check(int64_t elements, uint64_t seed);

}  // namespace spindle
