// Streams a FASTA file (plain, gzip or bgzip, read through htslib's BGZF layer) record by
// record and line by line, so that records and lines of any length pass through a small buffer.
// Every line is checked: text before the first header, a header without a name and a
// byte that is not a base (dna::token_table()) are errors naming file:line:column
// (1-based); corrupt or truncated compressed data is an error naming the line reached.
// Blank lines are skipped; spaces, tabs and '\r' (Windows line ends) that end a line of
// bases are dropped, as samtools drops them (inside a line they are errors like any other).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spindle {

struct FastaRecordHeader {
  std::string name;         // the header up to the first space or tab
  std::string description;  // the whole header line without '>'
  int64_t line = 0;         // 1-based line of the header
};

class FastaReader {
 public:
  explicit FastaReader(const std::string& path);
  ~FastaReader();
  FastaReader(const FastaReader&) = delete;
  FastaReader& operator=(const FastaReader&) = delete;

  // Moves to the next record (skipping what is left of the current one); false at the end.
  bool next_record(FastaRecordHeader& header);
  // The next bases of the current record: a line, or a piece of a long line (lines are
  // not held whole); false at the record's end. `bases` stays valid until the next call.
  bool next_bases(std::string_view& bases);

  const std::string& path() const;
  // Compressed (on-disk) bytes consumed so far, for progress against the file size.
  int64_t bytes_read() const;
  // "bgzip", "gzip" or "plain".
  std::string compression() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
