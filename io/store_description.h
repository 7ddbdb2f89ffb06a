// What a spindle store holds, as text: every group and dataset like `h5ls -r` (path, kind,
// shape, element type, chunking, compression) followed by what it means to spindle (a
// DNA record and its length and checksum, a soft mask, a series' channels and rate, ECG
// annotation counts by symbol, ...).
#pragma once

#include <string>

namespace spindle {

// Opens `path` read-only (format checked) and describes it.
std::string describe_store(const std::string& path);

}  // namespace spindle
