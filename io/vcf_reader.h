// VCF and BCF (plain, bgzip) read through htslib into normalized biallelic records, for
// scoring: multi-allelic sites are split (one record per ALT), each REF/ALT pair is
// trimmed to its shortest form and, given the reference, left-aligned (the vt/bcftools
// norm algorithm), and REF is checked against the reference, with mismatches reported.
//
// Coordinates: `position` is 0-based here; every message and describe() prints it 1-based
// as chrom:position as VCF does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

struct Variant {
  std::string chrom;
  int64_t position = 0;  // 0-based start of ref on chrom
  std::string ref, alt;  // uppercase; alt may be symbolic ("<DEL>"), then not normalized
  std::string id;        // "." when none
  int allele = 1;        // which ALT of the input record (1-based)
  int alleles = 1;       // ALTs in the input record
  int64_t record = 0;    // 1-based index of the input record in the file
  bool ref_matches = true;  // REF as in the reference (true when no reference was given)
  // False when a reference was given and has no contig `chrom`: the variant is yielded as
  // read (not normalized, ref_matches false, not counted as a mismatch).
  bool contig_in_reference = true;
  // "chr21:1234 A>G" (1-based).
  std::string describe() const;
};

// Symbolic ("<DEL>", "<*>"), breakend ("G]chr2:100]") and spanning-deletion ("*") alleles
// (and empty ones): not bases, so not normalized.
bool is_symbolic_allele(const std::string& allele);

enum class RefMismatchPolicy {
  report,  // the variant is yielded with ref_matches = false and counted; the first few are logged
  error,   // a spindle::Error naming the file, record and position
};

struct VcfOptions {
  // FASTA with a samtools index (.fai, and .gzi when bgzip): REF check and left-alignment.
  std::optional<std::string> reference;
  RefMismatchPolicy on_ref_mismatch = RefMismatchPolicy::report;
};

class VcfReader {
 public:
  VcfReader(const std::string& path, const VcfOptions& options = {});
  ~VcfReader();
  VcfReader(const VcfReader&) = delete;
  VcfReader& operator=(const VcfReader&) = delete;

  // The next normalized variant; false at the end. Records without an ALT ('.') and
  // spanning-deletion alleles ('*') yield nothing.
  bool next(Variant& variant);
  // Input records read, and variants whose REF differs from the reference, so far.
  int64_t records_read() const;
  int64_t ref_mismatches() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
