#include "io/store_description.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <map>
#include <vector>

#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/store_file.h"

namespace spindle {
namespace {

// "chunk [1048576], gzip+shuffle" or "contiguous".
std::string layout(hid_t dataset) {
  Hdf5Handle create(H5Dget_create_plist(dataset), H5Pclose, "H5Dget_create_plist");
  if (H5Pget_layout(create.get()) != H5D_CHUNKED) return "contiguous";
  hsize_t chunk[H5S_MAX_RANK];  // H5Pget_chunk returns the rank but fills no more than it is given room for
  const int rank = H5Pget_chunk(create.get(), H5S_MAX_RANK, chunk);
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

std::string attribute_or(hid_t object, const std::string& name, const std::string& fallback, const std::string& where) {
  return has_attribute(object, name) ? read_string_attribute(object, name, where) : fallback;
}

// The attribute `name` of a series' values, one string per channel.
std::vector<std::string> per_channel(hid_t values, const std::string& name, int64_t channels,
                                     const std::string& where) {
  std::vector<std::string> strings = read_strings_attribute(values, name, where);
  if (static_cast<int64_t>(strings.size()) != channels) {
    throw Error(where, fmt::format("attribute '{}' holds {} strings for {} channels", name, strings.size(), channels),
                "one per channel");
  }
  return strings;
}

// spindle's meaning of the dataset at `path` (components split on '/'); `where` names it in
// messages ("x.h5:/sequences/chr1").
std::string dataset_meaning(hid_t file, hid_t dataset, const std::vector<std::string>& parts,
                            const std::string& where) {
  const std::string path = fmt::format("/{}", fmt::join(parts, "/"));
  if (parts.size() == 2 && parts[0] == "sequences") {
    const int64_t length = read_int_attribute(dataset, "length", where);
    if (dataset_dims(dataset, where) != std::vector<int64_t>{length}) {
      const std::string held = type_and_shape(dataset, where);
      throw Error(where, fmt::format("attribute 'length' is {}, but the dataset is {}", length, held),
                  "uint8 [length]: one token per base");
    }
    return fmt::format("DNA tokens ({}) of record '{}', {} bases, md5 {}, from {}",
                       attribute_or(dataset, "tokenizer", "?", where), parts[1], length,
                       attribute_or(dataset, "md5", "?", where), attribute_or(dataset, "source", "?", where));
  }
  if (parts.size() == 2 && parts[0] == "soft_masks") {
    return fmt::format("soft mask of /sequences/{}: 1 bit per base, 1 = lowercase in the FASTA", parts[1]);
  }
  if (parts.size() >= 3 && parts[0] == "series") {
    const std::string& leaf = parts.back();
    if (leaf == "values") {
      const std::vector<int64_t> dims = dataset_dims(dataset, where);
      SPINDLE_CHECK(dims.size() == 2, where, "dataset of " + type_and_shape(dataset, where), "float32 [time, channel]");
      const std::vector<std::string> channels = per_channel(dataset, "channel_names", dims[1], where);
      const std::vector<std::string> units = per_channel(dataset, "units", dims[1], where);
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
      for (const std::string& symbol : read_string_dataset(file, path, where)) ++counts[symbol];
      std::vector<std::string> listed;
      for (const auto& [symbol, count] : counts) listed.push_back(fmt::format("{} {}", symbol, count));
      return fmt::format("annotation symbols: {}", fmt::join(listed, ", "));
    }
    if (leaf == "code") return "MIT annotation codes";
    if (leaf == "aux") return "annotation auxiliary text (rhythm labels such as '(N')";
  }
  return "";
}

std::string group_meaning(hid_t group, const std::vector<std::string>& parts, const std::string& where) {
  if (parts.empty()) {
    return fmt::format("spindle store, format {}", read_string_attribute(group, "spindle_format_version", where));
  }
  if (parts.size() == 1 && parts[0] == "sequences") return "DNA records, one token dataset each";
  if (parts.size() == 1 && parts[0] == "series") return "multichannel signals";
  if (parts.size() == 2 && parts[0] == "series") {
    std::string text = "series from " + attribute_or(group, "source", "?", where);
    if (has_attribute(group, "sampling_rate_hz")) {
      const double rate = read_double_attribute(group, "sampling_rate_hz", where);
      // Not "one sample every inf s" for a rate of 0.
      SPINDLE_CHECK(std::isfinite(rate) && rate > 0, where, fmt::format("attribute 'sampling_rate_hz' is {}", rate),
                    "a positive rate in Hz");
      text += rate >= 1 ? fmt::format(", {} Hz", rate) : fmt::format(", one sample every {} s", 1 / rate);
    }
    if (has_attribute(group, "irregular_steps")) {
      text += fmt::format(", {} irregular time steps", read_int_attribute(group, "irregular_steps", where));
    }
    if (has_attribute(group, "comments")) {
      text += fmt::format(", {} header comment lines", read_strings_attribute(group, "comments", where).size());
    }
    return text;
  }
  if (parts.size() == 3 && parts[2] == "annotations") return "ECG annotations (one row per annotation)";
  return "";
}

struct Visit {
  hid_t file;
  std::string path;  // the file's
  std::string text;
  // An error of the callback, rethrown after H5Ovisit returns: thrown through HDF5's C frames
  // it would leave the objects HDF5 opened open and its library lock held.
  std::exception_ptr error;
};

void describe_object(hid_t root, const char* name, const H5O_info_t& info, Visit& visit) {
  const std::string relative = name;
  std::vector<std::string> parts;
  for (size_t start = 0; relative != "." && start <= relative.size();) {
    const size_t slash = relative.find('/', start);
    parts.push_back(relative.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::string path = relative == "." ? "/" : "/" + relative;
  const std::string where = visit.path + ":" + path;
  if (info.type == H5O_TYPE_GROUP) {
    Hdf5Handle group(H5Gopen2(root, name, H5P_DEFAULT), H5Gclose, "H5Gopen2 " + where);
    visit.text += fmt::format("{:<40} Group    {}\n", path, group_meaning(group.get(), parts, where));
  } else if (info.type == H5O_TYPE_DATASET) {
    Hdf5Handle dataset(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose, "H5Dopen2 " + where);
    visit.text +=
        fmt::format("{:<40} Dataset  {}, {}\n", path, type_and_shape(dataset.get(), where), layout(dataset.get()));
    const std::string meaning = dataset_meaning(visit.file, dataset.get(), parts, where);
    if (!meaning.empty()) visit.text += fmt::format("{:<40}          {}\n", "", meaning);
  }
}

herr_t visit_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  Visit& visit = *static_cast<Visit*>(data);
  try {
    describe_object(root, name, *info, visit);
    return 0;
  } catch (...) {
    visit.error = std::current_exception();
    return -1;  // stops the visit
  }
}

}  // namespace

std::string describe_store(const std::string& path) {
  Hdf5Handle file = open_store(path);
  Visit visit{file.get(), path, "", nullptr};
  const herr_t status = H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_object, &visit, H5O_INFO_BASIC);
  if (visit.error) std::rethrow_exception(visit.error);
  check_hdf5(status, "H5Ovisit " + path);
  return visit.text;
}

}  // namespace spindle
