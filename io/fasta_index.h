// The samtools index of a FASTA file (.fai, and .gzi for bgzip), read through htslib.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace spindle {

// Record lengths (bases) from `fasta_path`.fai, or nothing when there is no .fai. A bgzip
// FASTA with a .fai but no .gzi, or an index htslib cannot read, is an error naming the
// missing or unreadable file.
std::optional<std::map<std::string, int64_t>> fasta_index_lengths(const std::string& fasta_path);

// Checks that the index of a bgzip FASTA is complete (.fai and .gzi) and opens nothing;
// throws spindle::Error naming the missing file and how to make it.
void require_fasta_index(const std::string& fasta_path);

}  // namespace spindle
