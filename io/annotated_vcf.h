// A VCF/BCF copied record for record, in input order, with INFO fields added per ALT
// allele (Number=A), written through htslib as bgzip VCF with its tabix index
// (<path>.tbi, as `tabix -p vcf` makes it): what `spindle score-variants` writes.
//
// Both files are written under temporary names ("<path>.partial-<pid>",
// "<path>.tbi.partial-<pid>") and renamed into place when complete, so a crash or a kill never
// leaves an output that looks complete. A tabix index needs records grouped by contig and
// sorted by position within each: check_vcf_sorted() says before any work is done whether an
// input can be indexed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

// An INFO field added to every record: one value per ALT allele (Number=A).
struct AddedInfoField {
  enum class Type { Float, Integer, String };
  std::string id;
  Type type = Type::Float;
  std::string description;
};

// The added fields' values of one record: values[field][alt - 1]. Numbers for Float and
// Integer fields, text for String fields; std::nullopt (or "") writes '.' for that ALT. A
// field whose every ALT is missing is left out of the record.
struct AddedInfoValues {
  std::vector<std::vector<std::optional<double>>> numbers;  // numeric fields, in field order
  std::vector<std::vector<std::string>> texts;              // String fields, in field order
};

// Input records (VCF, bgzip VCF, BCF), and an Error naming the first record (1-based
// index, contig and position) that comes before its predecessor: a contig that reappears
// after another one, or a position below the previous one's on the same contig. The
// message says how to sort (bcftools sort).
int64_t check_vcf_sorted(const std::string& path);

struct AnnotatedVcfOptions {
  std::string input, output;              // output: conventionally ending in .vcf.gz
  std::vector<AddedInfoField> fields;     // declared in the header in this order
  std::vector<std::string> header_lines;  // more "##key=value" lines (provenance), after the fields
  int threads = 0;                        // extra compression threads
};

// Copies `input` to `output` (+ .tbi). `values(record, alts, out)` fills the added fields
// of record `record` (1-based input index) with `alts` ALT alleles; it is called once per
// record, in input order. Errors name the file and the record; an input that already
// declares one of the fields is refused (with how to remove them).
void write_annotated_vcf(const AnnotatedVcfOptions& options,
                         const std::function<void(int64_t record, int alts, AddedInfoValues& out)>& values);

}  // namespace spindle
