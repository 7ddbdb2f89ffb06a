#include "kernels/error.h"

#include <string_view>

namespace spindle {
namespace {

// Source paths are printed relative to the repository ("kernels/error.cpp").
std::string project_relative(std::string_view path) {
  for (std::string_view top : {"kernels/", "platform/", "io/", "pipelines/", "services/", "tests/"}) {
    for (size_t pos = path.find(top); pos != std::string_view::npos; pos = path.find(top, pos + 1)) {
      if (pos == 0 || path[pos - 1] == '/') return std::string(path.substr(pos));
    }
  }
  return std::string(path);
}

std::string compose(const std::string& where, const std::string& problem, const std::string& expected) {
  std::string text = where.empty() ? problem : where + ": " + problem;
  if (!expected.empty()) text += " (expected " + expected + ")";
  return text;
}

}  // namespace

Error::Error(std::string where, std::string what_happened, std::string expected,
             std::source_location raised_at)
    : std::runtime_error(compose(where, what_happened, expected)),
      where_(std::move(where)),
      problem_(std::move(what_happened)),
      expected_(std::move(expected)),
      raised_at_(project_relative(raised_at.file_name()) + ":" + std::to_string(raised_at.line())) {}

}  // namespace spindle
