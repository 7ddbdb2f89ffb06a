// Outputs that appear only when complete (io/atomic_write.h): a finished output replaces
// its target whole, a failed one leaves the target as it was and no temporary behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/atomic_write.h"
#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

namespace fs = std::filesystem;
using test::message_of;
using test::TemporaryFolder;

std::string content_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names in `folder`, sorted.
std::string listing(const std::string& folder) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  std::string text;
  for (const std::string& name : names) text += name + " ";
  return text;
}

TEST(AtomicWrite, AFileReplacesItsTargetOnlyWhenWritten) {
  TemporaryFolder folder;
  const std::string path = folder.write("out.txt", "old");
  write_file_atomically(path, [](std::ostream& out) { out << "new"; });
  EXPECT_EQ(content_of(path), "new");
  EXPECT_THROW(write_file_atomically(path,
                                     [](std::ostream& out) {
                                       out << "half";
                                       throw std::runtime_error("stopped");
                                     }),
               std::runtime_error);
  EXPECT_EQ(content_of(path), "new");
  EXPECT_EQ(listing(folder.file("")), "out.txt ");
}

TEST(AtomicWrite, AFolderReplacesItsTargetWithEverythingInIt) {
  TemporaryFolder folder;
  const std::string path = folder.file("model");
  const auto fill = [](const std::string& text) {
    return [text](const std::string& temporary) {
      fs::create_directory(fs::path(temporary) / "sub");
      std::ofstream(fs::path(temporary) / "sub" / "weights") << text;
      std::ofstream(fs::path(temporary) / "config") << text;
    };
  };
  write_folder_atomically(path, fill("first"));
  write_folder_atomically(path, fill("second"));
  EXPECT_EQ(content_of(path + "/sub/weights"), "second");
  EXPECT_EQ(listing(path), "config sub ");
  EXPECT_THROW(write_folder_atomically(path,
                                       [](const std::string& temporary) {
                                         std::ofstream(fs::path(temporary) / "config") << "half";
                                         throw std::runtime_error("stopped");
                                       }),
               std::runtime_error);
  EXPECT_EQ(content_of(path + "/config"), "second");
  EXPECT_EQ(listing(folder.file("")), "model ");
}

TEST(AtomicWrite, ARenameThatCannotHappenNamesTheTarget) {
  TemporaryFolder folder;
  const std::string finished = folder.write("finished", "bytes"), target = folder.file("no-folder/out");
  EXPECT_NE(message_of([&] { rename_durably(finished, target); }).find(target + ": cannot rename " + finished),
            std::string::npos);
  EXPECT_EQ(content_of(finished), "bytes");
}

}  // namespace
}  // namespace spindle
