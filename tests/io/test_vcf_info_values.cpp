// A VCF written as bgzip + tabix (io/bgzipped_vcf.h) that tabix and bcftools read back by
// region, and numeric INFO fields and a flag read per ALT allele (io/vcf_info_values.h):
// Number=A and Number=1, Float and Integer, missing values, and the header errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/bgzipped_vcf.h"
#include "io/vcf_info_values.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

const std::string kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=1000>\n"
    "##contig=<ID=chr2,length=1000>\n"
    "##INFO=<ID=TRUTH,Number=0,Type=Flag,Description=\"truth\">\n"
    "##INFO=<ID=LLR,Number=A,Type=Float,Description=\"per ALT\">\n"
    "##INFO=<ID=DEPTH,Number=1,Type=Integer,Description=\"per record\">\n"
    "##INFO=<ID=NOTE,Number=1,Type=String,Description=\"text\">\n"
    "##INFO=<ID=PAIR,Number=2,Type=Float,Description=\"two values\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

const std::string kRecords =
    "chr1\t10\t.\tA\tG\t.\t.\tTRUTH;LLR=-2.5;DEPTH=7\n"
    "chr1\t20\t.\tC\tT,A\t.\t.\tLLR=.,0.25;DEPTH=3\n"
    "chr2\t5\t.\tG\tC\t.\t.\tNOTE=x\n";

std::string command_output(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  char buffer[4096];
  size_t n = 0;
  while (pipe && (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  EXPECT_EQ(pipe ? pclose(pipe) : -1, 0) << command;
  return text;
}

TEST(BgzippedVcf, TabixAndBcftoolsReadItByRegion) {
  TemporaryFolder folder;
  const std::string path = folder.file("x.vcf.gz");
  write_bgzipped_vcf(path, kHeader + kRecords);
  EXPECT_TRUE(std::filesystem::exists(path + ".tbi"));
  EXPECT_EQ(command_output("bgzip -t " + path + " && echo ok"), "ok\n");
  EXPECT_EQ(command_output("tabix " + path + " chr1:15-25"), "chr1\t20\t.\tC\tT,A\t.\t.\tLLR=.,0.25;DEPTH=3\n");
  EXPECT_EQ(command_output("bcftools query -r chr2 -f '%CHROM %POS %REF %ALT\\n' " + path), "chr2 5 G C\n");
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.file("")), {}), 2);
}

TEST(BgzippedVcf, UnsortedRecordsAreAnErrorAndLeaveNothing) {
  TemporaryFolder folder;
  const std::string path = folder.file("x.vcf.gz");
  const std::string message =
      message_of([&] { write_bgzipped_vcf(path, kHeader + "chr1\t20\t.\tC\tT\t.\t.\t.\nchr1\t10\t.\tA\tG\t.\t.\t.\n"); });
  EXPECT_NE(message.find("tbx_index_build3"), std::string::npos) << message;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.file("")), {}), 0);
}

TEST(BgzippedVcf, AnOldIndexThatCannotBeReplacedLeavesTheOldVcf) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.vcf.gz", "old");
  // An index path that cannot be removed: a folder with a file in it.
  std::filesystem::create_directory(path + ".tbi");
  folder.write("x.vcf.gz.tbi/keep", "");
  const std::string message = message_of([&] { write_bgzipped_vcf(path, kHeader + kRecords); });
  EXPECT_NE(message.find(path + ".tbi"), std::string::npos) << message;
  EXPECT_NE(message.find("old index cannot be removed"), std::string::npos) << message;
  std::ifstream old(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(old), {}), "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.file("")), {}), 2);  // no temporaries
}

TEST(BgzippedVcf, AnOldIndexIsReplaced) {
  TemporaryFolder folder;
  const std::string path = folder.file("x.vcf.gz");
  write_bgzipped_vcf(path, kHeader + "chr2\t5\t.\tG\tC\t.\t.\t.\n");
  write_bgzipped_vcf(path, kHeader + kRecords);
  EXPECT_EQ(command_output("tabix " + path + " chr1:15-25"), "chr1\t20\t.\tC\tT,A\t.\t.\tLLR=.,0.25;DEPTH=3\n");
}

TEST(VcfInfoValues, ReadsEveryAltWithFlagAndValues) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.vcf", kHeader + kRecords);
  const std::vector<AlleleInfoValues> alleles = read_allele_info_values(path, "TRUTH", {"LLR", "DEPTH"});
  ASSERT_EQ(alleles.size(), 4u);
  EXPECT_EQ(alleles[0].chrom, "chr1");
  EXPECT_EQ(alleles[0].position, 10);
  EXPECT_TRUE(alleles[0].flagged);
  EXPECT_EQ(alleles[0].values[0], -2.5);
  EXPECT_EQ(alleles[0].values[1], 7);
  // A multi-allelic record: Number=A per ALT ('.' missing), Number=1 shared by both.
  EXPECT_EQ(alleles[1].allele, 1);
  EXPECT_FALSE(alleles[1].flagged);
  EXPECT_FALSE(alleles[1].values[0].has_value());
  EXPECT_EQ(alleles[1].values[1], 3);
  EXPECT_EQ(alleles[2].allele, 2);
  EXPECT_EQ(alleles[2].values[0], 0.25);
  EXPECT_EQ(alleles[2].values[1], 3);
  // A record without the fields has no values.
  EXPECT_EQ(alleles[3].chrom, "chr2");
  EXPECT_FALSE(alleles[3].values[0].has_value());
  EXPECT_FALSE(alleles[3].values[1].has_value());
}

TEST(VcfInfoValues, FieldsAndFlagMustBeDeclaredAsNeeded) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.vcf", kHeader + kRecords);
  std::string message = message_of([&] { read_allele_info_values(path, "TRUTH", {"SCORE"}); });
  EXPECT_NE(message.find("INFO field SCORE is not declared (declared: TRUTH, LLR, DEPTH, NOTE, PAIR)"), std::string::npos)
      << message;
  message = message_of([&] { read_allele_info_values(path, "TRUTH", {"NOTE"}); });
  EXPECT_NE(message.find("NOTE is not a number per ALT allele"), std::string::npos) << message;
  message = message_of([&] { read_allele_info_values(path, "TRUTH", {"PAIR"}); });
  EXPECT_NE(message.find("PAIR is not a number per ALT allele"), std::string::npos) << message;
  message = message_of([&] { read_allele_info_values(path, "LLR", {"DEPTH"}); });
  EXPECT_NE(message.find("INFO flag LLR is not declared as a flag"), std::string::npos) << message;
  message = message_of([&] { read_allele_info_values(folder.file("none.vcf"), "TRUTH", {"LLR"}); });
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;
}

TEST(VcfInfoValues, WrongValueCountNamesTheRecord) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.vcf", kHeader + "chr1\t20\t.\tC\tT,A\t.\t.\tLLR=0.5\n");
  const std::string message = message_of([&] { read_allele_info_values(path, "TRUTH", {"LLR"}); });
  EXPECT_NE(message.find("x.vcf: record 1"), std::string::npos) << message;
  EXPECT_NE(message.find("LLR has 1 values"), std::string::npos) << message;
}

}  // namespace
}  // namespace spindle
