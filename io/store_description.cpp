#include "io/store_description.h"

#include <fmt/format.h>

#include <map>
#include <vector>

#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/store_file.h"

namespace spindle {
namespace {

std::string type_name(hid_t dataset) {
  Hdf5Handle type(H5Dget_type(dataset), H5Tclose, "H5Dget_type");
  const size_t size = H5Tget_size(type.get());
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type.get()) == H5T_SGN_NONE ? "u" : "", 8 * size);
    case H5T_FLOAT: return fmt::format("float{}", 8 * size);
    case H5T_STRING: return "string";
    default: return "other";
  }
}

// "chunk [1048576], gzip+shuffle" or "contiguous".
std::string layout(hid_t dataset) {
  Hdf5Handle create(H5Dget_create_plist(dataset), H5Pclose, "H5Dget_create_plist");
  if (H5Pget_layout(create.get()) != H5D_CHUNKED) return "contiguous";
  hsize_t chunk[8];
  const int rank = H5Pget_chunk(create.get(), 8, chunk);
  std::string text = "chunk [";
  for (int i = 0; i < rank; ++i) text += (i ? ", " : "") + std::to_string(chunk[i]);
  text += "]";
  const int filters = H5Pget_nfilters(create.get());
  std::vector<std::string> names;
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    size_t values = 0;
    char name[64] = {0};
    const H5Z_filter_t filter = H5Pget_filter2(create.get(), i, &flags, &values, nullptr, sizeof name, name, nullptr);
    names.push_back(filter == H5Z_FILTER_DEFLATE ? "gzip" : filter == H5Z_FILTER_SHUFFLE ? "shuffle" : name);
  }
  text += names.empty() ? ", uncompressed" : ", " + fmt::format("{}", fmt::join(names, "+"));
  return text;
}

std::string shape_text(const std::vector<int64_t>& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

std::string attribute_or(hid_t object, const std::string& name, const std::string& fallback) {
  return has_attribute(object, name) ? read_string_attribute(object, name, name) : fallback;
}

// spindle's meaning of the dataset at `path` (components split on '/').
std::string dataset_meaning(hid_t file, hid_t dataset, const std::vector<std::string>& parts) {
  const std::string where = fmt::format("/{}", fmt::join(parts, "/"));
  if (parts.size() == 2 && parts[0] == "sequences") {
    return fmt::format("DNA tokens ({}) of record '{}', {} bases, md5 {}, from {}",
                       attribute_or(dataset, "tokenizer", "?"), parts[1],
                       read_int_attribute(dataset, "length", where), attribute_or(dataset, "md5", "?"),
                       attribute_or(dataset, "source", "?"));
  }
  if (parts.size() == 2 && parts[0] == "soft_masks") {
    return fmt::format("soft mask of /sequences/{}: 1 bit per base, 1 = lowercase in the FASTA", parts[1]);
  }
  if (parts.size() >= 3 && parts[0] == "series") {
    const std::string& leaf = parts.back();
    if (leaf == "values") {
      const std::vector<std::string> channels = read_strings_attribute(dataset, "channel_names", where);
      const std::vector<std::string> units = read_strings_attribute(dataset, "units", where);
      std::vector<std::string> labelled;
      for (size_t i = 0; i < channels.size(); ++i) {
        labelled.push_back(units[i].empty() ? channels[i] : channels[i] + " [" + units[i] + "]");
      }
      return fmt::format("samples (time, channel): {}", fmt::join(labelled, ", "));
    }
    if (leaf == "time") return "timestamps, int64 ns since 1970-01-01 UTC";
    if (leaf == "missing") return "1 where the input had no value (the value is NaN)";
    if (leaf == "sample") return "annotation positions, 0-based sample index";
    if (leaf == "symbol") {
      std::map<std::string, int64_t> counts;
      for (const std::string& symbol : read_string_dataset(file, where)) ++counts[symbol];
      std::vector<std::string> listed;
      for (const auto& [symbol, count] : counts) listed.push_back(fmt::format("{} {}", symbol, count));
      return fmt::format("annotation symbols: {}", fmt::join(listed, ", "));
    }
    if (leaf == "code") return "MIT annotation codes";
    if (leaf == "aux") return "annotation auxiliary text (rhythm labels such as '(N')";
  }
  return "";
}

std::string group_meaning(hid_t group, const std::vector<std::string>& parts) {
  if (parts.empty()) {
    return fmt::format("spindle store, format {}", read_string_attribute(group, "spindle_format_version", "/"));
  }
  if (parts.size() == 1 && parts[0] == "sequences") return "DNA records, one token dataset each";
  if (parts.size() == 1 && parts[0] == "series") return "multichannel signals";
  if (parts.size() == 2 && parts[0] == "series") {
    std::string text = "series from " + attribute_or(group, "source", "?");
    if (has_attribute(group, "sampling_rate_hz")) {
      const double rate = read_double_attribute(group, "sampling_rate_hz", parts[1]);
      text += rate >= 1 ? fmt::format(", {} Hz", rate) : fmt::format(", one sample every {} s", 1 / rate);
    }
    if (has_attribute(group, "irregular_steps")) {
      text += fmt::format(", {} irregular time steps", read_int_attribute(group, "irregular_steps", parts[1]));
    }
    if (has_attribute(group, "comments")) {
      text += fmt::format(", {} header comment lines", read_strings_attribute(group, "comments", parts[1]).size());
    }
    return text;
  }
  if (parts.size() == 3 && parts[2] == "annotations") return "ECG annotations (one row per annotation)";
  return "";
}

struct Visit {
  hid_t file;
  std::string text;
};

herr_t visit_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  Visit& visit = *static_cast<Visit*>(data);
  const std::string relative = name;
  std::vector<std::string> parts;
  for (size_t start = 0; relative != "." && start <= relative.size();) {
    const size_t slash = relative.find('/', start);
    parts.push_back(relative.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::string path = relative == "." ? "/" : "/" + relative;
  if (info->type == H5O_TYPE_GROUP) {
    Hdf5Handle group(H5Gopen2(root, name, H5P_DEFAULT), H5Gclose, "H5Gopen2 " + path);
    visit.text += fmt::format("{:<40} Group    {}\n", path, group_meaning(group.get(), parts));
  } else if (info->type == H5O_TYPE_DATASET) {
    Hdf5Handle dataset(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose, "H5Dopen2 " + path);
    visit.text += fmt::format("{:<40} Dataset  {} {}, {}\n", path, type_name(dataset.get()),
                              shape_text(dataset_dims(dataset.get(), path)), layout(dataset.get()));
    const std::string meaning = dataset_meaning(visit.file, dataset.get(), parts);
    if (!meaning.empty()) visit.text += fmt::format("{:<40}          {}\n", "", meaning);
  }
  return 0;
}

}  // namespace

std::string describe_store(const std::string& path) {
  Hdf5Handle file = open_store(path);
  Visit visit{file.get(), ""};
  check_hdf5(H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_object, &visit, H5O_INFO_BASIC), "H5Ovisit " + path);
  return visit.text;
}

}  // namespace spindle
