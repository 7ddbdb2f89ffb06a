// A fuzz target without libFuzzer: runs it once on every file in the folders given. The
// tests replay write_seeds.sh's seeds this way, so every target builds and runs in CI.
// Seeds are valid inputs, so a refusal is a failure too (the seed or its reader broke).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  int64_t replayed = 0;
  for (int a = 1; a < argc; ++a) {
    std::set<std::filesystem::path> seeds;  // sorted, for a stable order
    for (const auto& entry : std::filesystem::directory_iterator(argv[a])) seeds.insert(entry.path());
    for (const std::filesystem::path& seed : seeds) {
      std::ifstream in(seed, std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      const int64_t refused_before = spindle::fuzz::refusals_so_far();
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      if (spindle::fuzz::refusals_so_far() != refused_before) {
        std::fprintf(stderr, "seed %s was refused: %s\n", seed.c_str(), spindle::fuzz::last_refusal().c_str());
        return 1;
      }
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "no seeds in the folders given\n");
    return 1;
  }
  std::printf("%lld seeds read without refusal\n", static_cast<long long>(replayed));
  return 0;
}
