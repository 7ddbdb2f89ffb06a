// `spindle score-variants`: variant-effect scores of a Caduceus model for every ALT allele
// of a VCF/BCF, written as the input VCF with INFO fields added (bgzip + tabix index).
//
// Per allele (multi-allelic records are split and normalized by io/vcf_reader.h), a ref
// and an alt window of `window` bases centred on the variant (pipelines/variant_windows.h,
// N past the contig's ends) and the scores asked for:
//   llr           log p(alt) - log p(ref) of the LM head at the variant's base, masked
//                 ([MASK]) in the ref window, averaged over both strands (Ph: the window
//                 and its reverse complement; PS: the model's own RC half). Equal to the
//                 mean over strands of z[alt] - z[ref] (the logits' normalizer cancels).
//                 SNVs only.
//   embed-cosine  1 - cosine similarity and
//   embed-l2      Euclidean distance of the ref and alt windows' last hidden states,
//                 RC-averaged and mean-pooled over `pool` bases centred on the variant.
// Alleles that are not scored carry a reason in SPINDLE_SKIP: missing_contig, symbolic,
// ref_mismatch, outside_regions, not_dna, long_allele (REF or ALT longer than half the
// window), not_snv (only llr asked for), n_fraction (more N in the ref window than
// max_n_fraction), spanning_deletion ('*').
//
// Work runs in steps of `batch` scored alleles in input order: each forward runs at most
// `batch` windows. After each step its results are appended to a progress file beside
// the output (<out>.progress: fixed-size records with checksums); a run started again
// with the same settings reads the complete steps back and goes on from the next one, so
// that its outputs are byte for byte those of a run that never stopped. Outputs appear
// only when complete (temporary names, renamed); the progress file is deleted at the end.
//
// The input must be sorted (records grouped by contig, positions rising within each), as
// the output's tabix index needs; an unsorted input is refused before any work, with the
// record that breaks the order and how to sort it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/device.h"
#include "platform/dtype.h"

namespace spindle {

class MpiCommunicator;

enum class VariantScore { llr, embed_cosine, embed_l2 };

// "llr", "embed-cosine", "embed-l2"; parse errors name `where`.
std::string variant_score_name(VariantScore score);
VariantScore parse_variant_score(const std::string& name, const std::string& where);

struct ScoreVariantsOptions {
  std::string model_directory, fasta, vcf, out;
  std::optional<std::string> tsv, embeddings;
  int64_t window = 131072;
  int64_t pool = 1536;  // bases averaged around the variant for embed-* (at most window)
  std::vector<VariantScore> scores{VariantScore::llr};
  int64_t batch = 1;
  std::vector<std::string> regions;  // only variants inside these are scored (io/genomic_regions.h)
  double max_n_fraction = 0.5;
  Device device = Device::cpu();
  DType activations = DType::f32;
  int sequence_parallel = 1;  // ranks per ring sharing each window (pipelines/ring_scoring.h)
};

// The command that runs `options`, every option spelled out in a fixed order: what the
// output's ##spindle_scoreVariantsCommand header line records.
std::string score_variants_command(const ScoreVariantsOptions& options);

struct ScoreVariantsSummary {
  int64_t records = 0;  // input records
  int64_t alleles = 0;  // ALT alleles yielded by the reader ('*' and '.' not among them)
  int64_t scored = 0;
  int64_t resumed = 0;  // of scored: read back from the progress file
  std::map<std::string, int64_t> skipped;  // reason -> alleles
  double seconds = 0;   // scoring time of this run
};

// Over the processes of `world` (mpirun/srun; a world of one otherwise): the steps are
// cut into one contiguous block per rank, each rank scores its block (with its own progress
// file, <out>.progress-<rank>-of-<size>) and the results are gathered to rank 0, which
// writes the outputs: byte for byte those of one process, since every step holds the same
// alleles however many processes run. An error on any rank ends every rank, at most one
// step later, with the same Error naming the rank (platform/distributed/rank_failures.h),
// and keeps every progress file for the resumed run. The summary's counts are rank 0's (the whole run);
// other ranks return theirs with only `records`, `alleles`, `resumed` and `seconds` set.
// With sequence_parallel N > 1 the world is rings of N consecutive ranks
// (pipelines/ring_scoring.h): the blocks are one per ring, every rank of a ring runs its
// ring's steps on its slice of each window and keeps its own progress file (the ring
// resumes from the step all of its files reached), and the ring leaders' results are
// gathered. The scores equal one process's to float rounding (the scan's state is folded
// across slices), not byte for byte.
ScoreVariantsSummary score_variants(const ScoreVariantsOptions& options, MpiCommunicator& world);

}  // namespace spindle
