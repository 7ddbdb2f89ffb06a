// VCF reading against bcftools: split and normalized records must equal
// `bcftools norm -m -any -f REF` on the shared real VCFs (less its spanning-deletion '*'
// alleles, which the reader drops: they carry no sequence to score); REF mismatches are
// reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "io/vcf_reader.h"
#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::shared_data;
using test::TemporaryFolder;

using Site = std::tuple<std::string, int64_t, std::string, std::string>;  // chrom, 1-based pos, ref, alt

std::vector<Site> bcftools_normalized(const std::string& vcf, const std::string& reference) {
  const std::string command = "bcftools norm -m -any -f " + reference + " " + vcf +
                              " 2>/dev/null | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n'";
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::vector<Site> sites;
  char chrom[256], ref[4096], alt[4096];
  long long position = 0;
  while (std::fscanf(pipe, "%255s %lld %4095s %4095s", chrom, &position, ref, alt) == 4) {
    if (std::string(alt) != "*") sites.emplace_back(chrom, position, ref, alt);
  }
  EXPECT_EQ(pclose(pipe), 0) << command;
  return sites;
}

struct RealVcf {
  const char* vcf;
  const char* reference;
  int64_t records;
};

class VcfAgainstBcftools : public ::testing::TestWithParam<RealVcf> {};

TEST_P(VcfAgainstBcftools, SplitAndNormalizedLikeBcftoolsNorm) {
  SPINDLE_SKIP_WITHOUT_SHARED_DATA(GetParam().vcf, GetParam().reference);
  const std::string vcf = shared_data(GetParam().vcf), reference = shared_data(GetParam().reference);
  VcfReader reader(vcf, {reference, RefMismatchPolicy::error});
  std::vector<Site> ours;
  Variant variant;
  while (reader.next(variant)) ours.emplace_back(variant.chrom, variant.position + 1, variant.ref, variant.alt);
  EXPECT_EQ(reader.records_read(), GetParam().records);
  EXPECT_EQ(reader.ref_mismatches(), 0);
  std::vector<Site> expected = bcftools_normalized(vcf, reference);
  ASSERT_FALSE(expected.empty());
  std::sort(ours.begin(), ours.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ours.size(), expected.size());
  EXPECT_TRUE(ours == expected);
}

INSTANTIATE_TEST_SUITE_P(
    SharedData, VcfAgainstBcftools,
    ::testing::Values(RealVcf{"genome/1kgp_chr20_1M/z.vcf.gz", "genome/1kgp_chr20_1M/z.fa", 28998},
                      RealVcf{"genome/hg38_chr21_22M_23M/NA24143.vcf.gz",
                              "genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta", 1762},
                      RealVcf{"genome/hg38_chr21_22M_23M/Ashkenazim.vcf.gz",
                              "genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta", 1764}));

const char* kHeader =
    "##fileformat=VCFv4.2\n##contig=<ID=x,length=12>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

TEST(VcfReader, RefMismatchesAreReportedOrFatal) {
  TemporaryFolder folder;
  const std::string reference = folder.write("x.fa", ">x\nACGTACGTACGT\n");
  folder.write("x.fa.fai", "x\t12\t3\t12\t13\n");
  const std::string vcf = folder.write("v.vcf", std::string(kHeader) + "x\t2\t.\tC\tT\t.\t.\t.\nx\t3\trs1\tT\tA,C\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::report});
  std::vector<Variant> variants;
  Variant variant;
  while (reader.next(variant)) variants.push_back(variant);
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_TRUE(variants[0].ref_matches);
  EXPECT_EQ(variants[0].describe(), "x:2 C>T");
  EXPECT_FALSE(variants[1].ref_matches);
  EXPECT_EQ(variants[2].allele, 2);
  EXPECT_EQ(variants[2].alleles, 2);
  EXPECT_EQ(reader.ref_mismatches(), 1);
  VcfReader strict(vcf, {reference, RefMismatchPolicy::error});
  try {
    while (strict.next(variant)) {
    }
    FAIL() << "a REF mismatch passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v.vcf: record 2 at x:3: REF T differs from the reference (expected REF G as in"),
              std::string::npos)
        << e.what();
  }
}

TEST(VcfReader, IndelsAreLeftAlignedWithTheReference) {
  TemporaryFolder folder;
  const std::string reference = folder.write("r.fa", ">x\nGCACACACAT\n");
  folder.write("r.fa.fai", "x\t10\t3\t10\t11\n");
  // Deleting the "CA" at 1-based 8-9 is the same as deleting the first "CA" at 2-3.
  const std::string vcf = folder.write("d.vcf", std::string(kHeader) + "x\t7\t.\tACA\tA\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::error});
  Variant variant;
  ASSERT_TRUE(reader.next(variant));
  EXPECT_EQ(variant.describe(), "x:1 GCA>G");
  EXPECT_EQ(variant.position, 0);
}

// An indel at a contig's first base cannot take a padding base from the left: the VCF
// specification pads it on the right, and bcftools norm leaves it there.
TEST(VcfReader, IndelsAtTheContigStartKeepTheirBaseOnTheRightAsBcftoolsNormDoes) {
  TemporaryFolder folder;
  const std::string reference = folder.write("s.fa", ">x\nAACGTACGTACG\n");
  folder.write("s.fa.fai", "x\t12\t3\t12\t13\n");
  const std::string vcf = folder.write("s.vcf", std::string(kHeader) +
                                                    "x\t1\t.\tAA\tA\t.\t.\t.\nx\t1\t.\tAAC\tAC\t.\t.\t.\n"
                                                    "x\t1\t.\tA\tAA\t.\t.\t.\nx\t2\t.\tA\tAA,C\t.\t.\t.\n"
                                                    "x\t3\t.\tC\tAC\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::error});
  std::vector<Site> ours;
  Variant variant;
  while (reader.next(variant)) ours.emplace_back(variant.chrom, variant.position + 1, variant.ref, variant.alt);
  const std::vector<Site> expected = {{"x", 1, "AA", "A"}, {"x", 1, "AA", "A"}, {"x", 1, "A", "AA"},
                                      {"x", 1, "A", "AA"}, {"x", 2, "A", "C"},  {"x", 1, "A", "AA"}};
  EXPECT_EQ(ours, expected);
  std::vector<Site> by_bcftools = bcftools_normalized(vcf, reference);  // sorted by position
  std::sort(ours.begin(), ours.end());
  std::sort(by_bcftools.begin(), by_bcftools.end());
  EXPECT_EQ(ours, by_bcftools);
}

// htslib's faidx clamps a range past a contig's end to its last base, so a SNV there was
// compared with that base (and passed when equal), while a longer REF there stopped the run.
TEST(VcfReader, RefPastTheContigEndIsAMismatchNamingTheContigLength) {
  TemporaryFolder folder;
  const std::string reference = folder.write("x.fa", ">x\nACGTACGTACGT\n");
  folder.write("x.fa.fai", "x\t12\t3\t12\t13\n");
  const std::string vcf = folder.write(
      "p.vcf", std::string(kHeader) + "x\t50\t.\tT\tC\t.\t.\t.\nx\t12\t.\tTA\tT\t.\t.\t.\nx\t2\t.\tC\tT\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::report});
  std::vector<Variant> variants;
  Variant variant;
  while (reader.next(variant)) variants.push_back(variant);
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_FALSE(variants[0].ref_matches);
  EXPECT_FALSE(variants[1].ref_matches);
  EXPECT_EQ(variants[1].describe(), "x:12 TA>T");  // not normalized
  EXPECT_TRUE(variants[2].ref_matches);
  EXPECT_EQ(reader.ref_mismatches(), 2);
  VcfReader strict(vcf, {reference, RefMismatchPolicy::error});
  const std::string message = message_of([&] { strict.next(variant); });
  EXPECT_NE(message.find("p.vcf: record 1 at x:50: REF T is not within contig x (expected a REF within the 12 bases "
                         "of x in " + reference + ")"),
            std::string::npos)
      << message;
}

// faidx_seq_len returns an int: a contig past 2^31 bases (the .fai claims 3e9 here; only its
// first bases are read) had a negative length, and every REF on it was a mismatch.
TEST(VcfReader, ContigsLongerThan2To31BasesAreCheckedIn64Bits) {
  TemporaryFolder folder;
  const std::string reference = folder.write("x.fa", ">x\nACGTACGTACGT\n");
  folder.write("x.fa.fai", "x\t3000000000\t3\t12\t13\n");
  const std::string vcf = folder.write("l.vcf", std::string(kHeader) + "x\t2\t.\tC\tT\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::error});
  Variant variant;
  ASSERT_TRUE(reader.next(variant));
  EXPECT_TRUE(variant.ref_matches);
}

TEST(VcfReader, ContigsMissingFromTheReferenceAreYieldedAsRead) {
  TemporaryFolder folder;
  const std::string reference = folder.write("x.fa", ">x\nACGTACGTACGT\n");
  folder.write("x.fa.fai", "x\t12\t3\t12\t13\n");
  const std::string vcf = folder.write(
      "m.vcf", "##fileformat=VCFv4.2\n##contig=<ID=x,length=12>\n##contig=<ID=y,length=30>\n"
               "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\ny\t20\t.\tACA\tA\t.\t.\t.\nx\t2\t.\tC\tT\t.\t.\t.\n");
  VcfReader reader(vcf, {reference, RefMismatchPolicy::error});
  Variant variant;
  ASSERT_TRUE(reader.next(variant));
  EXPECT_FALSE(variant.contig_in_reference);
  EXPECT_FALSE(variant.ref_matches);
  EXPECT_EQ(variant.describe(), "y:20 ACA>A");  // not normalized
  ASSERT_TRUE(reader.next(variant));
  EXPECT_TRUE(variant.contig_in_reference);
  EXPECT_TRUE(variant.ref_matches);
  EXPECT_EQ(reader.ref_mismatches(), 0);
}

// Found by tests/fuzz: htslib reads a line cut before REF as a record with no alleles,
// whose REF the reader then dereferenced.
TEST(VcfReader, ALineWithoutARefColumnIsAnErrorNamingTheRecord) {
  TemporaryFolder folder;
  const std::string vcf = folder.write("cut.vcf", std::string(kHeader) + "x\t2\t.\tC\tT\t.\t.\t.\nx\t3\n");
  VcfReader reader(vcf);
  Variant variant;
  ASSERT_TRUE(reader.next(variant));
  const std::string message = message_of([&] { reader.next(variant); });
  EXPECT_NE(message.find("cut.vcf: record 2: no REF column"), std::string::npos) << message;
}

// htslib reads such records but flags them; its error number alone told the user nothing.
TEST(VcfReader, ContigsAndTagsMissingFromTheHeaderAreNamedWithTheLineToAdd) {
  TemporaryFolder folder;
  const char* columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  const std::string no_contigs =
      folder.write("c.vcf", std::string("##fileformat=VCFv4.2\n") + columns + "chr7\t2\t.\tC\tT\t.\t.\t.\n");
  const std::string no_info = folder.write("i.vcf", std::string(kHeader) + "x\t2\t.\tC\tT\t.\t.\tDP=4\n");
  const std::string no_filter = folder.write("f.vcf", std::string(kHeader) + "x\t2\t.\tC\tT\t.\tq10\t.\n");
  Variant variant;
  VcfReader contigs(no_contigs);
  std::string message = message_of([&] { contigs.next(variant); });
  EXPECT_NE(message.find("c.vcf: record 1 at chr7:2: contig chr7 is not declared in the header "
                         "(expected a line ##contig=<ID=chr7,length=...>"),
            std::string::npos)
      << message;
  for (const std::string& vcf : {no_info, no_filter}) {
    VcfReader tags(vcf);
    message = message_of([&] { tags.next(variant); });
    EXPECT_NE(message.find(": record 1 at x:2: an INFO, FORMAT or FILTER tag of the record is not declared in the "
                           "header (htslib's warning above names it) (expected a line ##INFO=<ID=...>"),
              std::string::npos)
        << message;
  }
}

TEST(VcfReader, MissingReferenceIndexIsAnError) {
  TemporaryFolder folder;
  const std::string reference = folder.write("n.fa", ">x\nACGT\n");
  const std::string vcf = folder.write("v.vcf", kHeader);
  try {
    VcfReader reader(vcf, {reference, RefMismatchPolicy::report});
    FAIL() << "no error without n.fa.fai";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing index " + reference + ".fai"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spindle
