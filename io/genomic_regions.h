// Regions of named sequences (contigs) as users give them, on the command line as samtools
// writes them or in BED files, read into one form with 0-based, half-open coordinates.
//
//   command line  "chr1:1,001-2,000"  1-based, both ends included (samtools, IGV): the
//                                     bases [1000, 2000) here; commas in numbers allowed
//                 "chr1"              the whole contig (its end known once a FASTA or
//                                     store says how long it is: within_contig())
//                 "{HLA-A*01:01}:1-9" braces around a contig name that holds ':'
//   BED file      chrom start end [name [score [strand ...]]]: tab-separated, 0-based,
//                 end exclusive (the BED specification), plain or gzip; blank lines and
//                 lines starting with '#', "track" or "browser" skipped; columns after the
//                 third allowed, the name (4th, "." for none) and strand (6th: + - .) kept
//
// Errors name where the region was given (file:line and field, or the option and value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

struct GenomicRegion {
  std::string contig;
  int64_t begin = 0;           // 0-based position of the first base
  std::optional<int64_t> end;  // 0-based, exclusive; none: to the contig's end
  std::string name;            // BED name column; "" when absent or "."
  char strand = '.';           // BED strand column: '+', '-', or '.' (none given)
  std::string where;           // where it was given: "regions.bed:12", "--regions chr1:5-10"
};

// One region as written on a command line (see above); errors name `where`.
GenomicRegion parse_region(const std::string& text, const std::string& where);
// Every region of a BED file, in file order (none when it has only comments).
std::vector<GenomicRegion> read_bed(const std::string& path);
// Values of a command-line option, in order: a value that names an existing file is read
// as BED, any other is a region (one ending in .bed or .bed.gz is an error: a missing file).
// `option` names the option in errors ("--regions").
std::vector<GenomicRegion> read_regions(const std::vector<std::string>& values, const std::string& option);

// `region` with its end set (the contig's length for a whole contig) and checked against a
// contig of `contig_length` bases: a region that ends past the contig's end is an Error
// naming region.where, the contig, its length and `source` (the FASTA or store read).
GenomicRegion within_contig(const GenomicRegion& region, int64_t contig_length, const std::string& source);

// "chr1:1001-2000" for the bases [1000, 2000) of chr1: 1-based and inclusive, as samtools
// writes regions.
std::string region_label(const std::string& contig, int64_t begin, int64_t end);

}  // namespace spindle
