// Synthetic DNA from an order-k Markov chain, with the numbers a model trained on it can be
// judged by: the chain's entropy rate, the unigram entropy, and the lowest expected
// masked-LM loss any predictor can reach (the Bayes-optimal loss, computed exactly per
// position by forward-backward over the chain and averaged over sampled masks).
//
// A bidirectional model sees context on both sides, so its floor is below the entropy rate
// (which conditions on the past only); masked and replaced neighbours raise it a little.
// All entropies are in nats per base. Bases are token ids 7..10 (A C G T, io/dna_tokenizer.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "pipelines/train/mlm_masking.h"
#include "platform/random.h"

namespace spindle {

class MarkovChain {
 public:
  // Transition rows drawn from `random`: for each of the 4^order contexts, probabilities
  // proportional to exp(sharpness * normal draw), so larger `sharpness` gives a more
  // predictable chain. order in [0, 6].
  static MarkovChain random(int order, double sharpness, RandomStream& random);

  int order() const { return order_; }
  // P(next base = b | the previous `order` bases, oldest first, as context index
  // sum base_i * 4^(order-1-i) with bases 0..3).
  double probability(int64_t context, int base) const { return transitions_[context * 4 + base]; }

  // `length` bases (tokens 7..10), starting from the stationary distribution of contexts.
  std::vector<uint8_t> sample(int64_t length, RandomStream& random) const;
  // The entropy rate: sum over contexts of stationary probability times the entropy of its row.
  double entropy_rate() const;
  // Entropy of the stationary base frequencies (what a model without context can reach).
  double unigram_entropy() const;
  // The Bayes-optimal expected masked-LM loss on `tokens` (bases 7..10 only): targets and
  // their corruption drawn from `random` with `rule` (training's masking, pipelines/train/mlm_masking.h), the exact posterior of each target
  // given every other observed position, averaged over targets. Absent when no position is
  // drawn as a target (a short sequence may draw none).
  std::optional<double> bayes_masked_loss(const std::vector<uint8_t>& tokens, const MaskingRule& odds,
                                          RandomStream& random) const;

  // What the model sees at each position: a base 0..3 (A C G T) or kShownMask.
  static constexpr uint8_t kShownMask = 4;
  // The exact posterior P(x_t = base | every shown position) of each position t that is a
  // target (`target[t]`), in the order of the targets: forward-backward over the chain,
  // the emission of a target being its corruption odds and of any other position the
  // mixture over being a target or not.
  std::vector<std::array<double, 4>> target_posteriors(const std::vector<uint8_t>& shown,
                                                       const std::vector<bool>& target, const MaskingRule& odds) const;

 private:
  MarkovChain(int order, std::vector<double> transitions);
  int64_t contexts() const { return int64_t{1} << (2 * order_); }
  // Stationary distribution over contexts (power iteration of the context chain).
  std::vector<double> stationary_contexts() const;

  int order_;
  std::vector<double> transitions_;  // [context][base]
};

}  // namespace spindle
