// The ref and alt windows of a variant, as `spindle score-variants` feeds them to a model:
// `window` bases of the reference with the variant's first REF base at index
// window_centre(window) = window / 2; past a contig's ends the window holds N (padding).
//
// The alt window is the ref window with REF replaced by ALT at the same index: the bases
// left of the variant are the same, and the right flank follows ALT, read further along
// the reference after a deletion (extended) and cut at the window's end after an insertion
// (trimmed), so both windows have `window` bases and the variant stays centred.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/indexed_fasta.h"

namespace spindle {

inline int64_t window_centre(int64_t window) { return window / 2; }

struct VariantWindows {
  std::vector<uint8_t> ref, alt;  // tokens (io/dna_tokenizer.h), `window` each
  int64_t padding = 0;            // N bases of the ref window past the contig's ends
  int64_t n_bases = 0;            // N tokens in the ref window, padding included
};

// Tokens of [begin, end) of `contig`, N (11) where the range runs past the contig's ends.
std::vector<uint8_t> padded_bases(const IndexedFasta& fasta, const std::string& contig, int64_t begin, int64_t end);

// `position`: 0-based start of `ref` on `contig`; ref and alt as tokens, alt no longer than
// window - window_centre(window) (the caller checks).
VariantWindows variant_windows(const IndexedFasta& fasta, const std::string& contig, int64_t position,
                               const std::vector<uint8_t>& ref, const std::vector<uint8_t>& alt, int64_t window);

}  // namespace spindle
