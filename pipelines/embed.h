// `spindle embed`: Caduceus embeddings of DNA into an HDF5 file (io/embeddings_file.h).
//
// What is embedded, in this order in the file:
//   --sequence    bases given on the command line (named sequence_1, sequence_2, ...), or
//   --fasta/--store, a source of bases (an indexed FASTA, io/indexed_fasta.h, or a spindle
//                 store), with --regions (io/genomic_regions.h; strand '-' in a BED embeds
//                 the reverse complement), --records (whole records), or every record.
//                 A region or record given twice under the same name and strand is an error.
// Sequences run one by one, or up to `batch` consecutive ones of equal length together;
// each is fetched when its batch runs and written when done, so memory is that of one
// batch: the model's inference forward (it grows linearly with batch x length; the limit
// is max_length) and the batch's outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipelines/sequence_embedding.h"
#include "platform/device.h"

namespace spindle {

struct EmbedOptions {
  std::string model_directory;
  // Exactly one source: fasta, store, or sequences.
  std::string fasta, store;
  std::vector<std::string> sequences;
  // With fasta or store, at most one of: regions (BED files or regions), records (names).
  std::vector<std::string> regions, records;
  std::string out;
  EmbeddingSettings settings;
  Device device = Device::cpu();
  int64_t batch = 1;          // sequences of equal length per forward
  int64_t max_length = 131072;  // longest sequence accepted (bases)
};

struct EmbedSummary {
  int64_t sequences = 0, bases = 0;
};

// Loads the model folder (io/caduceus_checkpoint.h) onto options.device and embeds.
EmbedSummary embed(const EmbedOptions& options);
// With a model already loaded; options.model_directory is only recorded in the file.
EmbedSummary embed(Caduceus& model, const EmbedOptions& options);

}  // namespace spindle
