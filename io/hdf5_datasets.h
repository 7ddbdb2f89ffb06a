// Whole datasets written and read in one call (series values, times, annotations), and
// the shape of a dataset. Large streamed datasets (DNA) use io/sequence_writer.h instead.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

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
// The whole dataset converted to `memory_type`; `out` must hold every element.
void read_dataset(hid_t file, const std::string& path, hid_t memory_type, void* out);
std::vector<std::string> read_string_dataset(hid_t file, const std::string& path);

}  // namespace spindle
