// The parsers of single values a user types on the command line or in a config: the first
// byte picks one, the rest is its text. Each names `where` in its errors; timestamps
// return no value instead of throwing.
#include "io/csv_series.h"
#include "io/genomic_regions.h"
#include "io/strict_json.h"
#include "io/timestamp.h"
#include "pipelines/train/train_config.h"
#include "platform/device.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  if (size == 0) return 0;
  const std::string text(fuzz::as_text(data + 1, size - 1));
  const std::string where = "fz7where";
  switch (data[0] % 6) {
    case 0:
      fuzz::expect_clean_refusal([&] { parse_region(text, where); }, where);
      break;
    case 1:
      fuzz::expect_clean_refusal([&] { parse_interval(text, where); }, where);
      break;
    case 2:
      fuzz::expect_clean_refusal([&] { parse_strict_json(text, where); }, where);
      break;
    case 3:
      fuzz::expect_clean_refusal([&] { Device::parse(text, where); }, where);
      break;
    case 4:
      fuzz::expect_clean_refusal([&] { parse_missing_policy(text, where); }, where);
      break;
    default:
      fuzz::expect_clean_refusal([&] { parse_timestamp_ns(text); }, "(none: it must not throw)");
      break;
  }
  return 0;
}
