// Attributes on HDF5 objects (groups, datasets) in the types spindle stores use:
// variable-length UTF-8 strings (scalar or 1-D array), int64 and float64 scalars and 1-D
// float64 arrays. h5py reads them as str, list of str, int, float and numpy arrays.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

// `object` is an open group or dataset; `name` the attribute (replaced if present).
void write_attribute(hid_t object, const std::string& name, const std::string& value);
void write_attribute(hid_t object, const std::string& name, const std::vector<std::string>& values);
void write_attribute(hid_t object, const std::string& name, int64_t value);
void write_attribute(hid_t object, const std::string& name, double value);
void write_attribute(hid_t object, const std::string& name, const std::vector<double>& values);

bool has_attribute(hid_t object, const std::string& name);
// Readers throw spindle::Error naming `where` when the attribute is absent or of another
// type class; strings are read from variable- or fixed-length string attributes.
std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where);
std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name, const std::string& where);
int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where);
double read_double_attribute(hid_t object, const std::string& name, const std::string& where);
std::vector<double> read_doubles_attribute(hid_t object, const std::string& name, const std::string& where);

// A variable-length UTF-8 string type (owned by the caller's handle).
hid_t make_utf8_string_type();
// A variable-length string type in the character set of the string type `stored` (UTF-8 or
// ASCII), to read variable-length strings as stored: HDF5 converts no string between the two.
hid_t make_string_type_like(hid_t stored);

}  // namespace spindle
