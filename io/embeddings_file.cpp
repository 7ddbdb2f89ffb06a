#include "io/embeddings_file.h"

#include <algorithm>
#include <filesystem>

#include "io/atomic_write.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"

namespace spindle {
namespace {

constexpr const char* kFormatName = "spindle-embeddings";
constexpr const char* kFormatVersion = "1.0";
constexpr const char* kGroup = "/embeddings";

// Zero-padded to the digits of the largest index, so that names sort in input order.
std::string group_name(int64_t index, int64_t count) {
  const size_t width = std::to_string(std::max<int64_t>(count - 1, 0)).size();
  std::string digits = std::to_string(index);
  return std::string(width - digits.size(), '0') + digits;
}

void require_host_f32(const Tensor& tensor, const Shape& shape, const std::string& where) {
  SPINDLE_CHECK(tensor.defined() && tensor.device().is_cpu() && tensor.dtype() == DType::f32 &&
                    tensor.is_contiguous() && tensor.shape() == shape,
                where, tensor.defined() ? tensor.describe() : "no tensor",
                "a contiguous host f32 tensor of shape " + shape_str(shape));
}

void write_f32(hid_t file, const std::string& path, const Tensor& tensor) {
  write_dataset(file, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, tensor.shape(), tensor.raw_data(), 0,
                store::Compression::none);
}

}  // namespace

struct EmbeddingsWriter::File {
  Hdf5Handle handle;
};

EmbeddingsWriter::EmbeddingsWriter(const std::string& path, const EmbeddingsFileSettings& settings)
    : path_(path), temporary_path_(prepare_partial_output(path)), settings_(settings), file_(std::make_unique<File>()) {
  prepare_hdf5();
  // The 1.8 object format at least, as for stores: h5py and h5dump of HDF5 1.10+ read it.
  Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
  file_->handle = Hdf5Handle(H5Fcreate(temporary_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                             "H5Fcreate " + temporary_path_);
  try {
    const hid_t root = file_->handle.get();
    write_attribute(root, "spindle_format", std::string(kFormatName));
    write_attribute(root, "spindle_format_version", std::string(kFormatVersion));
    write_attribute(root, "spindle_version", settings.spindle_version);
    write_attribute(root, "model", settings.model_directory);
    write_attribute(root, "model_variant", settings.model_variant);
    write_attribute(root, "d_model", settings.d_model);
    write_attribute(root, "n_layer", settings.n_layer);
    write_attribute(root, "width", settings.width);
    write_attribute(root, "pooling", std::string(settings.pooled ? "mean" : "none"));
    write_attribute(root, "rc_average", int64_t{settings.rc_average});
    write_attribute(root, "precision", settings.precision);
    write_attribute(root, "device", settings.device);
    write_attribute(root, "input", settings.input);
    write_attribute(root, "sequences", settings.sequences);
    if (!settings.logits_tokens.empty()) write_attribute(root, "logits_tokens", settings.logits_tokens);
    open_or_create_group(root, kGroup);
  } catch (...) {
    discard();  // the destructor does not run for a constructor that throws
    throw;
  }
}

EmbeddingsWriter::~EmbeddingsWriter() {
  if (!committed_) discard();
}

void EmbeddingsWriter::discard() noexcept {
  file_->handle.reset();
  std::error_code ignored;
  std::filesystem::remove(temporary_path_, ignored);
}

void EmbeddingsWriter::add(const EmbeddedSequence& sequence, const Tensor& hidden, const Tensor& logits) {
  SPINDLE_CHECK(added_ < settings_.sequences, path_, "sequence " + std::to_string(added_ + 1) + " added",
                std::to_string(settings_.sequences) + " sequences, as announced");
  const int64_t length = sequence.end - sequence.begin;
  const std::string where = path_ + ": " + sequence.name;
  SPINDLE_CHECK(sequence.strand == '+' || sequence.strand == '-' || sequence.strand == '.', where,
                std::string("strand '") + sequence.strand + "'", "+, - or .");
  require_host_f32(hidden, settings_.pooled ? Shape{settings_.width} : Shape{length, settings_.width},
                   where + ": hidden");
  const bool with_logits = !settings_.logits_tokens.empty();
  if (with_logits) {
    require_host_f32(logits, {length, static_cast<int64_t>(settings_.logits_tokens.size())}, where + ": logits");
  } else {
    SPINDLE_CHECK(!logits.defined(), where, "logits given", "none: the file was opened without logits");
  }
  const hid_t file = file_->handle.get();
  const std::string group_path = std::string(kGroup) + "/" + group_name(added_, settings_.sequences);
  Hdf5Handle group(H5Gcreate2(file, group_path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "H5Gcreate2 " + group_path);
  write_attribute(group.get(), "name", sequence.name);
  write_attribute(group.get(), "contig", sequence.contig);
  write_attribute(group.get(), "begin", sequence.begin);
  write_attribute(group.get(), "end", sequence.end);
  write_attribute(group.get(), "strand", std::string(1, sequence.strand));
  write_attribute(group.get(), "length", length);
  write_f32(file, group_path + "/hidden", hidden);
  if (with_logits) write_f32(file, group_path + "/logits", logits);
  ++added_;
}

void EmbeddingsWriter::commit() {
  SPINDLE_CHECK(added_ == settings_.sequences, path_, std::to_string(added_) + " sequences added",
                std::to_string(settings_.sequences) + " sequences, as announced");
  check_hdf5(H5Fflush(file_->handle.get(), H5F_SCOPE_GLOBAL), "H5Fflush " + temporary_path_);
  // Closed here rather than by the handle so that a failure to close is reported.
  check_hdf5(H5Fclose(file_->handle.release()), "H5Fclose " + temporary_path_);
  rename_durably(temporary_path_, path_);
  committed_ = true;
}

}  // namespace spindle
