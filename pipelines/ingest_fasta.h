// Ingest of FASTA files into a spindle store: every record becomes /sequences/<name> with
// its soft mask (io/sequence_writer.h), streamed, with progress logged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/store_transaction.h"
#include "io/store_format.h"

namespace spindle {

struct IngestedSequence {
  std::string name;
  int64_t length = 0;  // bases
};

// Adds every record of `fasta_path` to `store`. When a .fai index is beside the FASTA,
// each record's length is checked against it.
std::vector<IngestedSequence> ingest_fasta(const std::string& fasta_path, StoreTransaction& store,
                                           store::Compression compression);

}  // namespace spindle
