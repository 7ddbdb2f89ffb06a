#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/error.h"
#include "platform/logging.h"

namespace spindle {
namespace {

TEST(Logging, JsonLinesAreValidJsonWithEscapedMessages) {
  ::testing::internal::CaptureStderr();
  configure_logging(spdlog::level::debug, LogFormat::json);
  spdlog::info("read {} records from \"{}\"", 3, "a\tb.vcf");
  spdlog::trace("not shown at debug level");
  spdlog::warn("second line");
  spdlog::default_logger()->flush();
  const std::string output = ::testing::internal::GetCapturedStderr();
  configure_logging(spdlog::level::warn, LogFormat::text);

  std::istringstream lines(output);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 2u) << output;
  EXPECT_EQ(records[0]["level"], "info");
  EXPECT_EQ(records[0]["message"], "read 3 records from \"a\tb.vcf\"");
  EXPECT_TRUE(records[0]["time"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(records[1]["level"], "warn");
}

TEST(Logging, JsonLinesKeepMessagesThatAreNotUtf8) {
  ::testing::internal::CaptureStderr();
  configure_logging(spdlog::level::info, LogFormat::json);
  spdlog::info("skipping record '{}'", std::string("chr\xff\xfe" "1"));  // e.g. a Latin-1 name from a FASTA file
  spdlog::default_logger()->flush();
  const std::string output = ::testing::internal::GetCapturedStderr();
  configure_logging(spdlog::level::warn, LogFormat::text);

  std::istringstream lines(output);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line)) << output;
  const nlohmann::json record = nlohmann::json::parse(line);
  EXPECT_EQ(record["level"], "info");
  EXPECT_EQ(record["message"], "skipping record 'chr\uFFFD\uFFFD1'");  // each bad byte replaced
}

TEST(Logging, LevelsParseAndUnknownOnesAreRefused) {
  EXPECT_EQ(parse_log_level("debug", "--log-level"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("off", "--log-level"), spdlog::level::off);
  EXPECT_THROW(parse_log_level("verbose", "--log-level"), Error);
}

}  // namespace
}  // namespace spindle
