#include "io/fasta_reader.h"

#include <htslib/bgzf.h>
#include <htslib/hfile.h>

#include <array>
#include <cstring>
#include <vector>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"

namespace spindle {

// Bases come from the buffer in pieces of at most this many bytes, so that memory stays flat
// however long a line is (unwrapped FASTA puts a chromosome on one line).
constexpr size_t kBufferBytes = 256 * 1024;

// Bytes dropped from the end of a line of bases, as samtools drops them: editors' trailing
// spaces and tabs, and the '\r' of Windows line ends.
bool is_line_end_blank(char byte) { return byte == ' ' || byte == '\t' || byte == '\r'; }

struct FastaReader::State {
  std::string path;
  BGZF* file = nullptr;
  std::vector<char> buffer = std::vector<char>(kBufferBytes);
  size_t begin = 0, end = 0;  // unread bytes: buffer[begin, end)
  int64_t line_number = 0;    // 1-based line being read (0 before the first)
  int64_t column = 0;         // bytes of that line already read
  // The first of the blanks that end the bytes of this line read so far (1-based column, 0
  // when none) and that byte: an error if bases follow them, dropped if the line ends.
  int64_t blank_column = 0;
  char blank_byte = ' ';
  bool in_line = false;       // inside a line of bases whose end is not read yet
  bool record_started = false;
  bool header_pending = false;  // header_text holds a header not yet returned by next_record
  std::string header_text;      // a header line without '>' and its line end
  bool at_end = false;

  ~State() {
    if (file) bgzf_close(file);
  }
  // Keeps the unread bytes and reads more after them; false at the end of the file.
  bool fill();
  // The next byte without reading it; -1 at the end of the file.
  int peek();
  // Reads the rest of the current line (its '\n' too) into text, without a final '\r'.
  void read_rest_of_line(std::string& text);
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

bool FastaReader::State::fill() {
  std::memmove(buffer.data(), buffer.data() + begin, end - begin);
  end -= begin;
  begin = 0;
  const ssize_t count = bgzf_read(file, buffer.data() + end, buffer.size() - end);
  if (count < 0) {
    const std::string byte = std::to_string(bytes_read());
    throw Error(path + ": after line " + std::to_string(line_number),
                "corrupt or truncated " + compression() + " data (byte " + byte + " of the file)",
                "a complete " + compression() + " stream");
  }
  end += static_cast<size_t>(count);
  return count > 0;
}

int FastaReader::State::peek() {
  if (begin == end && !fill()) return -1;
  return static_cast<unsigned char>(buffer[begin]);
}

void FastaReader::State::read_rest_of_line(std::string& text) {
  text.clear();
  while (begin < end || fill()) {
    const char* start = buffer.data() + begin;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end - begin));
    const size_t length = newline ? static_cast<size_t>(newline - start) : end - begin;
    text.append(start, length);
    begin += length + (newline ? 1 : 0);
    if (newline) break;
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
}

bool FastaReader::next_record(FastaRecordHeader& header) {
  State& s = *state_;
  std::string_view skipped;
  while (next_bases(skipped)) {
  }
  if (!s.header_pending) {
    if (s.record_started) return false;  // next_bases stopped at the end of the file
    // Blank lines may come before the first header; any other line is an error.
    while (true) {
      const int first = s.peek();
      if (first < 0) return false;
      ++s.line_number;
      if (first == '>') {
        ++s.begin;
        s.read_rest_of_line(s.header_text);
        break;
      }
      std::string line;
      if (first == '\n' || first == '\r') s.read_rest_of_line(line);
      if (!line.empty() || (first != '\n' && first != '\r')) {
        throw Error(s.location(1), "sequence data before the first header", "a '>' header line");
      }
    }
  }
  s.header_pending = false;
  s.record_started = true;
  s.in_line = false;
  const std::string_view text = s.header_text;
  const size_t name_end = text.find_first_of(" \t");
  header.name = std::string(text.substr(0, name_end));
  header.description = std::string(text);
  header.line = s.line_number;
  if (header.name.empty()) throw Error(s.location(2), "header without a name", "'>NAME [description]'");
  return true;
}

bool FastaReader::next_bases(std::string_view& bases) {
  State& s = *state_;
  if (!s.record_started || s.header_pending || s.at_end) return false;
  const std::array<uint8_t, 256>& table = dna::token_table();
  while (true) {
    if (!s.in_line) {
      const int first = s.peek();
      if (first < 0) {
        s.at_end = true;
        return false;
      }
      ++s.line_number;
      s.column = 0;
      s.blank_column = 0;
      if (first == '>') {
        ++s.begin;
        s.read_rest_of_line(s.header_text);
        s.header_pending = true;
        return false;
      }
      s.in_line = true;
    }
    if (s.begin == s.end && !s.fill()) {
      s.in_line = false;  // the last line has no '\n'
      continue;
    }
    const char* start = s.buffer.data() + s.begin;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', s.end - s.begin));
    const size_t consumed = newline ? static_cast<size_t>(newline - start) + 1 : s.end - s.begin;
    size_t length = consumed - (newline ? 1 : 0);
    while (length > 0 && is_line_end_blank(start[length - 1])) --length;
    if (length > 0 && s.blank_column > 0) {
      // Blanks that ended the previous piece of this line have bases after them.
      throw dna::not_a_base(s.blank_byte, s.location(static_cast<size_t>(s.blank_column)));
    }
    if (!newline && length < consumed && s.blank_column == 0) {
      // Blanks at the end of what is read so far: dropped if the line ends after them.
      s.blank_column = s.column + static_cast<int64_t>(length) + 1;
      s.blank_byte = start[length];
    }
    for (size_t i = 0; i < length; ++i) {
      const char byte = start[i];
      if (table[static_cast<unsigned char>(byte)] == dna::kNotABase) {
        throw dna::not_a_base(byte, s.location(static_cast<size_t>(s.column) + i + 1));
      }
    }
    s.begin += consumed;
    s.column += static_cast<int64_t>(consumed);
    if (newline) s.in_line = false;
    if (length > 0) {
      bases = std::string_view(start, length);
      return true;
    }
  }
}

}  // namespace spindle
