#include "platform/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace spindle {
namespace {

constexpr std::array<std::string_view, 7> kLevelNames{"trace", "debug", "info", "warn", "error", "critical", "off"};

std::string utc_iso8601(spdlog::log_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros));
  return text;
}

// One JSON object per line; nlohmann::json escapes the message. Bytes that are not UTF-8
// (names read from files) become U+FFFD: dump() would otherwise throw and lose the line.
class JsonLinesFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const nlohmann::json line{
        {"time", utc_iso8601(msg.time)},
        {"level", kLevelNames.at(static_cast<size_t>(msg.level))},
        {"message", std::string_view(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLinesFormatter>(); }
};

}  // namespace

spdlog::level::level_enum parse_log_level(std::string_view name, const std::string& where) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<spdlog::level::level_enum>(i);
  }
  throw Error(where, "unknown log level '" + std::string(name) + "'",
              "one of trace, debug, info, warn, error, critical, off");
}

void configure_logging(spdlog::level::level_enum level, LogFormat format) {
  auto logger = std::make_shared<spdlog::logger>("spindle", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::json) {
    logger->set_formatter(std::make_unique<JsonLinesFormatter>());
  } else {
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace spindle
