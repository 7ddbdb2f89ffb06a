#include "pipelines/cli/commands.h"
#include "pipelines/embed.h"
#include "platform/device.h"
#include "platform/dtype.h"

namespace spindle::cli {

void add_embed_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand("embed", "Caduceus embeddings of DNA (last hidden states, logits) to HDF5");
  command->footer(
      "Embeds every record of a FASTA or store, chosen records, regions (chr:begin-end, 1-based\n"
      "and inclusive, a contig alone, or BED files: 0-based, end exclusive; strand '-' embeds the\n"
      "reverse complement), or bases given with --sequence. Writes per sequence its name and\n"
      "coordinates and the last hidden state (length x width, or width with --pool mean), with\n"
      "--logits also the LM head's logits (length x padded vocabulary); layout in docs/formats.md.\n"
      "Outputs are the model's own unless --rc-average: then both strands are averaged per\n"
      "position as the Caduceus paper does (Ph: runs on the sequence and its reverse complement;\n"
      "PS: the two halves of its channels, width d_model), so a sequence and its reverse\n"
      "complement get the same embedding, positions reversed. A region given twice (same strand and\n"
      "name; a repeated BED line) is an error; overlapping regions are embedded as given.\n"
      "A plain or bgzip FASTA without its .fai (and .gzi) index gets one beside it, as samtools\n"
      "faidx makes it. Memory grows linearly with --batch x sequence length: sequences longer\n"
      "than --max-length are refused; cut long records into regions.\n"
      "Examples:\n"
      "  spindle embed --model caduceus-ps --fasta hg38.fa --regions promoters.bed --pool mean --rc-average --out p.h5\n"
      "  spindle embed --model caduceus-ph --fasta hg38.fa --regions chr21:5,000,001-5,002,000 --logits --out x.h5\n"
      "  spindle embed --model caduceus-ph --store genome.h5 --records chrM --out chrM.h5\n"
      "  spindle embed --model caduceus-ps --sequence ACGTTGCA --sequence TGCAACGT --rc-average --out s.h5\n"
      "  spindle embed --model caduceus-ps --fasta hg38.fa --regions windows.bed --batch 16 --device cuda:0 \\\n"
      "      --precision bf16 --out w.h5\n");
  auto options = std::make_shared<EmbedOptions>();
  auto pooling = std::make_shared<std::string>("none");
  auto device = std::make_shared<std::string>("cpu");
  auto precision = std::make_shared<std::string>("f32");
  command->add_option("--model", options->model_directory, "a Caduceus model folder (config.json + model.safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  CLI::Option_group* inputs = command->add_option_group("input", "what to embed: exactly one of");
  inputs->add_option("--fasta", options->fasta, "a FASTA file (plain or bgzip)")->check(CLI::ExistingFile);
  inputs->add_option("--store", options->store, "a spindle store (spindle ingest fasta)")->check(CLI::ExistingFile);
  CLI::Option* sequence =
      inputs->add_option("--sequence", options->sequences, "bases (A C G T N, IUPAC codes; any case); repeatable");
  inputs->require_option(1);
  // With exactly one input, excluding --sequence leaves --fasta or --store.
  CLI::Option* regions =
      command->add_option("--regions", options->regions, "regions of --fasta or --store: chr:begin-end, chr, or BED files")
          ->excludes(sequence);
  command->add_option("--records", options->records, "whole records of --fasta or --store (comma-separated)")
      ->delimiter(',')
      ->excludes(regions)
      ->excludes(sequence);
  command->add_option("--out", options->out, "the embeddings file (HDF5); replaced when complete")->required();
  command->add_flag("--logits", options->settings.logits, "also write the LM head's logits per position");
  command->add_option("--pool", *pooling, "none: per position; mean: averaged over positions")
      ->check(CLI::IsMember({"none", "mean"}))
      ->capture_default_str();
  command->add_flag("--rc-average", options->settings.rc_average,
                    "average both strands per position (Ph: x and RC(x); PS: its two channel halves)");
  command->add_option("--device", *device, "cpu or cuda:N")->capture_default_str();
  command->add_option("--precision", *precision, "activations: f32, or bf16 on a GPU")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  command->add_option("--batch", options->batch, "sequences of equal length per forward")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--max-length", options->max_length, "longest sequence accepted (bases)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->callback([&runner, options, pooling, device, precision] {
    runner = [options, pooling, device, precision] {
      options->settings.pooling = *pooling == "mean" ? EmbeddingPooling::mean : EmbeddingPooling::none;
      options->device = Device::parse(*device, "--device");
      require_usable(options->device, "--device");
      options->settings.activations = parse_dtype(*precision, "--precision");
      embed(*options);
      return 0;
    };
  });
}

}  // namespace spindle::cli
