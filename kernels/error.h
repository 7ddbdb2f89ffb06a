// spindle's one exception type, and the checks that raise it.
//
// Every layer reports failures with spindle::Error. It carries where the problem is (an
// operation such as "cudaMallocAsync", or an input location such as "train.yaml:12"), what
// happened, what was expected, and the source line that raised it. It lives in the lowest
// layer (kernels/) so that every layer above can use it.
#pragma once

#include <source_location>
#include <stdexcept>
#include <string>

namespace spindle {

class Error : public std::runtime_error {
 public:
  // where: operation or input location ("" if none); what_happened: the problem;
  // expected: what was expected instead ("" if nothing useful can be said).
  Error(std::string where, std::string what_happened, std::string expected = {},
        std::source_location raised_at = std::source_location::current());

  const std::string& where() const noexcept { return where_; }
  const std::string& problem() const noexcept { return problem_; }
  const std::string& expected() const noexcept { return expected_; }
  // "kernels/cuda/random.cu:42"
  const std::string& raised_at() const noexcept { return raised_at_; }

 private:
  std::string where_, problem_, expected_, raised_at_;
};

}  // namespace spindle

// Throws spindle::Error(where, message, expected) unless cond holds.
#define SPINDLE_CHECK(cond, where, message, ...)                     \
  do {                                                               \
    if (!(cond)) throw ::spindle::Error((where), (message) __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
