#include "pipelines/markov_genome.h"

#include <cmath>
#include <numeric>

#include "kernels/error.h"
#include "kernels/philox.h"

namespace spindle {
namespace {

constexpr uint8_t kFirstBase = 7;  // A; C G T follow

double draw_uniform(RandomStream& random) { return philox::uniform(random.seed, random.offset++); }

// Index of the first cumulative probability above u.
int pick(const double* probabilities, int count, double u) {
  double cumulative = 0;
  for (int i = 0; i + 1 < count; ++i) {
    cumulative += probabilities[i];
    if (u < cumulative) return i;
  }
  return count - 1;
}

double entropy(const double* probabilities, int count) {
  double h = 0;
  for (int i = 0; i < count; ++i) {
    if (probabilities[i] > 0) h -= probabilities[i] * std::log(probabilities[i]);
  }
  return h;
}

void normalize(std::vector<double>& values) {
  const double sum = std::accumulate(values.begin(), values.end(), 0.0);
  for (double& v : values) v /= sum;
}

}  // namespace

MarkovChain::MarkovChain(int order, std::vector<double> transitions)
    : order_(order), transitions_(std::move(transitions)) {}

MarkovChain MarkovChain::random(int order, double sharpness, RandomStream& random) {
  SPINDLE_CHECK(order >= 0 && order <= 6, "MarkovChain::random", "order " + std::to_string(order), "0 to 6");
  SPINDLE_CHECK(std::isfinite(sharpness) && sharpness >= 0, "MarkovChain::random",
                "sharpness " + std::to_string(sharpness), "a finite number >= 0");
  const int64_t contexts = int64_t{1} << (2 * order);
  std::vector<double> transitions(static_cast<size_t>(contexts * 4));
  for (int64_t c = 0; c < contexts; ++c) {
    double sum = 0;
    for (int b = 0; b < 4; ++b) {
      const double weight = std::exp(sharpness * philox::normal(random.seed, random.offset++));
      transitions[c * 4 + b] = weight;
      sum += weight;
    }
    for (int b = 0; b < 4; ++b) transitions[c * 4 + b] /= sum;
  }
  return MarkovChain(order, std::move(transitions));
}

std::vector<double> MarkovChain::stationary_contexts() const {
  const int64_t n = contexts();
  std::vector<double> p(static_cast<size_t>(n), 1.0 / double(n)), next(p.size());
  // Context c followed by base b becomes context (c * 4 + b) mod n.
  for (int iteration = 0; iteration < 10000; ++iteration) {
    std::fill(next.begin(), next.end(), 0.0);
    for (int64_t c = 0; c < n; ++c) {
      for (int b = 0; b < 4; ++b) next[(c * 4 + b) % n] += p[c] * probability(c, b);
    }
    double change = 0;
    for (int64_t c = 0; c < n; ++c) change += std::abs(next[c] - p[c]);
    p.swap(next);
    if (change < 1e-15) break;
  }
  return p;
}

std::vector<uint8_t> MarkovChain::sample(int64_t length, RandomStream& random) const {
  const int64_t n = contexts();
  const std::vector<double> start = stationary_contexts();
  int64_t context = pick(start.data(), static_cast<int>(n), draw_uniform(random));
  std::vector<uint8_t> tokens(static_cast<size_t>(length));
  for (int64_t t = 0; t < length; ++t) {
    const int base = pick(&transitions_[context * 4], 4, draw_uniform(random));
    tokens[t] = static_cast<uint8_t>(kFirstBase + base);
    context = (context * 4 + base) % n;
  }
  return tokens;
}

double MarkovChain::entropy_rate() const {
  const std::vector<double> p = stationary_contexts();
  double h = 0;
  for (int64_t c = 0; c < contexts(); ++c) h += p[c] * entropy(&transitions_[c * 4], 4);
  return h;
}

double MarkovChain::unigram_entropy() const {
  const std::vector<double> p = stationary_contexts();
  double frequencies[4] = {0, 0, 0, 0};
  for (int64_t c = 0; c < contexts(); ++c) {
    for (int b = 0; b < 4; ++b) frequencies[b] += p[c] * probability(c, b);
  }
  return entropy(frequencies, 4);
}

std::optional<double> MarkovChain::bayes_masked_loss(const std::vector<uint8_t>& tokens, const MaskingRule& odds,
                                                     RandomStream& random) const {
  const int64_t length = static_cast<int64_t>(tokens.size());
  std::vector<uint8_t> shown(static_cast<size_t>(length));
  std::vector<bool> target(static_cast<size_t>(length));
  for (int64_t t = 0; t < length; ++t) {
    SPINDLE_CHECK(tokens[t] >= kFirstBase && tokens[t] < kFirstBase + 4, "MarkovChain::bayes_masked_loss",
                  "token " + std::to_string(tokens[t]) + " at " + std::to_string(t), "bases 7..10 only");
    const int x = tokens[t] - kFirstBase;
    target[t] = draw_uniform(random) < odds.probability;
    const double u = draw_uniform(random);
    const int random_base = static_cast<int>(draw_uniform(random) * 4) & 3;
    shown[t] = !target[t] ? x : u < odds.mask_fraction ? kShownMask
                                : u < odds.mask_fraction + odds.random_fraction ? random_base : x;
  }
  const std::vector<std::array<double, 4>> posteriors = target_posteriors(shown, target, odds);
  if (posteriors.empty()) return std::nullopt;
  double loss = 0;
  size_t next = 0;
  for (int64_t t = 0; t < length; ++t) {
    if (target[t]) loss -= std::log(posteriors[next++][tokens[t] - kFirstBase]);
  }
  return loss / double(posteriors.size());
}

std::vector<std::array<double, 4>> MarkovChain::target_posteriors(const std::vector<uint8_t>& shown,
                                                                  const std::vector<bool>& target,
                                                                  const MaskingRule& odds) const {
  const int64_t length = static_cast<int64_t>(shown.size());
  // Hidden state at t: the last `width` bases ending at t (at least one, so it holds x_t).
  const int width = std::max(order_, 1);
  const int64_t states = int64_t{1} << (2 * width), n = contexts();
  auto base_of = [](int64_t state) { return static_cast<int>(state & 3); };
  // State `from` followed by base b is state (from * 4 + b) mod states; P = row of from's
  // last `order` bases.
  auto step = [&](int64_t from, int b) { return probability(from % n, b); };
  const double keep = 1 - odds.mask_fraction - odds.random_fraction;
  auto target_emission = [&](uint8_t s, int x) {
    return s == kShownMask ? odds.mask_fraction : odds.random_fraction / 4 + (s == x ? keep : 0.0);
  };
  auto emission = [&](uint8_t s, int x) {
    return odds.probability * target_emission(s, x) + (1 - odds.probability) * (s == x ? 1.0 : 0.0);
  };

  // Start: the stationary distribution of width-base contexts.
  std::vector<double> rows(static_cast<size_t>(states * 4));
  for (int64_t s = 0; s < states; ++s) {
    for (int b = 0; b < 4; ++b) rows[s * 4 + b] = step(s, b);
  }
  std::vector<double> alpha = MarkovChain(width, rows).stationary_contexts();
  // before[t]: P(state at t | shown before t), after[t]: P(shown after t | state at t), scaled.
  std::vector<double> before(static_cast<size_t>(length * states)), after(static_cast<size_t>(length * states));
  std::vector<double> next(static_cast<size_t>(states));
  for (int64_t t = 0; t < length; ++t) {
    if (t > 0) {
      std::fill(next.begin(), next.end(), 0.0);
      for (int64_t from = 0; from < states; ++from) {
        for (int b = 0; b < 4; ++b) next[(from * 4 + b) % states] += alpha[from] * step(from, b);
      }
      alpha.swap(next);
    }
    normalize(alpha);
    std::copy(alpha.begin(), alpha.end(), before.begin() + t * states);
    for (int64_t s = 0; s < states; ++s) alpha[s] *= emission(shown[t], base_of(s));
  }
  std::vector<double> beta(static_cast<size_t>(states), 1.0);
  for (int64_t t = length - 1; t >= 0; --t) {
    normalize(beta);
    std::copy(beta.begin(), beta.end(), after.begin() + t * states);
    // beta_{t-1}(prior) = sum over b of P(b | prior) e_t(b) beta_t(prior * 4 + b).
    for (int64_t prior = 0; prior < states; ++prior) {
      double sum = 0;
      for (int b = 0; b < 4; ++b) {
        const int64_t to = (prior * 4 + b) % states;
        sum += step(prior, b) * emission(shown[t], b) * beta[to];
      }
      next[prior] = sum;
    }
    beta.swap(next);
  }

  std::vector<std::array<double, 4>> posteriors;
  for (int64_t t = 0; t < length; ++t) {
    if (!target[t]) continue;
    std::array<double, 4> p{0, 0, 0, 0};
    for (int64_t s = 0; s < states; ++s) {
      p[base_of(s)] += before[t * states + s] * after[t * states + s] * target_emission(shown[t], base_of(s));
    }
    const double total = p[0] + p[1] + p[2] + p[3];
    for (double& v : p) v /= total;
    posteriors.push_back(p);
  }
  return posteriors;
}

}  // namespace spindle
