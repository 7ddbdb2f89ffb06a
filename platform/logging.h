// spindle logs through spdlog's default logger (spdlog::info, spdlog::warn, ...) to
// stderr, as text for people or as JSON lines for machines. Progress and metrics of long
// jobs go elsewhere (their own JSON-lines files); this is for events and diagnostics.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace spindle {

enum class LogFormat { text, json };

// "trace", "debug", "info", "warn", "error", "critical" or "off"; throws spindle::Error
// naming `where` otherwise.
spdlog::level::level_enum parse_log_level(std::string_view name, const std::string& where);

// Installs the stderr logger with `level` and `format`. JSON lines carry the fields
// time (UTC, ISO 8601), level and message.
void configure_logging(spdlog::level::level_enum level, LogFormat format);

}  // namespace spindle
