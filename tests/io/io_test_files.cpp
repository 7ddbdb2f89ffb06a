#include "tests/io/io_test_files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "kernels/error.h"

namespace spindle::test {

std::string shared_data(const std::string& relative) {
  const char* source = std::getenv("SPINDLE_SOURCE_DIR");
  if (!source) throw std::runtime_error("SPINDLE_SOURCE_DIR is not set (run the tests through ctest)");
  return (std::filesystem::path(source) / ".." / "shared" / "data" / relative).lexically_normal().string();
}

std::string missing_shared_data(std::initializer_list<std::string> relatives) {
  for (const std::string& relative : relatives) {
    const std::string path = shared_data(relative);
    if (!std::filesystem::exists(path)) return path;
  }
  return "";
}

std::string random_bases(size_t count, uint32_t seed) {
  static constexpr char kLetters[] = "ACGTNacgtnRYKM";
  std::mt19937 generator(seed);
  std::string bases(count, 'A');
  for (char& base : bases) base = kLetters[generator() % (sizeof kLetters - 1)];
  return bases;
}

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TemporaryFolder::TemporaryFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "spindle-io-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TemporaryFolder::write(const std::string& name, const std::string& content) const {
  std::ofstream(file(name), std::ios::binary) << content;
  return file(name);
}

}  // namespace spindle::test
