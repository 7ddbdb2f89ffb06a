#include "io/lzf_filter.h"

#if SPINDLE_WITH_LZF

#include <hdf5.h>
#include <lzf.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "io/check.h"

namespace spindle {
namespace {

// h5py's cd_values: [filter version 4, LZF_VERSION, uncompressed chunk bytes].
constexpr unsigned kH5pyLzfVersion = 4;

herr_t set_local(hid_t create_plist, hid_t type, hid_t) {
  unsigned flags = 0;
  size_t count = 8;
  unsigned values[8] = {0};
  if (H5Pget_filter_by_id2(create_plist, kLzfFilterId, &flags, &count, values, 0, nullptr, nullptr) < 0) return -1;
  hsize_t chunk[32];
  const int rank = H5Pget_chunk(create_plist, 32, chunk);
  if (rank < 0) return -1;
  size_t bytes = H5Tget_size(type);
  for (int i = 0; i < rank; ++i) bytes *= chunk[i];
  values[0] = kH5pyLzfVersion;
  values[1] = LZF_VERSION;
  values[2] = static_cast<unsigned>(bytes);
  return H5Pmodify_filter(create_plist, kLzfFilterId, flags, count < 3 ? 3 : count, values);
}

// HDF5 filter callback: compresses (or, with H5Z_FLAG_REVERSE, decompresses) *buffer in
// place; returns the new size, 0 on failure. A chunk that does not shrink is refused, and
// HDF5 stores it as is (the filter is optional), exactly as h5py does.
size_t lzf_filter(unsigned flags, size_t value_count, const unsigned values[], size_t bytes, size_t* buffer_size,
                  void** buffer) {
  size_t output_size = 0;
  void* output = nullptr;
  unsigned produced = 0;
  if (!(flags & H5Z_FLAG_REVERSE)) {
    output_size = *buffer_size;
    output = std::malloc(output_size);
    if (!output) return 0;
    produced = lzf_compress(*buffer, static_cast<unsigned>(bytes), output, static_cast<unsigned>(output_size));
  } else {
    output_size = value_count >= 3 && values[2] != 0 ? values[2] : *buffer_size;
    while (produced == 0) {
      std::free(output);
      output = std::malloc(output_size);
      if (!output) return 0;
      produced = lzf_decompress(*buffer, static_cast<unsigned>(bytes), output, static_cast<unsigned>(output_size));
      if (produced == 0 && errno != E2BIG) break;
      if (produced == 0) output_size += *buffer_size;
    }
  }
  if (produced == 0) {
    std::free(output);
    return 0;
  }
  std::free(*buffer);
  *buffer = output;
  *buffer_size = output_size;
  return produced;
}

}  // namespace

void register_lzf_filter() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const H5Z_class2_t kLzf = {H5Z_CLASS_T_VERS, static_cast<H5Z_filter_t>(kLzfFilterId), 1, 1, "lzf",
                                      nullptr, set_local, lzf_filter};
    check_hdf5(H5Zregister(&kLzf), "H5Zregister lzf");
  });
}

bool lzf_filter_built() { return true; }

}  // namespace spindle

#else

namespace spindle {

void register_lzf_filter() {}
bool lzf_filter_built() { return false; }

}  // namespace spindle

#endif
