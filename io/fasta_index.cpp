#include "io/fasta_index.h"

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>

#include <filesystem>

#include "kernels/error.h"

namespace spindle {
namespace {

bool is_bgzip(const std::string& path) {
  BGZF* file = bgzf_open(path.c_str(), "r");
  if (!file) throw Error(path, "cannot open", "a readable FASTA file");
  const bool bgzip = bgzf_compression(file) == 2;
  bgzf_close(file);
  return bgzip;
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
