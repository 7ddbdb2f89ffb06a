// The pooled embeddings of scored variants that `spindle score-variants --embeddings`
// writes, for downstream classifiers: one HDF5 file (h5py reads it as is; docs/formats.md),
// written whole under a temporary name ("<path>.partial-<pid>") and renamed when complete.
//
//   /            attrs spindle_format "spindle-variant-embeddings", spindle_format_version
//                "1.0", spindle_version, model, model_variant, width, window, pool (bases
//                averaged around the variant), rc_average (1), precision, device, vcf, fasta
//   /ref, /alt   float32 [variants, width]: the pooled embedding of the ref and alt windows
//   /chrom       string [variants]; /position int64 [variants] (1-based, as in VCF, of the
//                normalized allele); /ref_allele, /alt_allele strings; /record int64 [variants]
//                (1-based input record); /allele int64 [variants] (which ALT, 1-based)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/tensor.h"

namespace spindle {

struct VariantEmbeddings {
  // File attributes.
  std::string spindle_version, model_directory, model_variant, precision, device, vcf, fasta;
  int64_t window = 0, pool = 0;
  // One row per scored allele.
  Tensor ref, alt;  // host float32 [variants, width]
  std::vector<std::string> chrom, ref_allele, alt_allele;
  std::vector<int64_t> position, record, allele;
};

void write_variant_embeddings(const std::string& path, const VariantEmbeddings& embeddings);

}  // namespace spindle
