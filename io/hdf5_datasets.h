// Whole datasets written and read in one call (series values, times, annotations), and
// the shape of a dataset. Large streamed datasets (DNA) use io/sequence_writer.h instead.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_handle.h"
#include "io/store_format.h"

namespace spindle {

// A dataset of `dims` elements of `file_type` from `data` (in `memory_type`), chunked along
// the first axis by `chunk_rows` (0: contiguous), compressed as asked.
void write_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type,
                   const std::vector<int64_t>& dims, const void* data, int64_t chunk_rows,
                   store::Compression compression);
// A 1-D dataset of variable-length UTF-8 strings.
void write_string_dataset(hid_t file, const std::string& path, const std::vector<std::string>& values);

std::vector<int64_t> dataset_dims(hid_t dataset, const std::string& where);
// Element type and shape as numpy would name them: "uint8 [10]", "float32 [650000, 2]", "string [3]".
std::string type_and_shape(hid_t dataset, const std::string& where);
// Opens dataset `path` of `file` for a reader, which takes only the types and ranks of
// docs/formats.md: throws spindle::Error naming `where` ("x.h5:/sequences/chr1") and saying
// `expected` when `path` names no dataset, or one whose rank is not `rank` or whose elements
// are not of `element_type`'s kind (class, size and sign, any byte order; strings: variable
// length or not). Checked here because H5Dread converts what it can: float64 300.0 read as
// uint8 is 255, a token no model has.
Hdf5Handle open_dataset(hid_t file, const std::string& path, int rank, hid_t element_type, const std::string& where,
                        const std::string& expected, hid_t access = H5P_DEFAULT);
// A 1-D dataset of variable-length strings (UTF-8 or ASCII); `where` names it in messages.
std::vector<std::string> read_string_dataset(hid_t file, const std::string& path, const std::string& where);

}  // namespace spindle
