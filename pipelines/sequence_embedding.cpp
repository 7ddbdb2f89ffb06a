#include "pipelines/sequence_embedding.h"

#include <algorithm>

#include "io/dna_tokenizer.h"
#include "platform/distributed/communicator.h"
#include "platform/distributed/sequence_slice.h"
#include "platform/ops/convert.h"

namespace spindle {
namespace {

Tensor host_f32(const Tensor& output) { return ops::converted(output, DType::f32).to(Device::cpu()); }

// Positions [begin, end) of each row of a (rows, held.length(), columns) model output that
// holds positions [held.begin, held.end) of rows of `length`, on the host in f32; rows from
// `mirrored_from` on are RC runs (Ph), whose positions are mirrored: [length - end,
// length - begin). Position order within each row is kept, so the RC rows still read
// mirrored within the range. Positions outside `held` (another rank's slice) are zeros.
Tensor host_positions(const Tensor& output, int64_t length, SequenceSlice held, int64_t mirrored_from, int64_t begin,
                      int64_t end) {
  const int64_t rows = output.size(0), columns = output.size(2), count = end - begin;
  if (begin == 0 && end == length && held.length() == length) return host_f32(output);
  const Tensor flat = output.contiguous().reshape({rows * held.length(), columns});
  Tensor selected = Tensor::zeros({rows, count, columns}, DType::f32);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t first = r < mirrored_from ? begin : length - end;
    const int64_t from = std::max(first, held.begin), to = std::min(first + count, held.end);
    if (from >= to) continue;
    const int64_t local = r * held.length() + from - held.begin;
    const Tensor part = host_f32(flat.slice(0, local, local + (to - from)));
    std::copy_n(part.data<float>(), (to - from) * columns, selected.data<float>() + (r * count + from - first) * columns);
  }
  return selected;
}

// Sums `parts` (host f32) over `ring` in one all-reduce: each rank filled in the positions
// of its slice and left zeros elsewhere, so every rank gets the whole rows' values exactly.
void sum_over_ring(Communicator& ring, const std::vector<Tensor*>& parts) {
  int64_t total = 0;
  for (const Tensor* part : parts) total += part->numel();
  Tensor packed = Tensor::empty({total}, DType::f32);
  int64_t offset = 0;
  for (const Tensor* part : parts) {
    std::copy_n(part->data<float>(), part->numel(), packed.data<float>() + offset);
    offset += part->numel();
  }
  Tensor summed = packed.to(ring.device());
  ring.all_reduce_sum(summed);
  packed = summed.to(Device::cpu());
  offset = 0;
  for (Tensor* part : parts) {
    std::copy_n(packed.data<float>() + offset, part->numel(), part->data<float>());
    offset += part->numel();
  }
}

// Rows [0, batch) of `both` averaged with rows [batch, 2 batch) read at the mirrored
// position, column `permute[c]` for column c: the forward and RC runs of Ph, per position.
Tensor average_with_rc_rows(const Tensor& both, int64_t batch, const std::vector<int64_t>& permute) {
  const int64_t length = both.size(1), columns = both.size(2);
  Tensor averaged = Tensor::empty({batch, length, columns}, DType::f32);
  const float* in = both.data<float>();
  float* out = averaged.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t l = 0; l < length; ++l) {
      const float* forward = in + (b * length + l) * columns;
      const float* reverse = in + ((batch + b) * length + (length - 1 - l)) * columns;
      float* row = out + (b * length + l) * columns;
      for (int64_t c = 0; c < columns; ++c) row[c] = (forward[c] + reverse[permute[c]]) / 2;
    }
  }
  return averaged;
}

// PS: (h[l][c] + h[l][2D-1-c]) / 2 for c < D.
Tensor average_strand_halves(const Tensor& hidden, int64_t d_model) {
  const int64_t rows = hidden.size(0) * hidden.size(1);
  Tensor averaged = Tensor::empty({hidden.size(0), hidden.size(1), d_model}, DType::f32);
  const float* in = hidden.data<float>();
  float* out = averaged.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = in + r * 2 * d_model;
    for (int64_t c = 0; c < d_model; ++c) out[r * d_model + c] = (row[c] + row[2 * d_model - 1 - c]) / 2;
  }
  return averaged;
}

// (batch, length, width) -> (batch, width), summed in double.
Tensor mean_over_positions(const Tensor& hidden) {
  const int64_t batch = hidden.size(0), length = hidden.size(1), width = hidden.size(2);
  Tensor pooled = Tensor::empty({batch, width}, DType::f32);
  const float* in = hidden.data<float>();
  std::vector<double> sum(static_cast<size_t>(width));
  for (int64_t b = 0; b < batch; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t l = 0; l < length; ++l) {
      const float* row = in + (b * length + l) * width;
      for (int64_t c = 0; c < width; ++c) sum[c] += row[c];
    }
    for (int64_t c = 0; c < width; ++c) pooled.data<float>()[b * width + c] = static_cast<float>(sum[c] / length);
  }
  return pooled;
}

}  // namespace

int64_t embedding_width(const CaduceusConfig& config, bool rc_average) {
  return config.rcps && rc_average ? config.d_model : config.width();
}

SequenceEmbeddings embed_sequences(Caduceus& model, const std::vector<std::vector<uint8_t>>& sequences,
                                   const EmbeddingSettings& settings) {
  SPINDLE_CHECK(!sequences.empty() && !sequences.front().empty(), "embed_sequences", "no bases",
                "at least one sequence of at least one base");
  const CaduceusConfig& config = model.config();
  const int64_t batch = static_cast<int64_t>(sequences.size()), length = static_cast<int64_t>(sequences[0].size());
  const bool run_rc = settings.rc_average && !config.rcps;
  const int64_t rows = run_rc ? 2 * batch : batch;
  const int64_t begin = settings.positions_begin, end = settings.positions_end == 0 ? length : settings.positions_end;
  SPINDLE_CHECK(0 <= begin && begin < end && end <= length, "embed_sequences",
                "positions [" + std::to_string(begin) + ", " + std::to_string(end) + ") of sequences of " +
                    std::to_string(length) + " tokens",
                "a non-empty range within the sequences");
  Tensor ids = Tensor::empty({rows, length}, DType::i32);
  int32_t* id = ids.data<int32_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<uint8_t>& tokens = sequences[b];
    SPINDLE_CHECK(static_cast<int64_t>(tokens.size()) == length, "embed_sequences",
                  "sequence " + std::to_string(b) + " has " + std::to_string(tokens.size()) + " tokens",
                  std::to_string(length) + " tokens, as the first: one length per batch");
    std::copy(tokens.begin(), tokens.end(), id + b * length);
    if (run_rc) {
      std::vector<uint8_t> rc = tokens;
      dna::reverse_complement(rc.data(), length);
      std::copy(rc.begin(), rc.end(), id + (batch + b) * length);
    }
  }

  // Sequence parallel: this rank runs its slice of every row (RC rows included: a slice of
  // the RC row, in RC coordinates) and the ring assembles the positions asked for.
  Communicator* ring = model.sequence_parallel();
  const SequenceSlice held =
      ring ? ring_slice(length, ring->size(), ring->rank(), "embed_sequences") : SequenceSlice{0, length};
  if (held.length() < length) ids = ids.slice(1, held.begin, held.end).contiguous();
  Tensor logits, hidden;
  model.forward(ids.to(model.device()), settings.activations, logits, &hidden, /*training=*/false);
  SequenceEmbeddings out;
  const int64_t mirrored_from = run_rc ? batch : rows;
  Tensor host_hidden = host_positions(hidden, length, held, mirrored_from, begin, end);
  Tensor host_logits;
  if (settings.logits) host_logits = host_positions(logits, length, held, mirrored_from, begin, end);
  if (ring) {
    std::vector<Tensor*> parts{&host_hidden};
    if (settings.logits) parts.push_back(&host_logits);
    sum_over_ring(*ring, parts);
  }
  if (run_rc) {
    std::vector<int64_t> same_channel(static_cast<size_t>(config.width()));
    for (size_t c = 0; c < same_channel.size(); ++c) same_channel[c] = static_cast<int64_t>(c);
    out.hidden = average_with_rc_rows(host_hidden, batch, same_channel);
  } else if (settings.rc_average) {
    out.hidden = average_strand_halves(host_hidden, config.d_model);
  } else {
    out.hidden = host_hidden;
  }
  if (settings.pooling == EmbeddingPooling::mean) out.hidden = mean_over_positions(out.hidden);
  if (settings.logits) {
    if (run_rc) {
      // The complement of every token id; ids past the tokenizer's (padding) map to themselves.
      std::vector<int64_t> complement(static_cast<size_t>(host_logits.size(-1)));
      for (size_t v = 0; v < complement.size(); ++v) {
        complement[v] = v < 256 ? dna::complement(static_cast<uint8_t>(v)) : static_cast<int64_t>(v);
      }
      out.logits = average_with_rc_rows(host_logits, batch, complement);
    } else {
      out.logits = host_logits;
    }
  }
  return out;
}

}  // namespace spindle
