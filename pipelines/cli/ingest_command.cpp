#include <spdlog/spdlog.h>

#include "io/store_transaction.h"
#include "pipelines/cli/commands.h"
#include "pipelines/ingest_fasta.h"
#include "pipelines/ingest_series.h"

namespace spindle::cli {
namespace {

struct StoreOptions {
  std::string out;
  std::string compression = "gzip";
};

void add_store_options(CLI::App& command, StoreOptions& options) {
  command.add_option("--out", options.out, "the store (HDF5); created, or added to when it exists")->required();
  command.add_option("--compression", options.compression,
                     "gzip (with shuffle; every HDF5 reader), none, or lzf where built (fast; h5py reads it, h5dump needs a plugin)")
      ->check(CLI::IsMember(store::compression_names()))
      ->capture_default_str();
}

// The runner of an ingest: `add` writes into a transaction on --out, committed when it returns.
template <typename Options, typename Add>
Runner transaction_runner(std::shared_ptr<Options> options, Add add) {
  return [options, add] {
    StoreTransaction store(options->out);
    add(*options, store, store::parse_compression(options->compression, "--compression"));
    store.commit();
    return 0;
  };
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
    runner = transaction_runner(options, [](const Options& options, StoreTransaction& store, store::Compression compression) {
      int64_t records = 0, bases = 0;
      for (const std::string& input : options.inputs) {
        for (const IngestedSequence& sequence : ingest_fasta(input, store, compression)) {
          ++records;
          bases += sequence.length;
        }
      }
      spdlog::info("{}: {} records, {} bases", options.out, records, bases);
    });
  });
}

void add_csv(CLI::App& ingest, Runner& runner) {
  CLI::App* command = ingest.add_subcommand("csv", "Time series: a CSV file into /series/<name>");
  command->footer(
      "The header names the columns; every column but the time column becomes a float32\n"
      "channel. Missing values (empty, NaN) are errors unless --missing says otherwise.\n"
      "Irregular time steps are counted, logged and stored as the attribute irregular_steps.\n"
      "Examples:\n"
      "  spindle ingest csv ETTh1.csv --out ett.h5 --time-column date\n"
      "  spindle ingest csv sensors.csv --out s.h5 --time-column time --missing mask --name site3\n");
  struct Options : StoreOptions {
    std::string input, missing = "error";
    std::optional<std::string> time_column, name;
  };
  auto options = std::make_shared<Options>();
  command->add_option("input", options->input, "CSV file")->required()->check(CLI::ExistingFile);
  add_store_options(*command, *options);
  command->add_option("--time-column", options->time_column, "header name of the date/time column");
  command->add_option("--missing", options->missing, "missing values: error, mask (NaN + /missing) or ffill")
      ->check(CLI::IsMember({"error", "mask", "ffill"}))
      ->capture_default_str();
  command->add_option("--name", options->name, "series name in the store (default: the file's stem)");
  command->callback([&runner, options] {
    runner = transaction_runner(options, [](const Options& options, StoreTransaction& store, store::Compression compression) {
      const CsvOptions csv{options.time_column, parse_missing_policy(options.missing, "--missing")};
      ingest_csv(options.input, csv, options.name, store, compression);
    });
  });
}

void add_wfdb(CLI::App& ingest, Runner& runner) {
  CLI::App* command = ingest.add_subcommand("wfdb", "ECG: a PhysioNet WFDB record into /series/<name>");
  command->footer(
      "Reads RECORD.hea and its signal files (formats 16, 212, 80) into physical units\n"
      "(mV unless the header says otherwise), the header's comments, and the MIT annotations\n"
      "of RECORD.atr when it exists (or RECORD.<ext> with --annotator ext).\n"
      "Examples:\n"
      "  spindle ingest wfdb mitdb/100 --out ecg.h5\n"
      "  spindle ingest wfdb ptbdb/s0010_re --out ecg.h5 --name ptb_s0010\n");
  struct Options : StoreOptions {
    std::string record;
    std::optional<std::string> annotator, name;
  };
  auto options = std::make_shared<Options>();
  command->add_option("record", options->record, "record path without extension (data/100 for data/100.hea)")->required();
  add_store_options(*command, *options);
  command->add_option("--annotator", options->annotator, "annotation file extension to read (required to exist)");
  command->add_option("--name", options->name, "series name in the store (default: the record name)");
  command->callback([&runner, options] {
    runner = transaction_runner(options, [](const Options& options, StoreTransaction& store, store::Compression compression) {
      ingest_wfdb(options.record, options.annotator, options.name, store, compression);
    });
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
      "  spindle ingest csv ETTh1.csv --out ett.h5 --time-column date\n"
      "  spindle ingest wfdb mitdb/100 --out ecg.h5\n"
      "  spindle ingest fasta --help\n");
  add_fasta(*ingest, runner);
  add_csv(*ingest, runner);
  add_wfdb(*ingest, runner);
}

}  // namespace spindle::cli
