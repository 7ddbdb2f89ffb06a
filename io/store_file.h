// Opening spindle stores with the HDF5 C API, for the code in io/ (callers outside io/
// use io/store_transaction.h, io/store_reader.h and the writers).
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "io/hdf5_handle.h"
#include "io/store_format.h"

namespace spindle {

// Opens the store at `path` read-only. Throws spindle::Error naming the file when it is not
// an HDF5 file, not a spindle store, or of another major format version.
Hdf5Handle open_store(const std::string& path);
// `where` names the file in messages.
void check_store_format(hid_t file, const std::string& where);
// Once before using HDF5: silences HDF5's own error printing (spindle reports failures
// through Error) and registers the LZF filter where built.
void prepare_hdf5();
// Throws spindle::Error naming `where` when a filter of `dataset` cannot be decoded here
// (an LZF store read by a spindle built without liblzf).
void check_filters_available(hid_t dataset, const std::string& where);
// Names of the links in group `group_path`, sorted; throws spindle::Error naming `where` (the
// file) and the path when it is not a group.
std::vector<std::string> group_members(hid_t file, const std::string& group_path, const std::string& where);
// Dataset access properties with a raw chunk cache of `bytes` (w0 = 1: fully read chunks
// are evicted first, as window reads read whole ranges).
Hdf5Handle chunk_cache_access(size_t bytes);
// Adds the filters of `compression` to a chunked dataset creation property list.
void set_compression(hid_t create_plist, store::Compression compression, const std::string& dataset_path);


// True when `object_path` ("/sequences/chr1") names a link in `file`, every parent included.
bool store_has_object(hid_t file, const std::string& object_path);
// Opens group `group_path` (one level below an existing group), creating it if absent.
Hdf5Handle open_or_create_group(hid_t file, const std::string& group_path);

}  // namespace spindle
