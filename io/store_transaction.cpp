#include "io/store_transaction.h"

#include <filesystem>
#include <type_traits>

#include "io/atomic_write.h"
#include "io/hdf5_attributes.h"
#include "io/store_file.h"
#include "io/store_format.h"

namespace spindle {

static_assert(std::is_same_v<hid_t, int64_t>, "StoreTransaction::hdf5_file() returns hid_t as int64_t");

struct StoreTransaction::File {
  Hdf5Handle handle;
};

StoreTransaction::StoreTransaction(const std::string& path)
    : path_(path), temporary_path_(prepare_partial_output(path)), file_(std::make_unique<File>()) {
  prepare_hdf5();
  try {
    open_temporary_copy();
  } catch (...) {
    discard();  // the destructor does not run for a constructor that throws
    throw;
  }
}

void StoreTransaction::discard() noexcept {
  file_->handle.reset();
  std::error_code ignored;
  std::filesystem::remove(temporary_path_, ignored);
}

void StoreTransaction::open_temporary_copy() {
  if (std::filesystem::exists(path_)) {
    open_store(path_).reset();  // checks format and version before copying
    std::filesystem::copy_file(path_, temporary_path_, std::filesystem::copy_options::overwrite_existing);
    file_->handle = Hdf5Handle(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose,
                       "H5Fopen " + temporary_path_);
  } else {
    // The 1.8 object format at least (not the oldest) keeps h5py and h5dump of HDF5 1.10+ able
    // to read every store.
    Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
    check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
    file_->handle = Hdf5Handle(H5Fcreate(temporary_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                       "H5Fcreate " + temporary_path_);
    write_attribute(file_->handle.get(), "spindle_format", std::string(store::kFormatName));
    write_attribute(file_->handle.get(), "spindle_format_version",
                    std::to_string(store::kFormatMajor) + "." + std::to_string(store::kFormatMinor));
  }
}

StoreTransaction::~StoreTransaction() {
  if (!committed_) discard();
}

void StoreTransaction::commit() {
  check_hdf5(H5Fflush(file_->handle.get(), H5F_SCOPE_GLOBAL), "H5Fflush " + temporary_path_);
  // Closed here rather than by the handle so that a failure to close is reported.
  check_hdf5(H5Fclose(file_->handle.release()), "H5Fclose " + temporary_path_);
  rename_durably(temporary_path_, path_);
  committed_ = true;
}

int64_t StoreTransaction::hdf5_file() const { return file_->handle.get(); }

}  // namespace spindle
