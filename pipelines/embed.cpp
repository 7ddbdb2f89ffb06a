#include "pipelines/embed.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <tuple>

#include "io/atomic_write.h"
#include "io/caduceus_checkpoint.h"
#include "io/dna_tokenizer.h"
#include "io/embeddings_file.h"
#include "io/genomic_regions.h"
#include "io/indexed_fasta.h"
#include "io/store_reader.h"
#include "pipelines/build_info.h"
#include "pipelines/progress_meter.h"

namespace spindle {
namespace {

// Where bases come from: the records of an indexed FASTA or of a store, or the bases given
// on the command line (each a record of its own).
struct BaseSource {
  std::string description;           // "fasta x.fa", for the file and messages
  std::vector<FastaContig> records;  // in the source's order
  // Tokens of [begin, end) of a record (0-based, end exclusive).
  std::function<std::vector<uint8_t>(const std::string& record, int64_t begin, int64_t end)> fetch;
};

BaseSource fasta_source(const std::string& path) {
  auto fasta = std::make_shared<IndexedFasta>(path);
  return {"fasta " + path, fasta->contigs(),
          [fasta](const std::string& record, int64_t begin, int64_t end) { return fasta->fetch(record, begin, end); }};
}

BaseSource store_source(const std::string& path) {
  auto store = std::make_shared<SequenceStoreReader>(path);
  BaseSource source{"store " + path, {}, {}};
  auto index_of = std::make_shared<std::map<std::string, size_t>>();
  for (const SequenceInfo& sequence : store->sequences()) {
    (*index_of)[sequence.name] = source.records.size();
    source.records.push_back({sequence.name, sequence.length});
  }
  source.fetch = [store, index_of](const std::string& record, int64_t begin, int64_t end) {
    std::vector<uint8_t> tokens(static_cast<size_t>(end - begin));
    store->read_tokens(index_of->at(record), begin, end, tokens.data());
    return tokens;
  };
  return source;
}

BaseSource given_source(const std::vector<std::string>& sequences) {
  auto tokens = std::make_shared<std::map<std::string, std::vector<uint8_t>>>();
  BaseSource source{"--sequence", {}, {}};
  for (size_t i = 0; i < sequences.size(); ++i) {
    const std::string& bases = sequences[i];
    const std::string name = "sequence_" + std::to_string(i + 1);
    SPINDLE_CHECK(!bases.empty(), "--sequence " + std::to_string(i + 1), "no bases", "one base at least");
    std::vector<uint8_t>& ids = (*tokens)[name];
    ids.resize(bases.size());
    const size_t good = dna::tokenize(bases, ids.data());
    if (good < bases.size()) {
      throw dna::not_a_base(bases[good], fmt::format("--sequence {}: position {} (1-based)", i + 1, good + 1));
    }
    source.records.push_back({name, static_cast<int64_t>(bases.size())});
  }
  source.fetch = [tokens](const std::string& record, int64_t begin, int64_t end) {
    const std::vector<uint8_t>& all = tokens->at(record);
    return std::vector<uint8_t>(all.begin() + begin, all.begin() + end);
  };
  return source;
}

// One sequence to embed, and where the user asked for it (for errors).
struct EmbedItem {
  EmbeddedSequence sequence;
  std::string where;
  std::string given_name;  // a BED name; "" when the name is made from the coordinates
  int64_t length() const { return sequence.end - sequence.begin; }
};

// The same bases under the same name twice (a repeated BED line, a region also given on the
// command line or spelled another way, a record listed twice) would be embedded twice into
// entries nothing tells apart, and a reader keying them by name would keep one. Overlapping
// regions, the other strand or another BED name are what the user asked for.
void refuse_repeats(const std::vector<EmbedItem>& items) {
  std::map<std::tuple<std::string, int64_t, int64_t, char, std::string>, const EmbedItem*> first;
  for (const EmbedItem& item : items) {
    const EmbeddedSequence& s = item.sequence;
    const auto [at, added] = first.try_emplace({s.contig, s.begin, s.end, s.strand, item.given_name}, &item);
    const std::string strand = s.strand == '.' ? "no strand" : fmt::format("{} strand", s.strand);
    SPINDLE_CHECK(added, item.where,
                  fmt::format("{} ({}{}) is given again, first at {}", region_label(s.contig, s.begin, s.end), strand,
                              item.given_name.empty() ? "" : ", name " + item.given_name, at->second->where),
                  "each region once (overlapping regions, the other strand or another BED name are embedded as given)");
  }
}

int64_t record_length(const BaseSource& source, const std::map<std::string, int64_t>& lengths,
                      const std::string& record, const std::string& where) {
  const auto found = lengths.find(record);
  SPINDLE_CHECK(found != lengths.end(), where, "no record '" + record + "' in " + source.description,
                "a record (contig) name as the source spells it");
  return found->second;
}

// The sequences the options select from `source`, in order.
std::vector<EmbedItem> select_items(const BaseSource& source, const EmbedOptions& options) {
  std::map<std::string, int64_t> lengths;
  for (const FastaContig& record : source.records) lengths[record.name] = record.length;
  std::vector<EmbedItem> items;
  if (!options.regions.empty()) {
    for (const GenomicRegion& given : read_regions(options.regions, "--regions")) {
      const GenomicRegion region =
          within_contig(given, record_length(source, lengths, given.contig, given.where), source.description);
      // Unnamed: as given ("chr1" for a whole contig), "(-)" marking the reverse strand.
      std::string name = region.name;
      if (name.empty()) {
        name = (given.end ? region_label(region.contig, region.begin, *region.end) : region.contig) +
               (region.strand == '-' ? "(-)" : "");
      }
      // The strand as given: '.' (none given) is not shown as '+', though its bases are the same.
      items.push_back({{name, region.contig, region.begin, *region.end, region.strand}, region.where, region.name});
    }
    SPINDLE_CHECK(!items.empty(), "--regions", fmt::format("no regions in {}", fmt::join(options.regions, " ")),
                  "at least one region");
  } else if (!options.records.empty()) {
    for (const std::string& record : options.records) {
      items.push_back({{record, record, 0, record_length(source, lengths, record, "--records"), '+'}, "--records", ""});
    }
  } else {
    for (const FastaContig& record : source.records) {
      items.push_back({{record.name, record.name, 0, record.length, '+'}, source.description, ""});
    }
  }
  refuse_repeats(items);
  for (const EmbedItem& item : items) {
    SPINDLE_CHECK(item.length() > 0, item.where, item.sequence.name + " has no bases", "one base at least");
    SPINDLE_CHECK(item.length() <= options.max_length, item.where,
                  fmt::format("{} has {} bases, more than --max-length {}", item.sequence.name, item.length(),
                              options.max_length),
                  "shorter sequences: regions of it (--regions with a BED of windows, such as bedtools makewindows "
                  "writes), or a larger --max-length where memory allows (it grows linearly with the length)");
  }
  return items;
}

std::string describe_input(const BaseSource& source, const EmbedOptions& options) {
  if (!options.regions.empty()) return fmt::format("{}; regions {}", source.description, fmt::join(options.regions, " "));
  if (!options.records.empty()) return fmt::format("{}; records {}", source.description, fmt::join(options.records, ","));
  return source.description;
}

// A name for every logits column: the tokenizer's, then "[padding]" for the padded rows.
std::vector<std::string> logits_tokens(const CaduceusConfig& config) {
  std::vector<std::string> names = dna::vocabulary();
  names.resize(static_cast<size_t>(config.padded_vocab_size()), "[padding]");
  return names;
}

// Row `row` of a batch output, without its batch axis.
Tensor batch_row(const Tensor& batch, int64_t row) {
  Shape shape(batch.shape().begin() + 1, batch.shape().end());
  return batch.slice(0, row, row + 1).reshape(shape);
}

}  // namespace

EmbedSummary embed(const EmbedOptions& options) {
  SPINDLE_CHECK(options.settings.activations == DType::f32 || options.device.is_cuda(), "--precision",
                "bf16 on the CPU", "f32 on the CPU (bf16 activations run on a GPU)");
  Caduceus model = load_caduceus(options.model_directory, options.device);
  return embed(model, options);
}

EmbedSummary embed(Caduceus& model, const EmbedOptions& options) {
  std::vector<std::pair<std::string, std::string>> inputs{
      {"--fasta", options.fasta}, {"--fasta's index", options.fasta + ".fai"}, {"--store", options.store}};
  for (const std::string& region : options.regions) inputs.emplace_back("--regions", region);
  refuse_output_over_inputs("--out", options.out, inputs);
  const std::filesystem::path out_folder = std::filesystem::absolute(options.out).parent_path();
  SPINDLE_CHECK(std::filesystem::is_directory(out_folder), "--out " + options.out,
                "the folder " + out_folder.string() + " does not exist", "an existing folder");
  SPINDLE_CHECK(options.batch >= 1, "--batch", std::to_string(options.batch), "1 or more");
  const BaseSource source = !options.sequences.empty() ? given_source(options.sequences)
                            : !options.fasta.empty()   ? fasta_source(options.fasta)
                                                       : store_source(options.store);
  const std::vector<EmbedItem> items = select_items(source, options);
  const CaduceusConfig& config = model.config();
  EmbeddingsFileSettings file;
  file.spindle_version = kSpindleVersion;
  file.model_directory = options.model_directory;
  file.model_variant = config.rcps ? "ps" : "ph";
  file.d_model = config.d_model;
  file.n_layer = config.n_layer;
  file.width = embedding_width(config, options.settings.rc_average);
  if (options.settings.logits) file.logits_tokens = logits_tokens(config);
  file.pooled = options.settings.pooling == EmbeddingPooling::mean;
  file.rc_average = options.settings.rc_average;
  file.precision = dtype_name(options.settings.activations);
  file.device = model.device().str();
  file.input = describe_input(source, options);
  file.sequences = static_cast<int64_t>(items.size());
  EmbeddingsWriter writer(options.out, file);

  EmbedSummary summary;
  int64_t total_bases = 0;
  for (const EmbedItem& item : items) total_bases += item.length();
  ProgressMeter progress("embed " + options.out, total_bases, "bases");
  for (size_t first = 0; first < items.size();) {
    // A batch: consecutive sequences of the first one's length.
    size_t last = first + 1;
    while (last < items.size() && static_cast<int64_t>(last - first) < options.batch &&
           items[last].length() == items[first].length()) {
      ++last;
    }
    std::vector<std::vector<uint8_t>> batch;
    for (size_t i = first; i < last; ++i) {
      const EmbeddedSequence& sequence = items[i].sequence;
      batch.push_back(source.fetch(sequence.contig, sequence.begin, sequence.end));
      if (sequence.strand == '-') dna::reverse_complement(batch.back().data(), items[i].length());
    }
    const SequenceEmbeddings embeddings = embed_sequences(model, batch, options.settings);
    for (size_t i = first; i < last; ++i) {
      const int64_t row = static_cast<int64_t>(i - first);
      writer.add(items[i].sequence, batch_row(embeddings.hidden, row),
                 embeddings.logits.defined() ? batch_row(embeddings.logits, row) : Tensor());
      ++summary.sequences;
      summary.bases += items[i].length();
    }
    progress.update(summary.bases, fmt::format("{} of {} sequences", summary.sequences, items.size()));
    first = last;
  }
  writer.commit();
  spdlog::info("embed: {} sequences, {} bases -> {}", summary.sequences, summary.bases, options.out);
  return summary;
}

}  // namespace spindle
