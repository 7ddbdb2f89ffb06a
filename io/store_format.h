// The layout of a spindle store (one HDF5 file; docs/formats.md describes it in full).
//
//   /                              attrs spindle_format ("spindle-store"), spindle_format_version ("1.0")
//   /sequences/<name>              uint8 tokens [length], one per FASTA record
//   /soft_masks/<name>             uint8 [ceil(length / 8)]: bit (7 - i % 8) of byte i / 8 is 1 when
//                                  base i (0-based) was lowercase in the FASTA
//   /series/<name>/values          float32 [time, channel]
//   /series/<name>/time            int64 ns since 1970-01-01 UTC [time] (CSV series)
//   /series/<name>/missing         uint8 [time, channel], 1 where the input had no value (mask policy)
//   /series/<name>/annotations/*   ECG annotations: sample, symbol, code, subtype, channel, number, aux
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spindle::store {

inline constexpr const char* kFormatName = "spindle-store";
// Readers accept every minor version of kFormatMajor and refuse other majors.
inline constexpr int kFormatMajor = 1;
inline constexpr int kFormatMinor = 0;

inline constexpr const char* kSequencesGroup = "/sequences";
inline constexpr const char* kSoftMasksGroup = "/soft_masks";
inline constexpr const char* kSeriesGroup = "/series";

// Tokens per chunk of a sequence dataset (1 MiB): large enough that gzip works well and
// the chunk index stays small for billion-base records, small enough that a window read
// decompresses little beyond what it delivers.
inline constexpr int64_t kSequenceChunkTokens = int64_t{1} << 20;
// Bytes per chunk of a series' values (rows = this / (4 * channels)).
inline constexpr int64_t kSeriesChunkBytes = int64_t{1} << 20;

// gzip: deflate after the shuffle filter, readable everywhere (the default). lzf: h5py's
// LZF filter, faster to decompress, read by h5py as is but by h5dump only with the filter
// plugin; present only in builds with liblzf (io/lzf_filter.h).
enum class Compression { none, gzip, lzf };
// A name of compression_names(); throws spindle::Error naming `where` otherwise.
Compression parse_compression(const std::string& name, const std::string& where);
const char* compression_name(Compression compression);
// The choices this build offers: "gzip", "none", and "lzf" when built.
std::vector<std::string> compression_names();
// gzip level used for Compression::gzip (with the shuffle filter before it).
inline constexpr unsigned kGzipLevel = 4;

}  // namespace spindle::store
