#include "pipelines/ingest_fasta.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <string>
#include <unordered_set>

#include "io/fasta_index.h"
#include "io/fasta_reader.h"
#include "io/sequence_writer.h"
#include "kernels/error.h"
#include "pipelines/progress_meter.h"

namespace spindle {

std::vector<IngestedSequence> ingest_fasta(const std::string& fasta_path, StoreTransaction& store,
                                           store::Compression compression) {
  const auto index_lengths = fasta_index_lengths(fasta_path);
  FastaReader reader(fasta_path);
  // A pipe (/dev/stdin) has no size: progress then shows the rate without an ETA.
  const int64_t input_bytes = std::filesystem::is_regular_file(fasta_path)
                                  ? static_cast<int64_t>(std::filesystem::file_size(fasta_path))
                                  : 0;
  ProgressMeter progress("ingest " + fasta_path, input_bytes, "B");
  std::vector<IngestedSequence> ingested;
  FastaRecordHeader header;
  while (reader.next_record(header)) {
    const std::string where = fasta_path + ":" + std::to_string(header.line) + ": record " + header.name;
    // The writer refuses names HDF5 cannot take or the store already has; say which header.
    std::optional<SequenceWriter> created;
    try {
      created.emplace(store, header.name, compression);
    } catch (const Error& e) {
      throw Error(where, e.problem(), e.expected());
    }
    SequenceWriter& writer = *created;
    std::string_view bases;
    while (reader.next_bases(bases)) {
      writer.append(bases);
      progress.update(reader.bytes_read(), header.name + ": " + std::to_string(writer.length()) + " bases");
    }
    if (writer.length() == 0) throw Error(where, "record has no bases", "at least one base line after the header");
    if (index_lengths) {
      const auto indexed = index_lengths->find(header.name);
      if (indexed == index_lengths->end() || indexed->second != writer.length()) {
        throw Error(where, std::to_string(writer.length()) + " bases read, but the .fai index says " +
                               (indexed == index_lengths->end() ? "nothing of this record" : std::to_string(indexed->second)),
                    "a .fai index made from this FASTA (samtools faidx)");
      }
    }
    writer.finish(std::filesystem::absolute(fasta_path).lexically_normal().string(), header.description);
    spdlog::info("{}: record {} ({} bases)", fasta_path, header.name, writer.length());
    ingested.push_back({header.name, writer.length()});
  }
  if (ingested.empty()) throw Error(fasta_path, "no FASTA records", "at least one '>' header line");
  // Every record read is in the index under a name of its own; an index with more records was
  // made from another FASTA, or this one lost records after it was indexed.
  if (index_lengths && index_lengths->size() > ingested.size()) {
    std::unordered_set<std::string> read;  // assemblies may have 100,000s of scaffolds
    for (const IngestedSequence& sequence : ingested) read.insert(sequence.name);
    for (const auto& [name, length] : *index_lengths) {
      if (!read.contains(name)) {
        throw Error(fasta_path + ".fai", "indexes record " + name + ", which " + fasta_path + " does not have",
                    "a .fai index made from this FASTA (samtools faidx)");
      }
    }
  }
  return ingested;
}

}  // namespace spindle
