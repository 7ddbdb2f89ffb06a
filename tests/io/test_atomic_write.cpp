// Outputs that appear only when complete (io/atomic_write.h): a finished output replaces
// its target whole, a failed one leaves the target as it was and no temporary behind.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

// A folder `name` with a file "weights" holding `content`, last changed `when`: what a crash long ago leaves.
void leave_folder(const TemporaryFolder& folder, const std::string& name, const std::string& content,
                  fs::file_time_type when) {
  fs::create_directories(folder.file(name));
  folder.write(name + "/weights", content);
  fs::last_write_time(folder.file(name), when);
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

// Temporaries left by a crash or a kill go when the next write of the same target starts, once
// unchanged for an hour; those of a process that runs (the test's parent), recent ones of a
// process that does not run here (a writer on another host, or in another pid namespace) and
// other names stay. 99999999 is no process: Linux's pid_max is at most 2^22; 99999998 neither.
TEST(AtomicWrite, AWriteRemovesTheTemporariesOfProcessesThatNoLongerRun) {
  TemporaryFolder folder;
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  const std::string live = "out.txt.partial-" + std::to_string(getppid());
  folder.write(live, "being written");
  fs::last_write_time(folder.file(live), two_hours_ago);
  folder.write("out.txt.partial-99999999", "killed");
  folder.write("out.txt.partial-99999998", "being written elsewhere");
  folder.write("out.txt.partial-99999999x", "not a temporary of ours");
  folder.write("other.txt.partial-99999999", "another target's");
  fs::create_directories(folder.file("model.partial-99999999/sub"));
  folder.write("model.partial-99999999/sub/weights", "killed");
  for (const char* old : {"out.txt.partial-99999999", "out.txt.partial-99999999x", "other.txt.partial-99999999",
                          "model.partial-99999999"}) {
    fs::last_write_time(folder.file(old), two_hours_ago);
  }
  ::testing::internal::CaptureStderr();
  write_file_atomically(folder.file("out.txt"), [](std::ostream& out) { out << "new"; });
  write_folder_atomically(folder.file("model"), [](const std::string&) {});
  spdlog::default_logger()->flush();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(listing(folder.file("")), "model other.txt.partial-99999999 out.txt " + live +
                                          " out.txt.partial-99999998 out.txt.partial-99999999x ");
  EXPECT_EQ(content_of(folder.file(live)), "being written");
  EXPECT_NE(log.find(folder.file("out.txt.partial-99999999") + ", left by process 99999999"), std::string::npos) << log;
  EXPECT_NE(log.find(folder.file("model.partial-99999999") + ", left by process 99999999"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
}

TEST(AtomicWrite, AnOldFolderLeftMovedAsideIsDeletedOrRestored) {
  TemporaryFolder folder;
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  auto leave = [&](const std::string& name, const std::string& content) {
    leave_folder(folder, name, content, two_hours_ago);
  };
  auto fill = [](const std::string& content) {
    return [content](const std::string& temporary) { std::ofstream(temporary + "/weights") << content; };
  };
  // The new folder landed before the crash: the old one moved aside is deleted; a recent one
  // (a writer elsewhere may still be at it) stays.
  fs::create_directories(folder.file("a"));
  leave("a.replaced-99999999", "old");
  fs::create_directories(folder.file("a.replaced-99999998"));
  ::testing::internal::CaptureStderr();
  write_folder_atomically(folder.file("a"), fill("new"));
  // It never landed: the old folder is the output again, even when this write fails.
  leave("b.replaced-99999999", "older");
  leave("b.replaced-99999997", "old");
  fs::last_write_time(folder.file("b.replaced-99999999"), two_hours_ago - std::chrono::hours(1));
  EXPECT_THROW(write_folder_atomically(folder.file("b"), [](const std::string&) { throw std::runtime_error("x"); }),
               std::runtime_error);
  spdlog::default_logger()->flush();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(listing(folder.file("")), "a a.replaced-99999998 b ");
  EXPECT_EQ(content_of(folder.file("a/weights")), "new");
  EXPECT_EQ(content_of(folder.file("b/weights")), "old");
  EXPECT_NE(log.find(folder.file("a.replaced-99999999") + ", left by process 99999999"), std::string::npos) << log;
  EXPECT_NE(log.find(folder.file("b") + ": restored from " + folder.file("b.replaced-99999997")), std::string::npos)
      << log;
  EXPECT_NE(log.find(folder.file("b.replaced-99999999") + ", left by process 99999999"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3) << log;
}

// A reader that lists a folder's outputs (a resume looking for the newest checkpoint) settles
// every old folder a crash left moved aside there first, under the same rule, without writing
// any of the outputs again.
TEST(AtomicWrite, SettlingAFolderSettlesEveryOutputLeftMovedAsideInIt) {
  TemporaryFolder folder;
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  auto leave = [&](const std::string& name, const std::string& content) {
    leave_folder(folder, name, content, two_hours_ago);
  };
  fs::create_directories(folder.file("step-1"));
  folder.write("step-1/weights", "new");
  // Step 1's replacement landed: its old folder is deleted. Step 2's never landed: renamed back.
  // Step 3's is recent (a writer elsewhere may be at it): it stays. A temporary is left to the
  // next write of its target.
  leave("step-1.replaced-99999999", "old");
  leave("step-2.replaced-99999999", "only");
  fs::create_directories(folder.file("step-3.replaced-99999998"));
  leave("step-4.partial-99999999", "half");
  ::testing::internal::CaptureStderr();
  settle_replaced_folders_in(folder.file(""));
  settle_replaced_folders_in(folder.file("absent"));
  spdlog::default_logger()->flush();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(listing(folder.file("")), "step-1 step-2 step-3.replaced-99999998 step-4.partial-99999999 ");
  // What is left moved aside, for an error to name (a resume that finds no checkpoint).
  const std::vector<ReplacedFolder> left = replaced_folders_in(folder.file(""));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(fs::path(left[0].path), fs::path(folder.file("step-3.replaced-99999998")));
  EXPECT_EQ(fs::path(left[0].output), fs::path(folder.file("step-3")));
  EXPECT_TRUE(replaced_folders_in(folder.file("absent")).empty());
  EXPECT_EQ(content_of(folder.file("step-1/weights")), "new");
  EXPECT_EQ(content_of(folder.file("step-2/weights")), "only");
  EXPECT_NE(log.find(folder.file("step-1.replaced-99999999") + ", left by process 99999999"), std::string::npos) << log;
  EXPECT_NE(log.find(folder.file("step-2") + ": restored from " + folder.file("step-2.replaced-99999999")),
            std::string::npos)
      << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
}

TEST(AtomicWrite, AnOutputWhoseFolderCannotBeUsedNamesTheFolderAndWhy) {
  TemporaryFolder folder;
  const std::string file = folder.write("file", "");
  for (const auto& [target, reason] : {std::pair{folder.file("none/out.txt"), "No such file or directory"},
                                       std::pair{file + "/out.txt", "Not a directory"}}) {
    const std::string expected = target + ": cannot create it in " + fs::path(target).parent_path().string() + ": " +
                                 reason + " (expected an existing folder that can be written)";
    EXPECT_EQ(message_of([&] { write_file_atomically(target, [](std::ostream& out) { out << "x"; }); }), expected);
    EXPECT_EQ(message_of([&] { write_folder_atomically(target, [](const std::string&) {}); }), expected);
  }
  EXPECT_EQ(listing(folder.file("")), "file ");
}

// Resumed training compares its store with the checkpoint's this way (training_checkpoint.cpp).
TEST(SameFile, AnyPathToOneFileIsTheSameFileAndAnotherFileIsNot) {
  TemporaryFolder folder;
  const std::string store = folder.write("store.h5", "x");
  const std::string copy = folder.write("copy.h5", "x");
  fs::create_directory(folder.file("sub"));
  fs::create_symlink(store, folder.file("link.h5"));
  fs::create_hard_link(store, folder.file("hard.h5"));
  const std::string relative = fs::relative(store, fs::current_path()).string();
  for (const std::string& other : {relative, folder.file("sub/../store.h5"), folder.file("./store.h5"),
                                   folder.file("link.h5"), folder.file("hard.h5")}) {
    EXPECT_TRUE(same_file(store, other)) << other;
    EXPECT_TRUE(same_file(other, store)) << other;
  }
  EXPECT_FALSE(same_file(store, copy));
  EXPECT_FALSE(same_file(store, folder.file("gone.h5")));
  // Paths of files that do not exist are compared resolved, through the links that do.
  EXPECT_TRUE(same_file(folder.file("gone.h5"), folder.file("sub/../gone.h5")));
  fs::create_directory_symlink(folder.file("sub"), folder.file("sub-link"));
  EXPECT_TRUE(same_file(folder.file("sub/gone.h5"), folder.file("sub-link/gone.h5")));
  EXPECT_FALSE(same_file(folder.file("sub/gone.h5"), folder.file("gone.h5")));
  EXPECT_EQ(resolved_path(folder.file("sub-link/./gone.h5")),
            fs::weakly_canonical(folder.file("sub/gone.h5")).string());
}

}  // namespace
}  // namespace spindle
