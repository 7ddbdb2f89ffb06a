#include "io/fasta_reader.h"

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/kstring.h>

#include <array>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"

namespace spindle {

struct FastaReader::State {
  std::string path;
  BGZF* file = nullptr;
  kstring_t line = {0, 0, nullptr};
  int64_t line_number = 0;
  bool line_pending = false;  // line holds a header not yet returned by next_record
  bool at_end = false;

  ~State() {
    if (file) bgzf_close(file);
    free(line.s);
  }
  // Reads the next non-blank line into line; false at the end of the file.
  bool read_line();
  std::string location(size_t column) const;
  std::string compression() const;
  int64_t bytes_read() const { return htell(file->fp); }
};

FastaReader::FastaReader(const std::string& path) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.file = bgzf_open(path.c_str(), "r");
  if (!s.file) throw Error(path, "cannot open", "a readable FASTA file (plain, gzip or bgzip)");
  // A bgzip file cut at a block boundary reads as complete; only its end marker tells.
  if (bgzf_compression(s.file) == 2 && bgzf_check_EOF(s.file) == 0) {
    throw Error(path, "truncated bgzip file: the end-of-file marker block is missing", "a complete bgzip file (bgzip -c)");
  }
}

FastaReader::~FastaReader() = default;

const std::string& FastaReader::path() const { return state_->path; }

std::string FastaReader::compression() const { return state_->compression(); }

int64_t FastaReader::bytes_read() const { return state_->bytes_read(); }

std::string FastaReader::State::location(size_t column) const {
  std::string text = path + ":" + std::to_string(line_number);
  if (column) {
    text += ':';
    text += std::to_string(column);
  }
  return text;
}

std::string FastaReader::State::compression() const {
  switch (bgzf_compression(file)) {
    case 2: return "bgzip";
    case 1: return "gzip";
    default: return "plain";
  }
}

bool FastaReader::State::read_line() {
  while (true) {
    const int status = bgzf_getline(file, '\n', &line);
    if (status == -1 && file->errcode == 0) {
      at_end = true;
      return false;
    }
    if (status < 0) {
      throw Error(path + ": after line " + std::to_string(line_number),
                  "corrupt or truncated " + compression() + " data (byte " + std::to_string(bytes_read()) + " of the file)",
                  "a complete " + compression() + " stream");
    }
    ++line_number;
    if (line.l > 0 && line.s[line.l - 1] == '\r') line.s[--line.l] = '\0';
    if (line.l > 0) return true;
  }
}

bool FastaReader::next_record(FastaRecordHeader& header) {
  State& s = *state_;
  std::string_view skipped;
  while (next_bases(skipped)) {
  }
  if (!s.line_pending) {
    if (s.at_end || !s.read_line()) return false;
    if (s.line.s[0] != '>') throw Error(s.location(1), "sequence data before the first header", "a '>' header line");
  }
  s.line_pending = false;
  const std::string_view text(s.line.s + 1, s.line.l - 1);
  const size_t name_end = text.find_first_of(" \t");
  header.name = std::string(text.substr(0, name_end));
  header.description = std::string(text);
  header.line = s.line_number;
  if (header.name.empty()) throw Error(s.location(2), "header without a name", "'>NAME [description]'");
  return true;
}

bool FastaReader::next_bases(std::string_view& bases) {
  State& s = *state_;
  if (s.line_pending || s.at_end) return false;
  if (s.line_number == 0) return false;  // no record started yet
  if (!s.read_line()) return false;
  if (s.line.s[0] == '>') {
    s.line_pending = true;
    return false;
  }
  const std::array<uint8_t, 256>& table = dna::token_table();
  for (size_t i = 0; i < s.line.l; ++i) {
    const char byte = s.line.s[i];
    if (table[static_cast<unsigned char>(byte)] == dna::kNotABase) throw dna::not_a_base(byte, s.location(i + 1));
  }
  bases = std::string_view(s.line.s, s.line.l);
  return true;
}

}  // namespace spindle
