// AUROC as the Mann-Whitney U statistic with average ranks, against cases computed by hand,
// and evaluate-scores on a small scored VCF: directions, unscored alleles, undefined AUROCs, JSON, table, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "pipelines/evaluate_scores.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

TEST(Auroc, PerfectInverseAndAllEqual) {
  EXPECT_DOUBLE_EQ(auroc({3, 4}, {1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(auroc({1, 2}, {3, 4}), 0.0);
  EXPECT_DOUBLE_EQ(auroc({5, 5, 5}, {5, 5}), 0.5);
  EXPECT_DOUBLE_EQ(auroc({7}, {7}), 0.5);
}

TEST(Auroc, TiesCountOneHalf) {
  // Sorted 1p 2p 2p 2n 3n: ranks 1, 3, 3, 3, 5; U = (1 + 3 + 3) - 3 x 4 / 2 = 1 of 3 x 2 pairs.
  EXPECT_DOUBLE_EQ(auroc({1, 2, 2}, {2, 3}), 1.0 / 6);
  // Pairs: 2 beats 0.5 and 1.5; 4 and 5 beat all three; 3 beats two and ties one: 10.5 of 12.
  EXPECT_DOUBLE_EQ(auroc({2, 4, 5, 3}, {0.5, 1.5, 3}), 10.5 / 12);
  // Swapping the classes gives 1 - AUROC.
  EXPECT_DOUBLE_EQ(auroc({0.5, 1.5, 3}, {2, 4, 5, 3}), 1.5 / 12);
}

TEST(Auroc, NeedsBothClasses) {
  EXPECT_NE(message_of([] { auroc({}, {1}); }).find("0 positives and 1 negatives"), std::string::npos);
  EXPECT_NE(message_of([] { auroc({1}, {}); }).find("at least one of each"), std::string::npos);
}

TEST(ScoreSpec, FieldWithOptionalDirection) {
  EXPECT_EQ(parse_score_spec("LLR", ScoreDirection::higher, "--score").direction, ScoreDirection::higher);
  const ScoreSpec lower = parse_score_spec("LLR:lower", ScoreDirection::higher, "--score");
  EXPECT_EQ(lower.field, "LLR");
  EXPECT_EQ(lower.direction, ScoreDirection::lower);
  EXPECT_EQ(parse_score_spec("D:higher", ScoreDirection::lower, "--score").direction, ScoreDirection::higher);
  EXPECT_NE(message_of([] { parse_score_spec("LLR:up", ScoreDirection::higher, "--score"); }).find("direction 'up'"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_score_spec(":lower", ScoreDirection::higher, "--score"); }).find("no field name"),
            std::string::npos);
}

const std::string kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=1000>\n"
    "##INFO=<ID=DISRUPTS,Number=0,Type=Flag,Description=\"truth\">\n"
    "##INFO=<ID=LLR,Number=A,Type=Float,Description=\"log p(alt) - log p(ref)\">\n"
    "##INFO=<ID=DIST,Number=A,Type=Float,Description=\"embedding distance\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

TEST(EvaluateScores, DirectionsUnscoredAllelesAndJson) {
  TemporaryFolder folder;
  const std::string vcf = folder.write("s.vcf", kHeader +
                                                    "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5;DIST=0.9\n"
                                                    "chr1\t2\t.\tA\tG\t.\t.\tLLR=-1;DIST=0.2\n"
                                                    "chr1\t3\t.\tA\tG,T\t.\t.\tDISRUPTS;LLR=-3,.;DIST=0.1,0.3\n"
                                                    "chr1\t4\t.\tA\tC\t.\t.\tLLR=-2;DIST=0.1\n"
                                                    "chr1\t5\t.\tA\tC\t.\t.\t.\n");
  EvaluateScoresOptions options{vcf, "DISRUPTS",
                                {{"LLR", ScoreDirection::lower}, {"DIST", ScoreDirection::higher}},
                                folder.file("auroc.json")};
  const std::vector<ScoreEvaluation> results = evaluate_scores(options);
  ASSERT_EQ(results.size(), 2u);
  // LLR, lower: flagged {-5, -3} both below unflagged {-1, -2}; one flagged and one unflagged allele unscored.
  EXPECT_DOUBLE_EQ(results[0].auroc.value(), 1.0);
  EXPECT_EQ(results[0].flagged, 2);
  EXPECT_EQ(results[0].flagged_missing, 1);
  EXPECT_EQ(results[0].unflagged, 2);
  EXPECT_EQ(results[0].unflagged_missing, 1);
  EXPECT_DOUBLE_EQ(results[0].flagged_mean, -4);
  // DIST, higher: flagged {0.9, 0.1, 0.3} against {0.2, 0.1}: 2 + 0.5 + 2 of 6 pairs.
  EXPECT_NEAR(results[1].auroc.value(), 4.5 / 6, 1e-12);
  EXPECT_EQ(results[1].flagged, 3);

  std::ifstream json_file(folder.file("auroc.json"));
  const nlohmann::json report = nlohmann::json::parse(json_file);
  EXPECT_EQ(report["truth_flag"], "DISRUPTS");
  EXPECT_EQ(report["scores"][0]["field"], "LLR");
  EXPECT_EQ(report["scores"][0]["direction"], "lower");
  EXPECT_DOUBLE_EQ(report["scores"][0]["auroc"].get<double>(), 1.0);
  EXPECT_EQ(report["scores"][1]["flagged"]["scored"], 3);
  EXPECT_EQ(report["scores"][1]["unflagged"]["unscored"], 1);
}

TEST(EvaluateScores, AScoreWithoutAnAurocIsReportedUndefinedAndTheOthersAreComputed) {
  // DIST has no value on a flagged allele: no AUROC, the counts saying why; LLR's is computed.
  TemporaryFolder folder;
  const std::string vcf = folder.write("u.vcf", kHeader +
                                                    "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5\n"
                                                    "chr1\t2\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-4;DIST=.\n"
                                                    "chr1\t3\t.\tA\tG\t.\t.\tLLR=-1;DIST=0.2\n"
                                                    "chr1\t4\t.\tA\tC\t.\t.\tLLR=-2;DIST=0.1\n");
  EvaluateScoresOptions options{
      vcf, "DISRUPTS", {{"LLR", ScoreDirection::lower}, {"DIST", ScoreDirection::higher}}, folder.file("u.json")};
  const std::vector<ScoreEvaluation> results = evaluate_scores(options);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].auroc.has_value());
  EXPECT_DOUBLE_EQ(*results[0].auroc, 1.0);
  EXPECT_FALSE(results[1].auroc.has_value());
  EXPECT_EQ(results[1].flagged, 0);
  EXPECT_EQ(results[1].flagged_missing, 2);
  EXPECT_EQ(results[1].unflagged, 2);
  const std::string why = "0 alleles with DISRUPTS and 2 without it have a value (2 have none)";
  EXPECT_NE(results[1].auroc_undefined.find(why), std::string::npos) << results[1].auroc_undefined;

  // The JSON stays valid: null for the AUROC (and the mean of no values), the reason beside it.
  std::ifstream json_file(folder.file("u.json"));
  const nlohmann::json report = nlohmann::json::parse(json_file);
  EXPECT_DOUBLE_EQ(report["scores"][0]["auroc"].get<double>(), 1.0);
  EXPECT_FALSE(report["scores"][0].contains("auroc_undefined"));
  EXPECT_TRUE(report["scores"][1]["auroc"].is_null());
  EXPECT_TRUE(report["scores"][1]["flagged"]["mean"].is_null());
  EXPECT_EQ(report["scores"][1]["flagged"]["scored"], 0);
  EXPECT_NE(report["scores"][1]["auroc_undefined"].get<std::string>().find(why), std::string::npos);

  // The table says "undefined" in the AUROC column and why under the table.
  const std::string table = evaluation_table(options, results);
  EXPECT_NE(table.find("LLR                      lower        1.0000"), std::string::npos) << table;
  EXPECT_NE(table.find("DIST                     higher    undefined"), std::string::npos) << table;
  EXPECT_NE(table.find("DIST: AUROC undefined: " + why), std::string::npos) << table;
}

TEST(EvaluateScores, NoUnflaggedAlleleScoredLeavesTheAurocUndefined) {
  TemporaryFolder folder;
  const std::string vcf = folder.write("p.vcf", kHeader +
                                                    "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5;DIST=1\n"
                                                    "chr1\t2\t.\tA\tG\t.\t.\tLLR=-1\n");
  const std::vector<ScoreEvaluation> results = evaluate_scores(
      {vcf, "DISRUPTS", {{"LLR", ScoreDirection::lower}, {"DIST", ScoreDirection::higher}}, std::nullopt});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].auroc.has_value());
  EXPECT_FALSE(results[1].auroc.has_value());
  EXPECT_NE(results[1].auroc_undefined.find("1 alleles with DISRUPTS and 0 without it have a value (1 have none)"),
            std::string::npos)
      << results[1].auroc_undefined;
}

TEST(EvaluateScores, ErrorsNameTheFieldAndWhatIsMissing) {
  // No score with an AUROC: an error naming each score's counts, and no report written.
  TemporaryFolder folder;
  const std::string all_flagged = folder.write("f.vcf", kHeader + "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5\n");
  const std::vector<ScoreSpec> scores = {{"LLR", ScoreDirection::lower}, {"DIST", ScoreDirection::higher}};
  std::string message = message_of([&] { evaluate_scores({all_flagged, "DISRUPTS", scores, folder.file("f.json")}); });
  EXPECT_FALSE(std::filesystem::exists(folder.file("f.json")));
  EXPECT_NE(message.find("f.vcf: no score has an AUROC: LLR: 1 alleles with DISRUPTS and 0 without it have a value "
                         "(0 have none); DIST: 0 alleles with DISRUPTS and 0 without it have a value (1 have none)"),
            std::string::npos)
      << message;
  const std::string nan = folder.write("n.vcf", kHeader + "chr1\t7\t.\tA\tG\t.\t.\tLLR=nan\n");
  message = message_of([&] { evaluate_scores({nan, "DISRUPTS", {{"LLR", ScoreDirection::lower}}, std::nullopt}); });
  EXPECT_NE(message.find("n.vcf: chr1:7"), std::string::npos) << message;
  EXPECT_NE(message.find("LLR is NaN"), std::string::npos) << message;
}

TEST(EvaluateScores, InfiniteScoresRankAsTheMostExtreme) {
  // -inf is the lowest LLR there is (direction lower: the most disruptive).
  TemporaryFolder folder;
  const std::string vcf = folder.write("i.vcf", kHeader +
                                                    "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-inf\n"
                                                    "chr1\t2\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-3\n"
                                                    "chr1\t3\t.\tA\tG\t.\t.\tLLR=-4\n"
                                                    "chr1\t4\t.\tA\tG\t.\t.\tLLR=inf\n");
  const std::vector<ScoreEvaluation> e = evaluate_scores({vcf, "DISRUPTS", {{"LLR", ScoreDirection::lower}}, {}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_DOUBLE_EQ(e[0].auroc.value(), 0.75);  // -inf beats both; -3 beats inf only
  EXPECT_EQ(e[0].flagged_mean, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(e[0].unflagged_mean, std::numeric_limits<double>::infinity());
}

TEST(EvaluateScores, AnAlleleRepeatedWithOtherValuesIsRefusedAndAnIdenticalRepeatCountsOnce) {
  // Flagged in one record and not in the other it would be a positive and a negative at once.
  // Another ALT at the same position, or a symbolic allele with another END, is another allele.
  TemporaryFolder folder;
  const std::string body = "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5\n"
                           "chr1\t1\t.\tA\tC\t.\t.\tLLR=-1\n"
                           "chr1\t2\t.\tA\tG,T\t.\t.\tLLR=-1,-2\n"
                           "chr1\t10\t.\tN\t<DEL>\t.\t.\tEND=100;LLR=-3\n"
                           "chr1\t10\t.\tN\t<DEL>\t.\t.\tEND=500;LLR=-4\n";
  std::string header = kHeader;
  header.insert(header.find("#CHROM"), "##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n");
  const std::string repeated = folder.write("r.vcf", header + body + "chr1\t1\t.\tA\tG\t.\t.\tDISRUPTS;LLR=-5\n");
  const std::vector<ScoreEvaluation> once =
      evaluate_scores({repeated, "DISRUPTS", {{"LLR", ScoreDirection::lower}}, std::nullopt});
  EXPECT_EQ(once[0].flagged + once[0].unflagged, 6);
  const std::string conflicting = folder.write("d.vcf", header + body + "chr1\t1\t.\tA\tG\t.\t.\tLLR=-5\n");
  const std::string message = message_of([&] {
    evaluate_scores({conflicting, "DISRUPTS", {{"LLR", ScoreDirection::lower}}, folder.file("d.json")});
  });
  EXPECT_NE(message.find("d.vcf: chr1:1 A>G: record 6 repeats record 1 with another flag (expected each ALT allele "
                         "once (bcftools norm -m-any -d exact removes repeats))"),
            std::string::npos)
      << message;
  EXPECT_FALSE(std::filesystem::exists(folder.file("d.json")));
}

}  // namespace
}  // namespace spindle
