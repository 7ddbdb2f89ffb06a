// Shared by the fuzz targets (libFuzzer): the input as a file, and the rule every reader
// of user files must keep on any bytes at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace spindle::fuzz {

// Writes `bytes` to `name` in this process's scratch folder (removed on exit) and returns
// the file's path.
std::string write_scratch_file(const std::string& name, std::string_view bytes);

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `read`. Returning, or throwing a spindle::Error whose message contains `subject`
// (the file it read), is a clean result. Any other exception, or an Error that does not
// say which file was wrong, aborts: libFuzzer then keeps the input as a finding, and so do
// the sanitizers' reports of memory or undefined-behaviour faults.
void expect_clean_refusal(const std::function<void()>& read, const std::string& subject);

// Clean refusals so far in this process, and the last one's message: replaying the seeds,
// which are valid inputs, checks that none was refused (replay_main.cpp).
int64_t refusals_so_far();
const std::string& last_refusal();

}  // namespace spindle::fuzz
