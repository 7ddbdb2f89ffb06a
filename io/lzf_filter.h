// The LZF compression filter for HDF5, byte-compatible with h5py's built-in "lzf" filter
// (filter id 32000, the same parameters and chunk encoding), so h5py reads spindle's LZF
// datasets without plugins (h5dump needs the filter plugin; gzip stores need nothing).
// LZF decompresses several times faster than gzip but compresses less. Built when liblzf
// is found (SPINDLE_WITH_LZF).
#pragma once

namespace spindle {

inline constexpr int kLzfFilterId = 32000;

// Registers the filter with the HDF5 library once per process; no-op without liblzf.
void register_lzf_filter();
// Whether this build has the filter.
bool lzf_filter_built();

}  // namespace spindle
