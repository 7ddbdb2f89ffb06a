// `spindle evaluate-scores`: how well variant scores in a VCF's INFO fields separate the
// alleles of records with a truth flag (e.g. MOTIF_DISRUPTING from `spindle
// simulate-genome --motifs`) from the rest: the AUROC of each score, computed exactly as
// the Mann-Whitney U statistic with tied scores given their average rank.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

// The probability that a flagged allele's score is above an unflagged one's, ties counting
// one half: U / (positives x negatives) with U from average ranks. Needs both non-empty.
double auroc(const std::vector<double>& positives, const std::vector<double>& negatives);

// Which end of a score points to the flag: `lower` scores the negated values (e.g. a
// log-likelihood ratio, low when the alternative allele is unlikely).
enum class ScoreDirection { higher, lower };

struct ScoreSpec {
  std::string field;  // an INFO field, Number=A or 1, Float or Integer
  ScoreDirection direction = ScoreDirection::higher;
};

struct EvaluateScoresOptions {
  std::string vcf;
  std::string truth_flag;  // an INFO flag
  std::vector<ScoreSpec> scores;
  std::optional<std::string> json_out;  // written (temporary name, renamed) when set
};

struct ScoreEvaluation {
  ScoreSpec score;
  int64_t flagged = 0, unflagged = 0;                    // alleles with a value
  int64_t flagged_missing = 0, unflagged_missing = 0;    // alleles without one (not scored)
  double flagged_mean = 0, unflagged_mean = 0;           // of the values, as in the VCF; NaN when none
  // None when no flagged or no unflagged allele has a value; auroc_undefined then says so
  // with the counts ("0 alleles with FLAG and 12 without it have a value (3 have none)").
  std::optional<double> auroc;
  std::string auroc_undefined;
};

// Reads the VCF once and evaluates each score. A score without a value among the flagged or
// the unflagged alleles gets no AUROC (logged, and reported with the counts; null in the
// JSON); the others are still computed. Errors when no score has an AUROC, when a value is
// NaN, and when an ALT allele (CHROM, POS, REF, ALT) is in two records with other values.
std::vector<ScoreEvaluation> evaluate_scores(const EvaluateScoresOptions& options);

// What `spindle evaluate-scores` prints: a row per score ("undefined" for a missing AUROC),
// then a line per undefined AUROC saying why.
std::string evaluation_table(const EvaluateScoresOptions& options, const std::vector<ScoreEvaluation>& evaluations);

// "SPINDLE_LLR" or "SPINDLE_LLR:lower" / ":higher" (the direction after the colon, else
// `fallback`); `where` names the option in errors.
ScoreSpec parse_score_spec(const std::string& text, ScoreDirection fallback, const std::string& where);

}  // namespace spindle
