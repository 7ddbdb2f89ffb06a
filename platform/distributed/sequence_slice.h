// How one sequence is cut over the ranks of a ring: contiguous slices in ring order.
#pragma once

#include <cstdint>
#include <string>

namespace spindle {

// Positions [begin, end) of the sequence.
struct SequenceSlice {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t length() const { return end - begin; }
  bool operator==(const SequenceSlice&) const = default;
};

// The slice of a sequence of `length` positions that ring position `position` of a ring
// of `ring_size` ranks holds. Lengths differ by at most one: the first
// length % ring_size positions of the ring hold one extra position each (L = 10 over 4
// ranks: 3, 3, 2, 2). Throws, naming `where`, when length < ring_size: every rank must
// hold at least one position.
SequenceSlice ring_slice(int64_t length, int ring_size, int position, const std::string& where);

}  // namespace spindle
