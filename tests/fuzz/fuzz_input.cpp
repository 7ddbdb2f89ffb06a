#include "tests/fuzz/fuzz_input.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>

#include "kernels/error.h"

namespace spindle::fuzz {

namespace {

// Made on first use, removed on exit.
struct ScratchFolder {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("spindle-fuzz-" + std::to_string(getpid()));
  ScratchFolder() { std::filesystem::create_directories(path); }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

const std::filesystem::path& scratch_folder() {
  static const ScratchFolder folder;
  return folder.path;
}

int64_t refusals = 0;
std::string last_refusal_message;

[[noreturn]] void finding(const std::string& kind, const std::string& message) {
  std::fprintf(stderr, "fuzz finding: %s: %s\n", kind.c_str(), message.c_str());
  std::abort();
}

}  // namespace

std::string write_scratch_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratch_folder() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) finding("scratch file", "could not write " + path.string());
  return path.string();
}

void expect_clean_refusal(const std::function<void()>& read, const std::string& subject) {
  try {
    read();
  } catch (const Error& error) {
    const std::string message = error.what();
    if (message.find(subject) == std::string::npos) {
      finding("error without its file", "'" + message + "' does not name '" + subject + "'");
    }
    ++refusals;
    last_refusal_message = message;
  } catch (const std::exception& other) {
    finding("exception other than spindle::Error", other.what());
  } catch (...) {
    finding("non-standard exception", "thrown from a reader");
  }
}

int64_t refusals_so_far() { return refusals; }
const std::string& last_refusal() { return last_refusal_message; }

}  // namespace spindle::fuzz
