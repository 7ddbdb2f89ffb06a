// Adding data to a spindle store through a transaction that works on a temporary copy in
// the same folder ("<store>.partial-<pid>") and renames it over the store only when
// everything is written, so that an error, a crash or a kill never leaves a store that
// looks complete but is not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace spindle {

class StoreTransaction {
 public:
  // Starts adding to the store at `path`: copies it (after checking its format) or creates a
  // new store.
  explicit StoreTransaction(const std::string& path);
  // Without commit(): closes and deletes the temporary file; the store is unchanged.
  ~StoreTransaction();
  StoreTransaction(const StoreTransaction&) = delete;
  StoreTransaction& operator=(const StoreTransaction&) = delete;

  const std::string& path() const { return path_; }
  // The open temporary file's HDF5 id (hid_t), for the writers in io/.
  int64_t hdf5_file() const;
  // Flushes, closes and renames the temporary file over `path`.
  void commit();

 private:
  // Copies the store (or creates one) under the temporary name and opens it.
  void open_temporary_copy();
  // Closes and deletes the temporary file.
  void discard() noexcept;
  struct File;
  std::string path_, temporary_path_;
  std::unique_ptr<File> file_;
  bool committed_ = false;
};

}  // namespace spindle
