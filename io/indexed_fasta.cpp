#include "io/indexed_fasta.h"

#include <fmt/format.h>
#include <htslib/faidx.h>

#include <cstdlib>
#include <unordered_map>

#include "io/dna_tokenizer.h"
#include "io/fasta_index.h"
#include "kernels/error.h"

namespace spindle {
namespace {

// "chr1, chr2, chr3, ... (25 contigs)": enough names to recognize a naming scheme.
std::string some_names(const std::vector<FastaContig>& contigs) {
  constexpr size_t kShown = 5;
  std::string names;
  for (size_t i = 0; i < contigs.size() && i < kShown; ++i) names += (i ? ", " : "") + contigs[i].name;
  if (contigs.size() > kShown) names += ", ...";
  return names + " (" + std::to_string(contigs.size()) + " contigs)";
}

}  // namespace

struct IndexedFasta::State {
  std::string path;
  faidx_t* index = nullptr;
  std::vector<FastaContig> contigs;
  std::unordered_map<std::string, size_t> by_name;

  ~State() {
    if (index) fai_destroy(index);
  }
};

IndexedFasta::IndexedFasta(const std::string& path) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  make_missing_fasta_index(path);
  s.index = fai_load3(path.c_str(), nullptr, nullptr, 0);
  SPINDLE_CHECK(s.index != nullptr, path + ".fai", "htslib cannot read this index (its message is above)",
                "a samtools faidx index of " + path + " (delete it to have it made again)");
  const std::vector<FaiRecord> records = fai_records(path);
  refuse_index_not_matching_fasta(path, records);
  for (const FaiRecord& record : records) {
    s.by_name.emplace(record.name, s.contigs.size());
    s.contigs.push_back({record.name, record.length});
  }
}

IndexedFasta::~IndexedFasta() = default;
IndexedFasta::IndexedFasta(IndexedFasta&&) noexcept = default;
IndexedFasta& IndexedFasta::operator=(IndexedFasta&&) noexcept = default;

const std::string& IndexedFasta::path() const { return state_->path; }
const std::vector<FastaContig>& IndexedFasta::contigs() const { return state_->contigs; }
bool IndexedFasta::has_contig(const std::string& name) const { return state_->by_name.contains(name); }

int64_t IndexedFasta::length(const std::string& name) const {
  const auto found = state_->by_name.find(name);
  SPINDLE_CHECK(found != state_->by_name.end(), state_->path, "no contig named '" + name + "'",
                "a contig of the FASTA: " + some_names(state_->contigs));
  return state_->contigs[found->second].length;
}

std::vector<uint8_t> IndexedFasta::fetch(const std::string& contig, int64_t begin, int64_t end,
                                         std::vector<uint8_t>* soft_mask) const {
  const State& s = *state_;
  const int64_t contig_length = length(contig);
  const std::string range = fmt::format("[{}, {})", begin, end);
  SPINDLE_CHECK(0 <= begin && begin <= end && end <= contig_length, s.path + ": " + contig,
                "range " + range + " is not within the contig (" + std::to_string(contig_length) + " bases)",
                "0 <= begin <= end <= " + std::to_string(contig_length) + " (0-based, end exclusive)");
  std::vector<uint8_t> tokens(static_cast<size_t>(end - begin));
  if (soft_mask) soft_mask->assign(tokens.size(), 0);
  if (begin == end) return tokens;
  hts_pos_t fetched = 0;
  std::unique_ptr<char, decltype(&std::free)> bases(
      faidx_fetch_seq64(s.index, contig.c_str(), begin, end - 1, &fetched), &std::free);
  SPINDLE_CHECK(bases != nullptr && fetched == end - begin, s.path + ": " + contig + " " + range,
                fetched < 0 ? "htslib failed to read the range (error " + std::to_string(fetched) + "; its message is above)"
                            : "htslib read " + std::to_string(fetched) + " bases",
                std::to_string(end - begin) + " bases: a FASTA that matches its .fai index");
  const std::string_view text(bases.get(), static_cast<size_t>(fetched));
  const size_t good = dna::tokenize(text, tokens.data(), soft_mask ? soft_mask->data() : nullptr);
  if (good < text.size()) {
    throw dna::not_a_base(text[good], s.path + ": " + contig + ":" + std::to_string(begin + good + 1) + " (1-based)");
  }
  return tokens;
}

}  // namespace spindle
