// Training and validation regions of a store: the held-out records and intervals are the
// validation data, everything else the training data, so no window of one overlaps the other.
#pragma once

#include <string>
#include <vector>

#include "io/store_reader.h"
#include "io/window_reader.h"

namespace spindle {

struct HeldOutSplit {
  std::vector<WindowRegion> training, validation;  // in store order, then by start
};

// `records`: the store's sequences. Held-out records and intervals must name records of the
// store and must not overlap one another; errors name `where` (the configuration key).
HeldOutSplit split_held_out(const std::vector<SequenceInfo>& records, const std::vector<std::string>& held_out_records,
                            const std::vector<WindowRegion>& held_out_intervals, const std::string& where);

}  // namespace spindle
