#include "io/atomic_write.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "kernels/error.h"

namespace spindle {
namespace {

// The role of an old folder moved aside while its replacement is renamed in (write_folder_atomically).
constexpr const char* kReplacedRole = "replaced";

std::string temporary_name(const std::string& path, const char* role) {
  return path + "." + role + "-" + std::to_string(getpid());
}

void rename_or_throw(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  SPINDLE_CHECK(!error, to, "cannot rename " + from + " to it: " + error.message(), "a writable folder");
}

// fsync of one file or folder (a descriptor opened for reading serves both); `target` names
// the output in the error. A file system that cannot sync such an object (EINVAL, as some
// FUSE and network file systems answer for folders) offers nothing more to wait for.
void flush_to_disk(const std::filesystem::path& path, const std::string& target) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const int status = fd < 0 ? -1 : ::fsync(fd);
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (status != 0 && fd >= 0 && (error == EINVAL || error == ENOTSUP || error == ENOSYS)) {
    spdlog::debug("{}: the file system cannot flush {} ({})", target, path.string(), std::strerror(error));
    return;
  }
  SPINDLE_CHECK(status == 0, target, "cannot flush " + path.string() + " to the disk: " + std::strerror(error),
                "a writable folder on a working disk");
}

// A folder's files and subfolders before the folder itself, which holds their names.
void flush_tree_to_disk(const std::filesystem::path& path, const std::string& target) {
  if (std::filesystem::is_directory(path)) {
    for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(path)) {
      flush_tree_to_disk(entry.path(), target);
    }
  }
  flush_to_disk(path, target);
}

// Throws unless `folder` is a folder this process may create files in.
void require_writable_folder(const std::filesystem::path& folder, const std::string& target) {
  struct stat status {};
  int error = 0;
  if (::stat(folder.c_str(), &status) != 0) {
    error = errno;
  } else if (!S_ISDIR(status.st_mode)) {
    error = ENOTDIR;
  } else if (::access(folder.c_str(), W_OK | X_OK) != 0) {  // not faccessat: its faccessat2 call is
    error = errno;                                              // EPERM under some container seccomp profiles
  }
  SPINDLE_CHECK(error == 0, target, "cannot create it in " + folder.string() + ": " + std::strerror(error),
                "an existing folder that can be written");
}

// How long a temporary must have been left unchanged before it may be deleted: a process id
// that does not run here may be a live writer's on another host sharing the folder, or in
// another pid namespace (a container), and those keep changing their temporaries.
constexpr auto kStaleAfter = std::chrono::hours(1);

// A left-over entry "<prefix><pid>" and the process that left it.
struct LeftOver {
  std::filesystem::path path;
  pid_t pid;
};

// The entries "<prefix><pid>" of `folder` whose process does not run here (only ESRCH says so:
// EPERM is a live process of another user) and that have not changed for kStaleAfter.
std::vector<LeftOver> left_overs(const std::filesystem::path& folder, const std::string& prefix) {
  std::vector<LeftOver> stale;  // listed first: nothing is deleted or renamed while listing
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const char *first = name.data() + prefix.size(), *last = name.data() + name.size();
    pid_t pid = 0;
    const auto [end_of_number, parsed] = std::from_chars(first, last, pid);
    // Only a whole positive number: kill() of 0 or -n would test process groups.
    if (parsed != std::errc() || end_of_number != last || pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code no_time;
    const auto changed = std::filesystem::last_write_time(it->path(), no_time);
    if (!no_time && std::filesystem::file_time_type::clock::now() - changed >= kStaleAfter) {
      stale.push_back({it->path(), pid});
    }
  }
  return stale;
}

void remove_left_overs(const std::vector<LeftOver>& stale, const std::string& target) {
  for (const auto& [path, pid] : stale) {
    std::error_code not_removed;
    const std::uintmax_t removed = std::filesystem::remove_all(path, not_removed);
    if (not_removed) {
      spdlog::warn("{}: cannot remove {}, left by process {}: {}", target, path.string(), pid, not_removed.message());
    } else if (removed > 0) {  // 0: another process removed it first
      spdlog::warn("{}: removed {}, left by process {}, which no longer runs, unchanged for an hour or more", target,
                   path.string(), pid);
    }
  }
}

// write_folder_atomically moves an old folder aside as "<path>.replaced-<pid>" while the new
// one is renamed in, then deletes it; a crash in between leaves it. With <path> in place the
// new folder landed and the old one is deleted; without, the new one never landed and the
// old one, still the output, is renamed back (the most recent, if there are several).
void settle_replaced_folders(const std::string& path) {
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  std::vector<LeftOver> stale =
      left_overs(absolute.parent_path(), absolute.filename().string() + "." + kReplacedRole + "-");
  std::error_code error;
  if (!stale.empty() && !std::filesystem::exists(absolute, error) && !error) {
    const auto newest = std::max_element(stale.begin(), stale.end(), [](const LeftOver& a, const LeftOver& b) {
      std::error_code ignored;
      return std::filesystem::last_write_time(a.path, ignored) < std::filesystem::last_write_time(b.path, ignored);
    });
    rename_or_throw(newest->path.string(), path);
    spdlog::warn("{}: restored from {}, which process {} moved aside and did not replace before it stopped", path,
                 newest->path.string(), newest->pid);
    stale.erase(newest);
  }
  remove_left_overs(stale, path);
}

}  // namespace

std::string prepare_partial_output(const std::string& target) {
  SPINDLE_CHECK(!target.empty(), "output", "an empty path", "a file name");
  const std::filesystem::path absolute = std::filesystem::absolute(target);
  require_writable_folder(absolute.parent_path(), target);
  remove_left_overs(left_overs(absolute.parent_path(), absolute.filename().string() + ".partial-"), target);
  return temporary_name(target, "partial");
}

void rename_durably(const std::string& temporary, const std::string& target) {
  flush_tree_to_disk(temporary, target);
  rename_or_throw(temporary, target);
  flush_to_disk(std::filesystem::absolute(target).parent_path(), target);
}

void refuse_output_over_inputs(const std::string& option, const std::string& output,
                               const std::vector<std::pair<std::string, std::string>>& inputs) {
  SPINDLE_CHECK(!output.empty(), option, "an empty path", "a file name");
  for (const auto& [input_option, input] : inputs) {
    std::error_code absent;  // an output that does not exist yet is no input
    SPINDLE_CHECK(input.empty() || !std::filesystem::equivalent(output, input, absent), option + " " + output,
                  "is the input " + input_option + " " + input,
                  "an output path other than the inputs (the output would replace it)");
  }
}

std::string resolved_path(const std::string& path) {
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
  if (!error) return canonical.string();
  return std::filesystem::absolute(path, error).lexically_normal().string();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  const bool both_exist = std::filesystem::exists(a, error) && std::filesystem::exists(b, error);
  if (both_exist) return std::filesystem::equivalent(a, b, error) && !error;
  return resolved_path(a) == resolved_path(b);
}

void refuse_shared_outputs(const std::vector<std::pair<std::string, std::string>>& outputs) {
  // Links resolved where the path exists so far; a path that cannot be resolved (a parent that
  // is a file) is compared as written and fails later, when it is made.
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const auto& [option, path] = outputs[i];
      const auto& [other_option, other_path] = outputs[j];
      if (path.empty() || other_path.empty()) continue;
      SPINDLE_CHECK(resolved_path(path) != resolved_path(other_path), option + " " + path, "is also " + other_option,
                    "a path of its own for each output");
    }
  }
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = prepare_partial_output(path);
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    SPINDLE_CHECK(out.is_open(), temporary, std::string("cannot create: ") + std::strerror(errno), "a writable folder");
    write(out);
    out.close();
    SPINDLE_CHECK(!out.fail(), temporary, std::string("write failed: ") + std::strerror(errno), "space on the disk");
    rename_durably(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

void write_folder_atomically(const std::string& path, const std::function<void(const std::string&)>& fill) {
  const std::string temporary = prepare_partial_output(path), replaced = temporary_name(path, kReplacedRole);
  settle_replaced_folders(path);
  std::error_code error;
  std::filesystem::remove_all(temporary, error);  // left by an earlier process of the same id
  std::filesystem::create_directory(temporary, error);
  SPINDLE_CHECK(!error, temporary, "cannot create the folder: " + error.message(), "a writable parent folder");
  try {
    fill(temporary);
    const bool existed = std::filesystem::exists(path);
    if (existed) {
      rename_or_throw(path, replaced);
      // A rename keeps the folder's time: dated now, a live move-aside does not look an hour old
      // to settle_replaced_folders in another process (another host, another pid namespace).
      std::filesystem::last_write_time(replaced, std::filesystem::file_time_type::clock::now(), error);
    }
    try {
      rename_durably(temporary, path);
    } catch (...) {
      // The old folder back, unless the new one is in place and only flushing its name failed.
      if (existed && !std::filesystem::exists(path)) std::filesystem::rename(replaced, path, error);
      throw;
    }
    if (existed) std::filesystem::remove_all(replaced, error);
    if (error) spdlog::warn("{}: written, but the replaced folder {} was not deleted: {}", path, replaced, error.message());
  } catch (...) {
    std::filesystem::remove_all(temporary, error);
    throw;
  }
}

void settle_replaced_folders_in(const std::string& folder) {
  std::set<std::string> outputs;  // listed first: settling renames and deletes entries
  for (const ReplacedFolder& replaced : replaced_folders_in(folder)) outputs.insert(replaced.output);
  for (const std::string& output : outputs) settle_replaced_folders(output);
}

std::vector<ReplacedFolder> replaced_folders_in(const std::string& folder) {
  const std::string marker = std::string(".") + kReplacedRole + "-";
  std::vector<ReplacedFolder> found;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(marker);
    if (at != std::string::npos && at > 0) {
      found.push_back({it->path().string(), (std::filesystem::path(folder) / name.substr(0, at)).string()});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const ReplacedFolder& a, const ReplacedFolder& b) { return a.path < b.path; });
  return found;
}

}  // namespace spindle
