// The samtools index of a FASTA file (.fai, and .gzi for bgzip), read and made through htslib.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

// Record lengths (bases) from `fasta_path`.fai, or nothing when there is no .fai. A bgzip
// FASTA with a .fai but no .gzi, or an index htslib cannot read, is an error naming the
// missing or unreadable file.
std::optional<std::map<std::string, int64_t>> fasta_index_lengths(const std::string& fasta_path);

// One line of a .fai: where a record's bases are in the (uncompressed) FASTA.
struct FaiRecord {
  std::string name;
  int64_t length = 0;      // bases
  int64_t offset = 0;      // byte of its first base
  int64_t line_bases = 0;  // bases per line
  int64_t line_bytes = 0;  // bytes per line, its line end included
};

// The records of `fasta_path`.fai in file order, read from the index's text: htslib 1.16's
// faidx_seq_len returns an int, which wraps past 2^31 bases (chromosomes of conifers and
// wheat are longer). For an index htslib has loaded already (it checks the rest of the
// format); a line without the five numbers' fields, or a name listed twice (htslib would
// keep the first silently), is an error naming the line.
std::vector<FaiRecord> fai_records(const std::string& fasta_path);

// Checks that the index of a bgzip FASTA is complete (.fai and .gzi) and opens nothing;
// throws spindle::Error naming the missing file and how to make it.
void require_fasta_index(const std::string& fasta_path);

// Reads `fasta_path` where its index (`records`, from fai_records) says records meet: after
// each record's last base only the rest of that line and blank lines, then the next indexed
// record's header, its bases starting at the indexed offset. Anything else is an error naming
// it: a record sharing an indexed name (htslib and samtools index only the first of them, so
// the second could never be read), a record the index leaves out, or an index of the FASTA
// before it was changed (htslib would read bases from the old offsets without a word). An
// edit that keeps every record's layout (bases replaced in place) reads correctly and passes.
// Headers are named as htslib names them (the first word, blanks after '>' skipped), and a
// record without bases, which htslib leaves out of the index, passes. One short read per record.
void refuse_index_not_matching_fasta(const std::string& fasta_path, const std::vector<FaiRecord>& records);

// Makes the index of `fasta_path` when it is missing, as `samtools faidx` does: the .fai,
// and for bgzip the .gzi, beside the FASTA, written under temporary names and renamed when
// complete (logged at info level). A gzip (not bgzip) FASTA cannot be read at random, and a
// folder that cannot be written cannot hold the index: both are errors saying what to do.
void make_missing_fasta_index(const std::string& fasta_path);

}  // namespace spindle
