#include "pipelines/train/held_out_split.h"

#include <algorithm>
#include <map>

#include "kernels/error.h"

namespace spindle {

HeldOutSplit split_held_out(const std::vector<SequenceInfo>& records, const std::vector<std::string>& held_out_records,
                            const std::vector<WindowRegion>& held_out_intervals, const std::string& where) {
  std::map<std::string, int64_t> lengths;
  for (const SequenceInfo& record : records) lengths[record.name] = record.length;
  // Held-out ranges per record; a whole record is its full range.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> held;
  const auto hold = [&](const WindowRegion& region) {
    const auto length = lengths.find(region.record);
    SPINDLE_CHECK(length != lengths.end(), where, "held-out record '" + region.record + "' is not in the store",
                  "names of the store's records (spindle inspect lists them)");
    SPINDLE_CHECK(region.end <= length->second, where,
                  region.record + ":" + std::to_string(region.start + 1) + "-" + std::to_string(region.end) +
                      " ends past the record's " + std::to_string(length->second) + " bases",
                  "an interval within the record");
    held[region.record].emplace_back(region.start, region.end);
  };
  for (const std::string& name : held_out_records) {
    const auto length = lengths.find(name);
    hold({name, 0, length == lengths.end() ? 0 : length->second});
  }
  for (const WindowRegion& interval : held_out_intervals) hold(interval);

  HeldOutSplit split;
  for (const SequenceInfo& record : records) {
    std::vector<std::pair<int64_t, int64_t>>& ranges = held[record.name];
    std::sort(ranges.begin(), ranges.end());
    int64_t position = 0;
    for (const auto& [start, end] : ranges) {
      SPINDLE_CHECK(start >= position, where,
                    "held-out ranges of " + record.name + " overlap at " + std::to_string(start + 1),
                    "each base held out once (a record and an interval within it overlap too)");
      if (start > position) split.training.push_back({record.name, position, start});
      split.validation.push_back({record.name, start, end});
      position = end;
    }
    if (position < record.length) split.training.push_back({record.name, position, record.length});
  }
  return split;
}

}  // namespace spindle
