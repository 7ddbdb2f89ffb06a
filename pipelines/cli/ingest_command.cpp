#include <spdlog/spdlog.h>

#include "io/store_transaction.h"
#include "pipelines/cli/commands.h"
#include "pipelines/ingest_fasta.h"

namespace spindle::cli {
namespace {

struct StoreOptions {
  std::string out;
  std::string compression = "gzip";
};

void add_store_options(CLI::App& command, StoreOptions& options) {
  command.add_option("--out", options.out, "the store (HDF5); created, or added to when it exists")->required();
  command.add_option("--compression", options.compression, "gzip (with shuffle) or none")
      ->check(CLI::IsMember({"gzip", "none"}))
      ->capture_default_str();
}

void add_fasta(CLI::App& ingest, Runner& runner) {
  CLI::App* command = ingest.add_subcommand("fasta", "DNA: every record of FASTA files into /sequences/<name>");
  command->footer(
      "Reads plain, gzip or bgzip FASTA; when a .fai index is beside the file, record lengths\n"
      "are checked against it (a bgzip FASTA then needs its .gzi too). Bases become Caduceus\n"
      "tokens (A7 C8 G9 T10 N11, IUPAC codes -> N); lowercase is kept in /soft_masks/<name>.\n"
      "Examples:\n"
      "  spindle ingest fasta genome.fa.gz --out genome.h5\n"
      "  spindle ingest fasta chr21.fa chr22.fa --out hg38.h5 --compression none\n");
  struct Options : StoreOptions {
    std::vector<std::string> inputs;
  };
  auto options = std::make_shared<Options>();
  command->add_option("inputs", options->inputs, "FASTA files (.fa, .fa.gz)")->required()->check(CLI::ExistingFile);
  add_store_options(*command, *options);
  command->callback([&runner, options] {
    runner = [options] {
      const store::Compression compression = store::parse_compression(options->compression, "--compression");
      StoreTransaction store(options->out);
      int64_t records = 0, bases = 0;
      for (const std::string& input : options->inputs) {
        for (const IngestedSequence& sequence : ingest_fasta(input, store, compression)) {
          ++records;
          bases += sequence.length;
        }
      }
      store.commit();
      spdlog::info("{}: {} records, {} bases added", options->out, records, bases);
      return 0;
    };
  });
}

}  // namespace

void add_ingest_command(CLI::App& app, Runner& runner) {
  CLI::App* ingest = app.add_subcommand("ingest", "Add FASTA, CSV or WFDB data to a spindle store (HDF5)");
  ingest->require_subcommand(1);
  ingest->footer(
      "Each input is written to a temporary file beside the store, renamed over it when complete.\n"
      "Examples:\n"
      "  spindle ingest fasta genome.fa.gz --out genome.h5\n"
      "  spindle ingest fasta --help\n");
  add_fasta(*ingest, runner);
}

}  // namespace spindle::cli
