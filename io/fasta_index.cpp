#include "io/fasta_index.h"

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>

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
  const std::vector<std::pair<std::string, int64_t>> records = fai_record_lengths(fasta_path);
  return std::map<std::string, int64_t>(records.begin(), records.end());
}

std::vector<std::pair<std::string, int64_t>> fai_record_lengths(const std::string& fasta_path) {
  const std::string fai = fasta_path + ".fai";
  std::ifstream input(fai);
  SPINDLE_CHECK(input.is_open(), fai, "cannot open", "a samtools faidx index of " + fasta_path);
  std::vector<std::pair<std::string, int64_t>> records;
  std::string line;
  for (int64_t number = 1; std::getline(input, line); ++number) {
    const size_t name_end = line.find('\t');
    const size_t length_end = name_end == std::string::npos ? name_end : line.find('\t', name_end + 1);
    int64_t length = -1;
    if (name_end != std::string::npos && name_end > 0) {
      const char* last = line.data() + (length_end == std::string::npos ? line.size() : length_end);
      const auto [end, error] = std::from_chars(line.data() + name_end + 1, last, length);
      if (error != std::errc() || end != last) length = -1;
    }
    SPINDLE_CHECK(length >= 0, fai + ":" + std::to_string(number), "'" + line + "'",
                  "a record name, a tab and its length in bases (samtools faidx)");
    records.emplace_back(line.substr(0, name_end), length);
  }
  return records;
}

}  // namespace spindle
