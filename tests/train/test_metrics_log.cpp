// metrics.jsonl: never overwrites another run; resuming drops the lines past the checkpoint
// and a line cut short by a crash, and reads the loss history back.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "pipelines/train/metrics_log.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(MetricsLog, ResumeKeepsTheLinesUpToTheCheckpointStep) {
  test::TemporaryFolder folder;
  const std::string path = folder.file("metrics.jsonl");
  {
    MetricsLog log = MetricsLog::create(path);
    for (int64_t step = 1; step <= 4; ++step) log.append({{"kind", "train"}, {"step", step}, {"loss", 2.0 / step}});
    log.append({{"kind", "validation"}, {"step", 2}, {"loss", 1.5}, {"accuracy", 0.3}});
  }
  EXPECT_THROW(MetricsLog::create(path), Error) << "another run's metrics";
  std::ofstream(path, std::ios::app) << "{\"kind\": \"train\", \"st";  // killed mid-line
  MetricsLog resumed = MetricsLog::resume(path, 2);
  ASSERT_EQ(resumed.training().size(), 2u);
  EXPECT_EQ(resumed.training()[1].step, 2);
  EXPECT_DOUBLE_EQ(resumed.training()[1].loss, 1.0);
  ASSERT_EQ(resumed.validation().size(), 1u);
  EXPECT_DOUBLE_EQ(resumed.validation()[0].loss, 1.5);
  resumed.append({{"kind", "train"}, {"step", 3}, {"loss", 0.5}});
  EXPECT_EQ(contents(path),
            "{\"kind\":\"train\",\"loss\":2.0,\"step\":1}\n"
            "{\"kind\":\"train\",\"loss\":1.0,\"step\":2}\n"
            "{\"accuracy\":0.3,\"kind\":\"validation\",\"loss\":1.5,\"step\":2}\n"
            "{\"kind\":\"train\",\"loss\":0.5,\"step\":3}\n");
}

// A run that failed before its first step (diverged, killed) left an empty file, which
// blocked a plain rerun with "metrics of a run are already here".
TEST(MetricsLog, AnEmptyFileFromARunStoppedBeforeItsFirstStepIsReplaced) {
  test::TemporaryFolder folder;
  const std::string path = folder.write("metrics.jsonl", "");
  MetricsLog::create(path).append({{"kind", "train"}, {"step", 1}, {"loss", 2.0}});
  EXPECT_EQ(contents(path), "{\"kind\":\"train\",\"loss\":2.0,\"step\":1}\n");
  EXPECT_THROW(MetricsLog::create(path), Error);
}

TEST(MetricsLog, AForeignLineIsAnErrorNamingItsLine) {
  test::TemporaryFolder folder;
  const std::string path = folder.write("metrics.jsonl", "{\"kind\":\"train\",\"step\":1,\"loss\":1}\n[1, 2]\n");
  try {
    MetricsLog::resume(path, 5);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), path + ":2");
  }
}

}  // namespace
}  // namespace spindle
