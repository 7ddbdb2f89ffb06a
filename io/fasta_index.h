// The samtools index of a FASTA file (.fai, and .gzi for bgzip), read and made through htslib.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

// Record lengths (bases) from `fasta_path`.fai, or nothing when there is no .fai. A bgzip
// FASTA with a .fai but no .gzi, or an index htslib cannot read, is an error naming the
// missing or unreadable file.
std::optional<std::map<std::string, int64_t>> fasta_index_lengths(const std::string& fasta_path);

// The records of `fasta_path`.fai in file order with their lengths in bases, read from the
// index's text: htslib 1.16's faidx_seq_len returns an int, which wraps past 2^31 bases
// (chromosomes of conifers and wheat are longer). For an index htslib has loaded already
// (it checks the rest of the format); a line without a name and a length is an error naming it.
std::vector<std::pair<std::string, int64_t>> fai_record_lengths(const std::string& fasta_path);

// Checks that the index of a bgzip FASTA is complete (.fai and .gzi) and opens nothing;
// throws spindle::Error naming the missing file and how to make it.
void require_fasta_index(const std::string& fasta_path);

// Makes the index of `fasta_path` when it is missing, as `samtools faidx` does: the .fai,
// and for bgzip the .gzi, beside the FASTA, written under temporary names and renamed when
// complete (logged at info level). A gzip (not bgzip) FASTA cannot be read at random, and a
// folder that cannot be written cannot hold the index: both are errors saying what to do.
void make_missing_fasta_index(const std::string& fasta_path);

}  // namespace spindle
