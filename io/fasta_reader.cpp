#include "io/fasta_reader.h"

#include <htslib/hfile.h>

#include <array>
#include <cstdio>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"

namespace spindle {

FastaReader::FastaReader(const std::string& path) : path_(path) {
  file_ = bgzf_open(path.c_str(), "r");
  if (!file_) throw Error(path, "cannot open", "a readable FASTA file (plain, gzip or bgzip)");
  // A bgzip file cut at a block boundary reads as complete; only its end marker tells.
  if (bgzf_compression(file_) == 2 && bgzf_check_EOF(file_) == 0) {
    throw Error(path, "truncated bgzip file: the end-of-file marker block is missing", "a complete bgzip file (bgzip -c)");
  }
}

FastaReader::~FastaReader() {
  if (file_) bgzf_close(file_);
  free(line_.s);
}

std::string FastaReader::location(size_t column) const {
  return path_ + ":" + std::to_string(line_number_) + (column ? ":" + std::to_string(column) : "");
}

std::string FastaReader::compression() const {
  switch (bgzf_compression(file_)) {
    case 2: return "bgzip";
    case 1: return "gzip";
    default: return "plain";
  }
}

int64_t FastaReader::bytes_read() const { return htell(file_->fp); }

bool FastaReader::read_line() {
  while (true) {
    const int status = bgzf_getline(file_, '\n', &line_);
    if (status == -1 && file_->errcode == 0) {
      at_end_ = true;
      return false;
    }
    if (status < 0) {
      throw Error(path_ + ": after line " + std::to_string(line_number_),
                  "corrupt or truncated " + compression() + " data (byte " + std::to_string(bytes_read()) + " of the file)",
                  "a complete " + compression() + " stream");
    }
    ++line_number_;
    if (line_.l > 0 && line_.s[line_.l - 1] == '\r') line_.s[--line_.l] = '\0';
    if (line_.l > 0) return true;
  }
}

bool FastaReader::next_record(FastaRecordHeader& header) {
  std::string_view skipped;
  while (next_bases(skipped)) {
  }
  if (!line_pending_) {
    if (at_end_ || !read_line()) return false;
    if (line_.s[0] != '>') throw Error(location(1), "sequence data before the first header", "a '>' header line");
  }
  line_pending_ = false;
  const std::string_view text(line_.s + 1, line_.l - 1);
  const size_t name_end = text.find_first_of(" \t");
  header.name = std::string(text.substr(0, name_end));
  header.description = std::string(text);
  header.line = line_number_;
  if (header.name.empty()) throw Error(location(2), "header without a name", "'>NAME [description]'");
  return true;
}

bool FastaReader::next_bases(std::string_view& bases) {
  if (line_pending_ || at_end_) return false;
  if (line_number_ == 0) return false;  // no record started yet
  if (!read_line()) return false;
  if (line_.s[0] == '>') {
    line_pending_ = true;
    return false;
  }
  const std::array<uint8_t, 256>& table = dna::token_table();
  for (size_t i = 0; i < line_.l; ++i) {
    const unsigned char byte = static_cast<unsigned char>(line_.s[i]);
    if (table[byte] == dna::kNotABase) {
      char shown[16];
      std::snprintf(shown, sizeof shown, byte >= 0x20 && byte < 0x7f ? "'%c'" : "byte 0x%02X", byte);
      throw Error(location(i + 1), "unknown character " + std::string(shown) + " in sequence",
                  "a base A C G T N, an IUPAC code (R Y K M S W B D H V) or their lowercase");
    }
  }
  bases = std::string_view(line_.s, line_.l);
  return true;
}

}  // namespace spindle
