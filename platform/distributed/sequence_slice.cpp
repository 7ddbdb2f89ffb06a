#include "platform/distributed/sequence_slice.h"

#include <algorithm>

#include "kernels/error.h"

namespace spindle {

SequenceSlice ring_slice(int64_t length, int ring_size, int position, const std::string& where) {
  SPINDLE_CHECK(ring_size >= 1 && position >= 0 && position < ring_size, where,
                "ring position " + std::to_string(position) + " of a ring of " + std::to_string(ring_size),
                "a position in [0, ring size)");
  SPINDLE_CHECK(length >= ring_size, where,
                "a sequence of " + std::to_string(length) + " positions over a ring of " + std::to_string(ring_size) +
                    " ranks",
                "at least one position per rank (length >= " + std::to_string(ring_size) + ")");
  const int64_t base = length / ring_size;
  const int64_t extra = length % ring_size;  // held by the first `extra` positions
  const int64_t begin = position * base + std::min<int64_t>(position, extra);
  return {begin, begin + base + (position < extra ? 1 : 0)};
}

}  // namespace spindle
