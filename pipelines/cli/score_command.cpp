#include "pipelines/cli/commands.h"
#include "pipelines/score_variants.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/mpi_runtime.h"
#include "platform/distributed/process_placement.h"
#include "platform/distributed/rank_failures.h"
#include "platform/device.h"
#include "platform/dtype.h"

namespace spindle::cli {

void add_score_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand(
      "score-variants", "variant-effect scores of a Caduceus model for a VCF, written as an annotated VCF");
  command->footer(
      "Scores every ALT allele of a VCF/BCF (multi-allelic records split, alleles normalized as\n"
      "bcftools norm does) with a window of --window bases of the reference centred on the\n"
      "variant (N past the contig's ends), and writes the input VCF, every record in input order,\n"
      "with INFO fields added per ALT (Number=A): SPINDLE_LLR (log p(ALT) - log p(REF) at the\n"
      "masked variant base, both strands averaged; SNVs), SPINDLE_EMBED_COSINE and SPINDLE_EMBED_L2\n"
      "(cosine and Euclidean distance of the REF and ALT windows' embeddings, RC-averaged and\n"
      "mean-pooled over --pool bases around the variant), SPINDLE_PAD (N padding), SPINDLE_SKIP\n"
      "(why an allele is not scored: missing_contig, symbolic, ref_mismatch, outside_regions,\n"
      "not_dna, long_allele, not_snv, n_fraction, spanning_deletion). Output: bgzip VCF and its\n"
      "tabix index, renamed into place when complete. The input must be sorted (bcftools sort).\n"
      "Progress goes to OUT.progress as alleles are scored: after a kill, the same command goes on\n"
      "where it stopped and writes the same bytes as a run that never stopped.\n"
      "Under mpirun or srun the processes split the alleles (contiguous blocks of --batch steps,\n"
      "one GPU each with --device cuda) and rank 0 writes the same bytes as one process would.\n"
      "--sequence-parallel N: for windows longer than one GPU holds, rings of N consecutive ranks\n"
      "share every window, each rank running its slice of it (N must divide the number of\n"
      "processes; the rings split the alleles as single processes do); the scores equal one\n"
      "process's to float rounding.\n"
      "Examples:\n"
      "  spindle score-variants --model caduceus-ps --fasta hg38.fa --vcf calls.vcf.gz --out scored.vcf.gz\n"
      "  spindle score-variants --model M --fasta hg38.fa --vcf calls.bcf --out s.vcf.gz --scores llr,embed-cosine \\\n"
      "      --window 131072 --batch 8 --device cuda:0 --precision bf16 --tsv s.tsv --embeddings s.h5\n"
      "  spindle score-variants --model M --fasta hg38.fa --vcf calls.vcf.gz --regions chr21 --out chr21.vcf.gz\n"
      "  mpirun -np 4 spindle score-variants --model M --fasta hg38.fa --vcf calls.vcf.gz --out s.vcf.gz \\\n"
      "      --device cuda --precision bf16 --batch 8\n"
      "  mpirun -np 8 spindle score-variants --model M --fasta hg38.fa --vcf calls.vcf.gz --out s.vcf.gz \\\n"
      "      --device cuda --precision bf16 --window 1048576 --sequence-parallel 4\n");
  auto options = std::make_shared<ScoreVariantsOptions>();
  auto scores = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"llr"});
  auto tsv = std::make_shared<std::string>();
  auto embeddings = std::make_shared<std::string>();
  auto device = std::make_shared<std::string>("cpu");
  auto precision = std::make_shared<std::string>("f32");
  command->add_option("--model", options->model_directory, "a Caduceus model folder (config.json + model.safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("--fasta", options->fasta, "the reference FASTA (plain or bgzip; indexed when it has no .fai)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--vcf", options->vcf, "variants: VCF, bgzip VCF or BCF, sorted")->required()->check(CLI::ExistingFile);
  command->add_option("--out", options->out, "the annotated VCF (bgzip, with OUT.tbi)")->required();
  command->add_option("--tsv", *tsv, "also a table: one line per allele with its scores and skip reason");
  command->add_option("--embeddings", *embeddings, "also the pooled REF and ALT embeddings of scored alleles (HDF5)");
  command->add_option("--window", options->window, "bases per window, centred on the variant")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 30))
      ->capture_default_str();
  command->add_option("--pool", options->pool, "bases around the variant averaged for embed-* scores")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--scores", *scores, "llr, embed-cosine, embed-l2 (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"llr", "embed-cosine", "embed-l2"}))
      ->capture_default_str();
  command->add_option("--batch", options->batch, "windows per forward pass (alleles per step)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  command->add_option("--regions", options->regions, "score only variants in these: chr:begin-end, chr, or BED files");
  command->add_option("--max-n-fraction", options->max_n_fraction,
                      "skip alleles whose REF window has a larger fraction of N (padding included)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--device", *device, "cpu or cuda:N (with several processes: each its own GPU)")
      ->capture_default_str();
  command->add_option("--precision", *precision, "activations: f32, or bf16 on a GPU")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  command->add_option("--sequence-parallel", options->sequence_parallel,
                      "ranks per ring sharing each window, each its slice (divides the number of processes)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->callback([&runner, options, scores, tsv, embeddings, device, precision] {
    runner = [options, scores, tsv, embeddings, device, precision] {
      options->scores.clear();
      for (const std::string& score : *scores) options->scores.push_back(parse_variant_score(score, "--scores"));
      if (!tsv->empty()) options->tsv = *tsv;
      if (!embeddings->empty()) options->embeddings = *embeddings;
      options->device = Device::parse(*device, "--device");
      options->activations = parse_dtype(*precision, "--precision");
      // A world of one without a launcher; under mpirun or srun one GPU per process.
      MpiRuntime mpi;
      const auto world = MpiCommunicator::world();
      // Collective, so on every rank whatever its --device.
      const ProcessPlacement placement = world->size() > 1 ? discover_placement() : ProcessPlacement{};
      // Choosing the GPU can fail on one rank alone (its host's GPUs): every rank ends with
      // that rank's error at the check below instead of waiting in score_variants.
      RankFailures setup(*world, "score-variants");
      try {
        if (world->size() > 1 && options->device.is_cuda()) {
          std::string why_none;
          options->device = gpu_for_process(placement, cuda_device_count(&why_none), why_none);
        }
        require_usable(options->device, "--device");
      } catch (...) {
        setup.fail();
      }
      setup.check();
      score_variants(*options, *world);
      return 0;
    };
  });
}

}  // namespace spindle::cli
