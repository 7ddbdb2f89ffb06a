#include "io/fasta_index.h"

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "io/atomic_write.h"
#include "kernels/error.h"

namespace spindle {
namespace {

// htsCompression: no_compression, gzip or bgzf.
int compression_of(const std::string& path) {
  BGZF* file = bgzf_open(path.c_str(), "r");
  if (!file) throw Error(path, "cannot open", "a readable FASTA file");
  const int compression = bgzf_compression(file);
  bgzf_close(file);
  return compression;
}

bool is_bgzip(const std::string& path) { return compression_of(path) == htsCompression::bgzf; }

// A whole field that is a count (0 or more), or -1.
int64_t count_field(std::string_view field) {
  int64_t value = -1;
  const char* last = field.data() + field.size();
  const auto [end, error] = std::from_chars(field.data(), last, value);
  return error == std::errc() && end == last && value >= 0 ? value : -1;
}

// The byte of `record`'s last base in the uncompressed FASTA (of where its bases would start
// when it has none): lines before the last are line_bytes long, whatever ends the last one.
int64_t last_base_byte(const FaiRecord& record) {
  if (record.length == 0 || record.line_bases == 0) return record.offset;
  const int64_t last = record.length - 1;
  return record.offset + last / record.line_bases * record.line_bytes + last % record.line_bases;
}

struct FastaHeader {
  std::string name;
  int64_t byte = 0;  // of its '>' in the uncompressed FASTA, 0-based
};

// The record name of header line `text` ('>' first) as htslib's index names it: the first
// word, blanks between '>' and it skipped.
std::string header_name(std::string_view text) {
  const auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  const auto first = std::find_if_not(text.begin() + 1, text.end(), blank);
  return std::string(first, std::find_if(first, text.end(), blank));
}

void require_file(const std::string& index, const std::string& fasta_path, const char* kind) {
  if (!std::filesystem::exists(index)) {
    throw Error(fasta_path, std::string("missing index ") + index,
                std::string("a ") + kind + " beside the FASTA (make it with: samtools faidx " + fasta_path + ")");
  }
}

}  // namespace

void require_fasta_index(const std::string& fasta_path) {
  require_file(fasta_path + ".fai", fasta_path, ".fai index");
  if (is_bgzip(fasta_path)) require_file(fasta_path + ".gzi", fasta_path, ".gzi index (bgzip FASTA)");
}

void make_missing_fasta_index(const std::string& fasta_path) {
  const int compression = compression_of(fasta_path);
  SPINDLE_CHECK(compression != htsCompression::gzip, fasta_path, "gzip-compressed, which cannot be read at random",
                "a plain or bgzip FASTA (recompress it: gunzip -c " + fasta_path + " | bgzip > NEW.fa.gz)");
  const bool bgzip = compression == htsCompression::bgzf;
  const std::string fai = fasta_path + ".fai", gzi = fasta_path + ".gzi";
  if (std::filesystem::exists(fai) && (!bgzip || std::filesystem::exists(gzi))) return;
  const std::string folder = std::filesystem::absolute(fasta_path).parent_path().string();
  SPINDLE_CHECK(access(folder.c_str(), W_OK) == 0, fasta_path, "has no index and its folder cannot be written",
                "an index beside it (make it where the folder is writable: samtools faidx " + fasta_path +
                    ", then copy the .fai" + (bgzip ? " and .gzi" : "") + " beside the FASTA)");
  spdlog::info("{}: no index; making {}{} as samtools faidx does", fasta_path, fai, bgzip ? " and " + gzi : "");
  // Temporary names, so that a failure or a second process never leaves half an index.
  const std::string partial_fai = prepare_partial_output(fai), partial_gzi = prepare_partial_output(gzi);
  const auto remove_partials = [&] {
    std::error_code ignored;
    std::filesystem::remove(partial_fai, ignored);
    std::filesystem::remove(partial_gzi, ignored);
  };
  if (fai_build3(fasta_path.c_str(), partial_fai.c_str(), partial_gzi.c_str()) != 0) {
    remove_partials();
    throw Error(fasta_path, "htslib cannot index it (its message is above)",
                "a FASTA whose records have lines of one length, the last line of each record may be shorter");
  }
  try {
    if (bgzip) rename_durably(partial_gzi, gzi);
    rename_durably(partial_fai, fai);
  } catch (...) {
    remove_partials();
    throw;
  }
}

std::optional<std::map<std::string, int64_t>> fasta_index_lengths(const std::string& fasta_path) {
  if (!std::filesystem::exists(fasta_path + ".fai")) return std::nullopt;
  require_fasta_index(fasta_path);
  faidx_t* index = fai_load3(fasta_path.c_str(), nullptr, nullptr, 0);
  if (!index) throw Error(fasta_path + ".fai", "htslib cannot read this index", "a samtools faidx index of " + fasta_path);
  fai_destroy(index);
  std::map<std::string, int64_t> lengths;
  for (const FaiRecord& record : fai_records(fasta_path)) lengths.emplace(record.name, record.length);
  return lengths;
}

std::vector<FaiRecord> fai_records(const std::string& fasta_path) {
  const std::string fai = fasta_path + ".fai";
  std::ifstream input(fai);
  SPINDLE_CHECK(input.is_open(), fai, "cannot open", "a samtools faidx index of " + fasta_path);
  std::vector<FaiRecord> records;
  std::unordered_map<std::string, int64_t> line_of_name;  // assemblies may have 100,000s of scaffolds
  std::string line;
  for (int64_t number = 1; std::getline(input, line); ++number) {
    const std::string where = fai + ":" + std::to_string(number);
    std::vector<std::string_view> fields;
    for (size_t begin = 0; begin <= line.size();) {
      const size_t end = std::min(line.find('\t', begin), line.size());
      fields.emplace_back(line.data() + begin, end - begin);
      begin = end + 1;
    }
    std::array<int64_t, 4> numbers{-1, -1, -1, -1};  // length, offset, bases per line, bytes per line
    for (size_t i = 0; i < numbers.size() && i + 1 < fields.size(); ++i) numbers[i] = count_field(fields[i + 1]);
    SPINDLE_CHECK(!fields[0].empty() && *std::min_element(numbers.begin(), numbers.end()) >= 0, where, "'" + line + "'",
                  "a record name, then its length in bases, offset, bases per line and bytes per line, tab-separated "
                  "(samtools faidx)");
    const std::string name(fields[0]);
    const auto [first, added] = line_of_name.emplace(name, number);
    SPINDLE_CHECK(added, where,
                  "record " + name + " is listed again (first on line " + std::to_string(first->second) + ")",
                  "one line per record of " + fasta_path + " (delete the index to have it made again)");
    records.push_back({name, numbers[0], numbers[1], numbers[2], numbers[3]});
  }
  return records;
}

void refuse_index_not_matching_fasta(const std::string& fasta_path, const std::vector<FaiRecord>& records) {
  const std::unique_ptr<BGZF, decltype(&bgzf_close)> file(bgzf_open(fasta_path.c_str(), "r"), &bgzf_close);
  SPINDLE_CHECK(file != nullptr, fasta_path, "cannot open", "a readable FASTA file");
  const std::string fai = fasta_path + ".fai",
                    remake = "an index made from this FASTA (delete it to have it made again)";
  if (bgzf_compression(file.get()) == htsCompression::bgzf) {
    SPINDLE_CHECK(bgzf_index_load(file.get(), fasta_path.c_str(), ".gzi") == 0, fasta_path + ".gzi",
                  "htslib cannot read this index", remake);
  }
  std::unordered_set<std::string_view> indexed;
  for (const FaiRecord& record : records) indexed.insert(record.name);
  kstring_t line_text = KS_INITIALIZE;
  const auto free_line = [](kstring_t* line) { ks_free(line); };
  const std::unique_ptr<kstring_t, decltype(free_line)> line(&line_text, free_line);
  const auto changed = [&](const std::string& what) {
    return Error(fai, what + ": " + fasta_path + " changed after it was indexed, and bases would be read from the "
                                                 "old places", remake);
  };
  // Walks the FASTA from each record's last indexed base to the next header: only line-end
  // blanks and blank lines may lie between, and the header must be the next indexed record's,
  // its bases starting at the indexed offset. Any other layout means the index describes
  // another file (the FASTA edited since), or leaves a record out (a repeated name).
  for (size_t i = 0; i <= records.size(); ++i) {
    const FaiRecord* previous = i > 0 ? &records[i - 1] : nullptr;
    const FaiRecord* next = i < records.size() ? &records[i] : nullptr;
    const int64_t from = previous ? last_base_byte(*previous) : 0;
    SPINDLE_CHECK(bgzf_useek(file.get(), from, SEEK_SET) == 0, fai,
                  "record " + previous->name + " ends past the end of " + fasta_path, remake);
    bool rest_of_last_line = previous && previous->length > 0;
    // `unindexed`: a header other than the next indexed record's; htslib leaves a record
    // without bases out of its index, so it is an error only when bases follow it.
    std::optional<FastaHeader> unindexed;
    bool next_found = false;
    while (true) {
      const int64_t byte = bgzf_utell(file.get());
      const int status = bgzf_getline(file.get(), '\n', line.get());
      SPINDLE_CHECK(status >= -1, fasta_path, "htslib cannot read it (its message is above)", "a readable FASTA file");
      if (status == -1) break;
      const std::string_view text(line->s, line->l);
      if (!text.empty() && text.front() == '>' && !rest_of_last_line) {
        FastaHeader found{header_name(text), byte};
        next_found = next && found.name == next->name;
        if (next_found) break;
        unindexed = std::move(found);
        continue;
      }
      const size_t skipped = rest_of_last_line ? std::min<size_t>(1, text.size()) : 0;  // the last indexed base
      rest_of_last_line = false;
      const size_t first_base = text.find_first_not_of(" \t\r", skipped);
      if (first_base == std::string_view::npos) continue;
      if (unindexed) {
        const std::string at = "its header at byte " + std::to_string(unindexed->byte) + " (0-based)";
        SPINDLE_CHECK(!indexed.contains(unindexed->name), fasta_path,
                      "a second record named '" + unindexed->name + "', " + at +
                          ": htslib indexes only the first of records that share a name, so the second could never "
                          "be read",
                      "a name of its own for every record (rename or remove the second '" + unindexed->name + "')");
        throw Error(fai, "does not index record " + unindexed->name + " of " + fasta_path + ", " + at, remake);
      }
      if (previous) {
        throw changed("record " + previous->name + " has bases past its indexed length of " +
                      std::to_string(previous->length) + " (at byte " +
                      std::to_string(byte + static_cast<int64_t>(first_base)) + ", 0-based)");
      }
    }
    if (!next_found) {
      if (!next) return;
      throw changed("indexes record " + next->name + " after " + (previous ? previous->name : "the start") +
                    ", where the FASTA ends");
    }
    const int64_t bases_start = bgzf_utell(file.get());
    if (bases_start != next->offset) {
      throw changed("record " + next->name + "'s bases start at byte " + std::to_string(bases_start) +
                    " (0-based), the index says " + std::to_string(next->offset));
    }
  }
}

}  // namespace spindle
