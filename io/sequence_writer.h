// Writes one DNA record into a store as it streams in: tokens to /sequences/<name>, the
// soft mask to /soft_masks/<name> (see io/store_format.h), both chunked and compressed,
// written a chunk at a time so that a record is never held whole in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/store_format.h"
#include "io/store_transaction.h"

namespace spindle {

class SequenceWriter {
 public:
  // `name`: the record name (no '/'), not yet in the store.
  SequenceWriter(StoreTransaction& store, const std::string& name, store::Compression compression);
  ~SequenceWriter();
  SequenceWriter(const SequenceWriter&) = delete;
  SequenceWriter& operator=(const SequenceWriter&) = delete;

  // Appends bases: letters every one of which has a token (dna::token_table()).
  void append(std::string_view bases);
  // Writes what is buffered and the attributes: source (the input file), description
  // (the FASTA header line without '>'), length, md5 (SAM M5: MD5 of the bases uppercased).
  void finish(const std::string& source, const std::string& description);
  // Bases appended so far.
  int64_t length() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spindle
