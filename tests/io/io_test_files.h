// Files for io tests: the shared real data and a fresh temporary folder per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>

namespace spindle::test {

// ../shared/data beside the source tree (SPINDLE_SOURCE_DIR is set by CTest).
std::string shared_data(const std::string& relative);

// The shared_data() path of the first of `relatives` that does not exist, or "" when all do.
std::string missing_shared_data(std::initializer_list<std::string> relatives);

// Skips the calling test ("[  SKIPPED ]", skipped in CTest) with "shared data missing: PATH"
// when a file of the shared real data is absent, as in a checkout without ../shared:
//   SPINDLE_SKIP_WITHOUT_SHARED_DATA("ecg/100.atr");
#define SPINDLE_SKIP_WITHOUT_SHARED_DATA(...)                                                        \
  if (const std::string spindle_missing_data_ = ::spindle::test::missing_shared_data({__VA_ARGS__}); \
      spindle_missing_data_.empty()) {                                                               \
  } else                                                                                             \
    GTEST_SKIP() << "shared data missing: " << spindle_missing_data_

// `count` random letters of "ACGTNacgtnRYKM" (bases, soft-masked bases, IUPAC codes).
std::string random_bases(size_t count, uint32_t seed);

// What the spindle::Error that `run` throws says, or "(no error)".
std::string message_of(const std::function<void()>& run);

// A new empty folder under the system temporary folder, removed with this object.
class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  // The path of `name` in the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `content` (bytes) to `name`; returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace spindle::test
