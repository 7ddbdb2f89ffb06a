// VCFs written as bgzip with their tabix index (<path>.tbi), as `bgzip` + `tabix -p vcf`
// make them, so that bcftools, tabix and htslib readers open them and seek by region. Both
// files are written under temporary names ("<path>.partial-<pid>", "<path>.tbi.partial-<pid>")
// and renamed into place when complete, so a crash or a kill never leaves an output that looks
// complete.
#pragma once

#include <functional>
#include <string>

namespace spindle {

// `write(temporary)` writes the whole bgzip VCF to the file `temporary`; it is then indexed
// (`threads` extra threads), and both are renamed into place, an old <path>.tbi deleted first.
// On an error, both temporary files are deleted and the error propagates; if the old index
// cannot be deleted, <path> keeps its old content. Records must be sorted by contig and position.
void write_indexed_vcf(const std::string& path, int threads, const std::function<void(const std::string&)>& write);

// `vcf_text` (a complete VCF: ## lines, the #CHROM line, sorted records) as such a file.
void write_bgzipped_vcf(const std::string& path, const std::string& vcf_text);

}  // namespace spindle
