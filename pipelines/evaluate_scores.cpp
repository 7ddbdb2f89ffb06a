#include "pipelines/evaluate_scores.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "io/atomic_write.h"
#include "io/vcf_info_values.h"
#include "kernels/error.h"

namespace spindle {
namespace {

const char* direction_name(ScoreDirection direction) { return direction == ScoreDirection::lower ? "lower" : "higher"; }

// NaN for no values: written as null in the JSON, not as a mean of 0.
double mean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// "chr1:7 A>G", "chr1:10 N><DEL> END=500": an allele as errors name it, and what makes two
// alleles the same (a symbolic allele's extent is its END).
std::string allele_name(const AlleleInfoValues& allele) {
  const bool symbolic = !allele.alt.empty() && allele.alt.front() == '<';
  return fmt::format("{}:{} {}>{}{}", allele.chrom, allele.position, allele.ref, allele.alt,
                     symbolic ? fmt::format(" END={}", allele.end) : "");
}

// The alleles once each. A repeat with the same flag and values (a duplicated line, or one
// left by splitting multi-allelic records) would count twice: kept once, with a warning. One
// that differs would be a positive and a negative at once, or two scores for one allele: refused.
std::vector<AlleleInfoValues> distinct_alleles(const std::string& vcf, std::vector<AlleleInfoValues> alleles) {
  std::unordered_map<std::string, size_t> first;
  std::vector<AlleleInfoValues> distinct;
  int64_t repeats = 0;
  for (AlleleInfoValues& allele : alleles) {
    const std::string name = allele_name(allele);
    const auto [at, added] = first.try_emplace(name, distinct.size());
    if (added) {
      distinct.push_back(std::move(allele));
      continue;
    }
    const AlleleInfoValues& earlier = distinct[at->second];
    SPINDLE_CHECK(earlier.flagged == allele.flagged && earlier.values == allele.values, vcf + ": " + name,
                  fmt::format("record {} repeats record {} with another {}", allele.record, earlier.record,
                              earlier.flagged == allele.flagged ? "score" : "flag"),
                  "each ALT allele once (bcftools norm -m-any -d exact removes repeats)");
    ++repeats;
  }
  if (repeats > 0) {
    spdlog::warn("evaluate-scores: {}: {} ALT allele{} repeated with the same flag and scores, counted once", vcf,
                 repeats, repeats == 1 ? "" : "s");
  }
  return distinct;
}

nlohmann::json to_json(const EvaluateScoresOptions& options, const std::vector<ScoreEvaluation>& evaluations) {
  nlohmann::json scores = nlohmann::json::array();
  for (const ScoreEvaluation& e : evaluations) {
    nlohmann::json score = {
        {"field", e.score.field},
        {"direction", direction_name(e.score.direction)},
        {"auroc", e.auroc ? nlohmann::json(*e.auroc) : nlohmann::json(nullptr)},
        {"flagged", {{"scored", e.flagged}, {"unscored", e.flagged_missing}, {"mean", e.flagged_mean}}},
        {"unflagged", {{"scored", e.unflagged}, {"unscored", e.unflagged_missing}, {"mean", e.unflagged_mean}}}};
    if (!e.auroc) score["auroc_undefined"] = e.auroc_undefined;
    scores.push_back(std::move(score));
  }
  return {{"vcf", options.vcf},
          {"truth_flag", options.truth_flag},
          {"auroc_meaning", "probability that a flagged allele scores further in `direction` than an unflagged one, "
                            "ties counting one half (Mann-Whitney U with average ranks)"},
          {"scores", scores}};
}

}  // namespace

double auroc(const std::vector<double>& positives, const std::vector<double>& negatives) {
  SPINDLE_CHECK(!positives.empty() && !negatives.empty(), "auroc",
                std::to_string(positives.size()) + " positives and " + std::to_string(negatives.size()) + " negatives",
                "at least one of each");
  struct Item {
    double value;
    bool positive;
  };
  std::vector<Item> items;
  items.reserve(positives.size() + negatives.size());
  for (double v : positives) items.push_back({v, true});
  for (double v : negatives) items.push_back({v, false});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.value < b.value; });
  // Sum of the positives' ranks (1-based), each run of equal values taking its average rank.
  double positive_rank_sum = 0;
  for (size_t begin = 0; begin < items.size();) {
    size_t end = begin;
    int64_t positives_in_run = 0;
    while (end < items.size() && items[end].value == items[begin].value) positives_in_run += items[end++].positive;
    const double average_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    positive_rank_sum += average_rank * static_cast<double>(positives_in_run);
    begin = end;
  }
  const double p = static_cast<double>(positives.size()), n = static_cast<double>(negatives.size());
  const double u = positive_rank_sum - p * (p + 1) / 2;
  return u / (p * n);
}

std::string evaluation_table(const EvaluateScoresOptions& options, const std::vector<ScoreEvaluation>& evaluations) {
  std::string table = fmt::format("{}: truth {}\n", options.vcf, options.truth_flag);
  table += fmt::format("{:<24} {:<9} {:>9}  {:>28}  {:>28}\n", "score", "direction", "AUROC",
                       "flagged: scored, mean (none)", "unflagged: scored, mean (none)");
  std::string undefined;
  for (const ScoreEvaluation& e : evaluations) {
    table += fmt::format("{:<24} {:<9} {:>9}  {:>28}  {:>28}\n", e.score.field, direction_name(e.score.direction),
                         e.auroc ? fmt::format("{:.4f}", *e.auroc) : "undefined",
                         fmt::format("{}, {:.4g} ({})", e.flagged, e.flagged_mean, e.flagged_missing),
                         fmt::format("{}, {:.4g} ({})", e.unflagged, e.unflagged_mean, e.unflagged_missing));
    if (!e.auroc) undefined += fmt::format("{}: AUROC undefined: {}\n", e.score.field, e.auroc_undefined);
  }
  return table + undefined;
}

ScoreSpec parse_score_spec(const std::string& text, ScoreDirection fallback, const std::string& where) {
  const size_t colon = text.find(':');
  ScoreSpec spec{text.substr(0, colon), fallback};
  if (colon != std::string::npos) {
    const std::string direction = text.substr(colon + 1);
    SPINDLE_CHECK(direction == "lower" || direction == "higher", where,
                  "'" + text + "': direction '" + direction + "'", "FIELD, FIELD:lower or FIELD:higher");
    spec.direction = direction == "lower" ? ScoreDirection::lower : ScoreDirection::higher;
  }
  SPINDLE_CHECK(!spec.field.empty(), where, "'" + text + "': no field name", "FIELD, FIELD:lower or FIELD:higher");
  return spec;
}

std::vector<ScoreEvaluation> evaluate_scores(const EvaluateScoresOptions& options) {
  SPINDLE_CHECK(!options.scores.empty(), "evaluate-scores", "no scores", "at least one INFO field");
  if (options.json_out) refuse_output_over_inputs("--json", *options.json_out, {{"--vcf", options.vcf}});
  std::vector<std::string> fields;
  for (const ScoreSpec& score : options.scores) fields.push_back(score.field);
  const std::vector<AlleleInfoValues> alleles =
      distinct_alleles(options.vcf, read_allele_info_values(options.vcf, options.truth_flag, fields));
  std::vector<ScoreEvaluation> evaluations;
  for (size_t s = 0; s < options.scores.size(); ++s) {
    ScoreEvaluation evaluation;
    evaluation.score = options.scores[s];
    std::vector<double> flagged, unflagged;
    for (const AlleleInfoValues& allele : alleles) {
      const std::optional<double>& value = allele.values[s];
      // An infinity ranks as the most extreme score (a -log10 p of 0, say); a mean with one is
      // infinite (or undefined with both signs: written as null in the JSON).
      SPINDLE_CHECK(!value || !std::isnan(*value), options.vcf + ": " + allele_name(allele),
                    evaluation.score.field + " is NaN", "a number, or '.' for no score");
      if (!value) {
        ++(allele.flagged ? evaluation.flagged_missing : evaluation.unflagged_missing);
      } else {
        (allele.flagged ? flagged : unflagged).push_back(*value);
      }
    }
    evaluation.flagged = static_cast<int64_t>(flagged.size());
    evaluation.unflagged = static_cast<int64_t>(unflagged.size());
    evaluation.flagged_mean = mean(flagged);
    evaluation.unflagged_mean = mean(unflagged);
    if (flagged.empty() || unflagged.empty()) {
      // One score the scorer skipped on a class (or a class absent) must not hide the others' AUROCs.
      evaluation.auroc_undefined = fmt::format("{} alleles with {} and {} without it have a value ({} have none)",
                                               evaluation.flagged, options.truth_flag, evaluation.unflagged,
                                               evaluation.flagged_missing + evaluation.unflagged_missing);
      spdlog::warn("evaluate-scores: {}: {}: no AUROC: {}", options.vcf, evaluation.score.field,
                   evaluation.auroc_undefined);
    } else {
      if (evaluation.score.direction == ScoreDirection::lower) {
        for (double& v : flagged) v = -v;
        for (double& v : unflagged) v = -v;
      }
      evaluation.auroc = auroc(flagged, unflagged);
    }
    evaluations.push_back(evaluation);
  }
  if (std::none_of(evaluations.begin(), evaluations.end(), [](const ScoreEvaluation& e) { return e.auroc; })) {
    std::string reasons;
    for (const ScoreEvaluation& e : evaluations) {
      reasons += (reasons.empty() ? "" : "; ") + e.score.field + ": " + e.auroc_undefined;
    }
    throw Error(options.vcf, "no score has an AUROC: " + reasons,
                "for at least one score, scored alleles both with and without " + options.truth_flag);
  }
  if (options.json_out) {
    const nlohmann::json report = to_json(options, evaluations);
    write_file_atomically(*options.json_out, [&](std::ostream& out) { out << report.dump(2) << "\n"; });
    spdlog::info("evaluate-scores: {} written", *options.json_out);
  }
  return evaluations;
}

}  // namespace spindle
