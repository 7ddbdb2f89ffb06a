#include "tests/fuzz/fuzz_input.h"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle::fuzz {

namespace {

int64_t refusals = 0;
std::string last_refusal_message;

[[noreturn]] void finding(const std::string& kind, const std::string& message) {
  std::fprintf(stderr, "fuzz finding: %s: %s\n", kind.c_str(), message.c_str());
  std::abort();
}

}  // namespace

std::string write_scratch_file(const std::string& name, std::string_view bytes) {
  static const test::TemporaryFolder scratch;  // made on first use, removed on exit
  return scratch.write(name, std::string(bytes));
}

void expect_clean_refusal(const std::function<void()>& read, const std::string& subject) {
  try {
    read();
  } catch (const Error& error) {
    const std::string message = error.what();
    if (message.find(subject) == std::string::npos) {
      finding("error without its file", "'" + message + "' does not name '" + subject + "'");
    }
    ++refusals;
    last_refusal_message = message;
  } catch (const std::exception& other) {
    finding("exception other than spindle::Error", other.what());
  } catch (...) {
    finding("non-standard exception", "thrown from a reader");
  }
}

int64_t refusals_so_far() { return refusals; }
const std::string& last_refusal() { return last_refusal_message; }

}  // namespace spindle::fuzz
