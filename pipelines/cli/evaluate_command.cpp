#include <iostream>

#include "pipelines/cli/commands.h"
#include "pipelines/evaluate_scores.h"

namespace spindle::cli {

void add_evaluate_command(CLI::App& app, Runner& runner) {
  CLI::App* command =
      app.add_subcommand("evaluate-scores", "AUROC of variant scores in a VCF against a truth flag");
  command->footer(
      "Reads every ALT allele of the VCF (plain, bgzip or BCF) with the INFO flag given by\n"
      "--truth-flag and the scores (INFO fields, Number=A or 1, Float or Integer), and prints\n"
      "per score the AUROC: the probability that a flagged allele's score is further in the\n"
      "score's direction than an unflagged one's, tied scores counting one half (the\n"
      "Mann-Whitney U statistic with average ranks). 0.5 is chance, 1 perfect separation.\n"
      "Alleles without a value ('.', or skipped by the scorer) are counted and left out.\n"
      "A score without a value on any flagged or any unflagged allele has no AUROC: it is\n"
      "reported as undefined with the counts (null in the JSON), and the command fails only\n"
      "when no score has an AUROC.\n"
      "Infinite values rank as the most extreme; NaN is an error. An ALT allele in two records\n"
      "counts once when its flag and values agree, and is an error when they do not.\n"
      "A direction after a colon overrides --direction for that score.\n"
      "Examples:\n"
      "  spindle evaluate-scores --vcf scored.vcf.gz --truth-flag MOTIF_DISRUPTING --score SPINDLE_LLR --direction lower\n"
      "  spindle evaluate-scores --vcf scored.vcf.gz --truth-flag MOTIF_DISRUPTING \\\n"
      "      --score SPINDLE_LLR:lower,SPINDLE_EMBED_COSINE:higher --json auroc.json\n");
  auto options = std::make_shared<EvaluateScoresOptions>();
  auto scores = std::make_shared<std::vector<std::string>>();
  auto direction = std::make_shared<std::string>("higher");
  auto json_out = std::make_shared<std::string>();
  command->add_option("--vcf", options->vcf, "a scored VCF or BCF")->required()->check(CLI::ExistingFile);
  command->add_option("--truth-flag", options->truth_flag, "INFO flag of the records to separate")->required();
  command->add_option("--score", *scores, "INFO fields to rank by (comma-separated; FIELD[:lower|:higher])")
      ->required()
      ->delimiter(',');
  command->add_option("--direction", *direction, "which end of a score points to the flag")
      ->check(CLI::IsMember({"lower", "higher"}))
      ->capture_default_str();
  command->add_option("--json", *json_out, "also write the figures as JSON to this file");
  command->callback([&runner, options, scores, direction, json_out] {
    runner = [options, scores, direction, json_out] {
      const ScoreDirection fallback = *direction == "lower" ? ScoreDirection::lower : ScoreDirection::higher;
      for (const std::string& text : *scores) options->scores.push_back(parse_score_spec(text, fallback, "--score"));
      if (!json_out->empty()) options->json_out = *json_out;
      std::cout << evaluation_table(*options, evaluate_scores(*options));
      return 0;
    };
  });
}

}  // namespace spindle::cli
