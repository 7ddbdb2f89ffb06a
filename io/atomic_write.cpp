#include "io/atomic_write.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kernels/error.h"

namespace spindle {
namespace {

std::string temporary_name(const std::string& path, const char* role) {
  return path + "." + role + "-" + std::to_string(getpid());
}

void rename_or_throw(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  SPINDLE_CHECK(!error, to, "cannot rename " + from + " to it: " + error.message(), "a writable folder");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = temporary_name(path, "partial");
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    SPINDLE_CHECK(out.is_open(), temporary, std::string("cannot create: ") + std::strerror(errno), "a writable folder");
    write(out);
    out.close();
    SPINDLE_CHECK(!out.fail(), temporary, std::string("write failed: ") + std::strerror(errno), "space on the disk");
    rename_or_throw(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

void write_folder_atomically(const std::string& path, const std::function<void(const std::string&)>& fill) {
  const std::string temporary = temporary_name(path, "partial"), replaced = temporary_name(path, "replaced");
  std::error_code error;
  std::filesystem::remove_all(temporary, error);  // left by an earlier process of the same id
  std::filesystem::create_directory(temporary, error);
  SPINDLE_CHECK(!error, temporary, "cannot create the folder: " + error.message(), "a writable parent folder");
  try {
    fill(temporary);
    const bool existed = std::filesystem::exists(path);
    if (existed) rename_or_throw(path, replaced);
    std::filesystem::rename(temporary, path, error);
    if (error) {
      const std::string reason = error.message();
      if (existed) std::filesystem::rename(replaced, path, error);  // put the old folder back
      throw Error(path, "cannot rename " + temporary + " to it: " + reason, "a writable folder");
    }
    if (existed) std::filesystem::remove_all(replaced, error);
    if (error) spdlog::warn("{}: written, but the replaced folder {} was not deleted: {}", path, replaced, error.message());
  } catch (...) {
    std::filesystem::remove_all(temporary, error);
    throw;
  }
}

}  // namespace spindle
