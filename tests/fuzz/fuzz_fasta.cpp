// FastaReader on any bytes (plain, or gzip / bgzip when the bytes start with their magic):
// every record and every line of bases.
#include "io/fasta_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spindle;
  const std::string path = fuzz::write_scratch_file("fz7.fa", fuzz::as_text(data, size));
  fuzz::expect_clean_refusal(
      [&] {
        FastaReader reader(path);
        FastaRecordHeader header;
        std::string_view bases;
        while (reader.next_record(header)) {
          while (reader.next_bases(bases)) {
          }
        }
      },
      "fz7.fa");
  return 0;
}
