#include "io/hdf5_attributes.h"

#include "io/check.h"
#include "io/hdf5_handle.h"

namespace spindle {
namespace {

void write_raw(hid_t object, const std::string& name, hid_t type, hid_t space, const void* data) {
  if (check_hdf5(H5Aexists(object, name.c_str()), "H5Aexists " + name) > 0) {
    check_hdf5(H5Adelete(object, name.c_str()), "H5Adelete " + name);
  }
  Hdf5Handle attribute(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       "H5Acreate2 " + name);
  check_hdf5(H5Awrite(attribute.get(), type, data), "H5Awrite " + name);
}

Hdf5Handle scalar_space() { return Hdf5Handle(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate"); }

Hdf5Handle vector_space(size_t count) {
  const hsize_t dims[1] = {count};
  return Hdf5Handle(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple");
}

Hdf5Handle open_attribute(hid_t object, const std::string& name, const std::string& where) {
  if (!has_attribute(object, name)) throw Error(where, "attribute '" + name + "' is missing", "a spindle store attribute");
  return Hdf5Handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen " + name);
}

// Number of elements of the attribute's dataspace (1 for a scalar).
size_t element_count(hid_t attribute, const std::string& name) {
  Hdf5Handle space(H5Aget_space(attribute), H5Sclose, "H5Aget_space " + name);
  return static_cast<size_t>(check_hdf5(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints"));
}

void check_class(hid_t attribute, H5T_class_t expected, const std::string& name, const std::string& where,
                 const char* expected_text) {
  Hdf5Handle type(H5Aget_type(attribute), H5Tclose, "H5Aget_type " + name);
  if (H5Tget_class(type.get()) != expected) {
    throw Error(where, "attribute '" + name + "' has another type", expected_text);
  }
}

}  // namespace

hid_t make_utf8_string_type() {
  const hid_t type = check_hdf5(H5Tcopy(H5T_C_S1), "H5Tcopy");
  check_hdf5(H5Tset_size(type, H5T_VARIABLE), "H5Tset_size");
  check_hdf5(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset");
  return type;
}

hid_t make_string_type_like(hid_t stored) {
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  check_hdf5(H5Tset_cset(type.get(), H5Tget_cset(stored)), "H5Tset_cset");
  return type.release();
}

void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  const char* text = value.c_str();
  write_raw(object, name, type.get(), scalar_space().get(), &text);
}

void write_attribute(hid_t object, const std::string& name, const std::vector<std::string>& values) {
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  std::vector<const char*> texts;
  for (const std::string& value : values) texts.push_back(value.c_str());
  write_raw(object, name, type.get(), vector_space(values.size()).get(), texts.data());
}

void write_attribute(hid_t object, const std::string& name, int64_t value) {
  write_raw(object, name, H5T_STD_I64LE, scalar_space().get(), &value);
}

void write_attribute(hid_t object, const std::string& name, double value) {
  write_raw(object, name, H5T_IEEE_F64LE, scalar_space().get(), &value);
}

void write_attribute(hid_t object, const std::string& name, const std::vector<double>& values) {
  write_raw(object, name, H5T_IEEE_F64LE, vector_space(values.size()).get(), values.data());
}

bool has_attribute(hid_t object, const std::string& name) {
  return check_hdf5(H5Aexists(object, name.c_str()), "H5Aexists " + name) > 0;
}

std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name, const std::string& where) {
  Hdf5Handle attribute = open_attribute(object, name, where);
  check_class(attribute.get(), H5T_STRING, name, where, "a string attribute");
  const size_t count = element_count(attribute.get(), name);
  std::vector<std::string> values;
  // No value (h5py.Empty's null dataspace, or 0 elements): H5Aread would fail without saying
  // where; callers refuse the count, naming the object.
  if (count == 0) return values;
  Hdf5Handle stored_type(H5Aget_type(attribute.get()), H5Tclose, "H5Aget_type " + name);
  if (H5Tis_variable_str(stored_type.get()) > 0) {
    Hdf5Handle type(make_string_type_like(stored_type.get()), H5Tclose, "H5Tcopy");
    std::vector<char*> texts(count, nullptr);
    check_hdf5(H5Aread(attribute.get(), type.get(), texts.data()), "H5Aread " + name);
    for (char* text : texts) values.emplace_back(text ? text : "");
    Hdf5Handle space(H5Aget_space(attribute.get()), H5Sclose, "H5Aget_space " + name);
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, texts.data());
  } else {
    const size_t width = H5Tget_size(stored_type.get());
    std::vector<char> buffer(width * count);
    check_hdf5(H5Aread(attribute.get(), stored_type.get(), buffer.data()), "H5Aread " + name);
    for (size_t i = 0; i < count; ++i) {
      const char* start = buffer.data() + i * width;
      size_t length = 0;
      while (length < width && start[length] != '\0') ++length;
      values.emplace_back(start, length);
    }
  }
  return values;
}

std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where) {
  std::vector<std::string> values = read_strings_attribute(object, name, where);
  if (values.size() != 1) throw Error(where, "attribute '" + name + "' holds " + std::to_string(values.size()) + " strings", "one string");
  return values.front();
}

std::vector<double> read_doubles_attribute(hid_t object, const std::string& name, const std::string& where) {
  Hdf5Handle attribute = open_attribute(object, name, where);
  check_class(attribute.get(), H5T_FLOAT, name, where, "a floating-point attribute");
  std::vector<double> values(element_count(attribute.get(), name));
  if (values.empty()) return values;  // as for strings: the caller refuses the count
  check_hdf5(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()), "H5Aread " + name);
  return values;
}

double read_double_attribute(hid_t object, const std::string& name, const std::string& where) {
  std::vector<double> values = read_doubles_attribute(object, name, where);
  if (values.size() != 1) throw Error(where, "attribute '" + name + "' holds " + std::to_string(values.size()) + " numbers", "one number");
  return values.front();
}

int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where) {
  Hdf5Handle attribute = open_attribute(object, name, where);
  check_class(attribute.get(), H5T_INTEGER, name, where, "an integer attribute");
  if (element_count(attribute.get(), name) != 1) throw Error(where, "attribute '" + name + "' is not a scalar", "one integer");
  int64_t value = 0;
  check_hdf5(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "H5Aread " + name);
  return value;
}

}  // namespace spindle
