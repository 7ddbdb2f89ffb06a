#include "io/fasta_index.h"

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

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
  std::map<std::string, int64_t> lengths;
  for (int i = 0; i < faidx_nseq(index); ++i) {
    const char* name = faidx_iseq(index, i);
    lengths[name] = faidx_seq_len(index, name);
  }
  fai_destroy(index);
  return lengths;
}

}  // namespace spindle
