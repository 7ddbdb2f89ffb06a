// The embeddings file that `spindle embed` writes: one HDF5 file that h5py reads as is
// (docs/formats.md), written under a temporary name ("<path>.partial-<pid>") and renamed
// over `path` only when every sequence is in it.
//
//   /                  attrs spindle_format "spindle-embeddings", spindle_format_version "1.0",
//                      spindle_version, model, model_variant ("ph" or "ps"), d_model, n_layer,
//                      width, pooling ("none" or "mean"), rc_average (0 or 1), precision,
//                      device, input, sequences; with logits also logits_tokens (a name per
//                      logits column)
//   /embeddings/<i>    one group per input sequence, i its 0-based input index zero-padded to
//                      one width (so that names sort in input order); attrs name, contig,
//                      begin, end (0-based, end exclusive), strand ("-": the reverse
//                      complement was embedded; "+"; "." for a region given without a
//                      strand, whose forward bases were embedded), length
//     hidden           float32 [length, width], or [width] when pooled
//     logits           float32 [length, vocab] (only when asked for)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/tensor.h"

namespace spindle {

// What the whole file holds: the file's attributes, and the shapes every sequence must have.
struct EmbeddingsFileSettings {
  std::string spindle_version;
  std::string model_directory;
  std::string model_variant;  // "ph" or "ps"
  int64_t d_model = 0, n_layer = 0;
  int64_t width = 0;                        // channels of each hidden state written
  std::vector<std::string> logits_tokens;  // a name per logits column; empty: no logits
  bool pooled = false;                      // hidden states averaged over positions
  bool rc_average = false;
  std::string precision;  // "f32" or "bf16": the model's activations
  std::string device;     // "cpu" or "cuda:N"
  std::string input;      // what was embedded ("fasta x.fa, regions r.bed")
  int64_t sequences = 0;  // how many sequences the file will hold
};

struct EmbeddedSequence {
  std::string name;
  std::string contig;
  int64_t begin = 0, end = 0;  // 0-based, end exclusive
  char strand = '+';           // '-': the reverse complement of [begin, end) was embedded; '.': none given (forward)
};

class EmbeddingsWriter {
 public:
  // Creates the temporary file with the file's attributes; `path`'s folder must exist.
  EmbeddingsWriter(const std::string& path, const EmbeddingsFileSettings& settings);
  // Without commit(): closes and deletes the temporary file; `path` is unchanged.
  ~EmbeddingsWriter();
  EmbeddingsWriter(const EmbeddingsWriter&) = delete;
  EmbeddingsWriter& operator=(const EmbeddingsWriter&) = delete;

  // The next sequence. hidden: host float32 [end - begin, width], or [width] when pooled;
  // logits: host float32 [end - begin, logits columns] when the file has logits, else an
  // undefined tensor. Shapes are checked against the settings.
  void add(const EmbeddedSequence& sequence, const Tensor& hidden, const Tensor& logits);
  // Requires settings.sequences added; flushes, closes and renames the file over `path`.
  void commit();

 private:
  // Closes and deletes the temporary file.
  void discard() noexcept;
  struct File;
  std::string path_, temporary_path_;
  EmbeddingsFileSettings settings_;
  std::unique_ptr<File> file_;
  int64_t added_ = 0;
  bool committed_ = false;
};

}  // namespace spindle
