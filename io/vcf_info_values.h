// Numeric INFO fields and a flag of every record of a VCF/BCF (plain, bgzip), per ALT
// allele, read through htslib: what `spindle evaluate-scores` ranks. Fields must be declared
// in the header as INFO, Type=Float or Integer, Number=A (one value per ALT) or 1 (one for
// every ALT of the record); the flag as INFO Type=Flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

struct AlleleInfoValues {
  std::string chrom;
  int64_t position = 0;  // 1-based, as in the VCF
  int allele = 1;        // which ALT (1-based)
  std::string ref, alt;  // the record's REF and this ALT, as written
  int64_t end = 0;       // the record's last reference base (1-based): END for symbolic alleles
  int64_t record = 0;    // the record's number in the file (1-based)
  bool flagged = false;  // the record carries the flag
  std::vector<std::optional<double>> values;  // one per requested field; empty where missing ('.' or absent)
};

// Every ALT allele of every record of `path`, in file order, with `flag` and `fields`.
// Errors name the file and the field when a field is not declared as described above.
std::vector<AlleleInfoValues> read_allele_info_values(const std::string& path, const std::string& flag,
                                                      const std::vector<std::string>& fields);

}  // namespace spindle
