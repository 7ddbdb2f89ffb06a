#include "pipelines/variant_windows.h"

#include <algorithm>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"

namespace spindle {

std::vector<uint8_t> padded_bases(const IndexedFasta& fasta, const std::string& contig, int64_t begin, int64_t end) {
  std::vector<uint8_t> tokens(static_cast<size_t>(end - begin), dna::kTokenN);
  const int64_t first = std::max<int64_t>(begin, 0), last = std::min(end, fasta.length(contig));
  if (first < last) {
    const std::vector<uint8_t> inside = fasta.fetch(contig, first, last);
    std::copy(inside.begin(), inside.end(), tokens.begin() + (first - begin));
  }
  return tokens;
}

VariantWindows variant_windows(const IndexedFasta& fasta, const std::string& contig, int64_t position,
                               const std::vector<uint8_t>& ref, const std::vector<uint8_t>& alt, int64_t window) {
  const int64_t centre = window_centre(window);
  const int64_t ref_length = static_cast<int64_t>(ref.size()), alt_length = static_cast<int64_t>(alt.size());
  SPINDLE_CHECK(alt_length <= window - centre && ref_length >= 1, "variant_windows",
                "an allele of " + std::to_string(alt_length) + " bases in a window of " + std::to_string(window),
                "alleles that fit right of the window's centre");
  const int64_t begin = position - centre;
  // Enough reference for the alt window's right flank after a deletion.
  const int64_t extra = std::max<int64_t>(ref_length - alt_length, 0);
  const std::vector<uint8_t> bases = padded_bases(fasta, contig, begin, begin + window + extra);
  VariantWindows windows;
  windows.ref.assign(bases.begin(), bases.begin() + window);
  const int64_t length = fasta.length(contig);
  windows.padding = std::max<int64_t>(-begin, 0) + std::max<int64_t>(begin + window - length, 0);
  windows.n_bases = std::count(windows.ref.begin(), windows.ref.end(), dna::kTokenN);
  windows.alt.assign(bases.begin(), bases.begin() + centre);
  windows.alt.insert(windows.alt.end(), alt.begin(), alt.end());
  const auto flank = bases.begin() + std::min<int64_t>(centre + ref_length, static_cast<int64_t>(bases.size()));
  windows.alt.insert(windows.alt.end(), flank, flank + (window - static_cast<int64_t>(windows.alt.size())));
  return windows;
}

}  // namespace spindle
