// Random access to a FASTA file through its samtools index (htslib's faidx): contig names
// and lengths, and any range of a contig as Caduceus tokens (io/dna_tokenizer.h), with its
// soft mask on request.
//
// Plain and bgzip FASTA. A missing index (.fai, and .gzi for bgzip) is made beside the
// FASTA when the file is opened, as `samtools faidx` does (io/fasta_index.h); a gzip (not
// bgzip) FASTA cannot be read at random and is refused with how to recompress it. An index
// that does not match the FASTA's layout (made before the FASTA changed, or leaving out a
// record that shares a name: htslib indexes only the first) is refused too: either way some
// bases could not be read as the FASTA has them.
//
// Coordinates are 0-based and half-open: fetch("chr1", 0, 10) is the first ten bases, which
// samtools calls chr1:1-10. A range that is not within its contig, or a contig the file does
// not have, is an error naming both (callers that need bases beyond a contig's ends, such as
// windows around variants near them, pad with N themselves).
//
// One object reads from one thread at a time (faidx keeps a file position).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spindle {

struct FastaContig {
  std::string name;
  int64_t length = 0;  // bases
};

class IndexedFasta {
 public:
  // Opens `path`, making its index first when it is missing; reads the FASTA where the
  // index says records meet (a short read per record) to check that the index matches it.
  explicit IndexedFasta(const std::string& path);
  ~IndexedFasta();
  IndexedFasta(IndexedFasta&&) noexcept;
  IndexedFasta& operator=(IndexedFasta&&) noexcept;

  const std::string& path() const;
  // In file order.
  const std::vector<FastaContig>& contigs() const;
  bool has_contig(const std::string& name) const;
  // Bases of `name`; an Error naming the file and the contig when it has no such contig.
  int64_t length(const std::string& name) const;
  // Tokens of bases [begin, end) of `contig` (0-based, end exclusive). With `soft_mask`,
  // it receives one value per base: 1 where the FASTA has a lowercase letter, else 0. Errors
  // name the file, the contig and the range: an unknown contig, a range not within
  // [0, length] or with begin > end, a byte that is not a base (and its 1-based position).
  std::vector<uint8_t> fetch(const std::string& contig, int64_t begin, int64_t end,
                             std::vector<uint8_t>* soft_mask = nullptr) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
