// Regions (io/genomic_regions.h): samtools-style text and BED files into 0-based half-open
// coordinates; errors name file:line and the field, or the option and value.
#include <gtest/gtest.h>

#include <cstdlib>

#include "io/genomic_regions.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

TEST(GenomicRegions, SamtoolsTextIsOneBasedAndInclusive) {
  const GenomicRegion region = parse_region("chr1:1,001-2,000", "--regions");
  EXPECT_EQ(region.contig, "chr1");
  EXPECT_EQ(region.begin, 1000);
  EXPECT_EQ(region.end, 2000);
  EXPECT_EQ(region.strand, '.');
  EXPECT_EQ(region.where, "--regions");
  EXPECT_EQ(parse_region("chrM:5-5", "r").end, 5);  // one base
  const GenomicRegion whole = parse_region("chr2", "r");
  EXPECT_EQ(whole.contig, "chr2");
  EXPECT_EQ(whole.begin, 0);
  EXPECT_FALSE(whole.end.has_value());
  const GenomicRegion braced = parse_region("{HLA-A*01:01}:3-9", "r");
  EXPECT_EQ(braced.contig, "HLA-A*01:01");
  EXPECT_EQ(braced.begin, 2);
  EXPECT_EQ(braced.end, 9);
  EXPECT_EQ(parse_region("{HLA-A*01:01}", "r").contig, "HLA-A*01:01");
  EXPECT_EQ(region_label("chr1", 1000, 2000), "chr1:1001-2000");
}

TEST(GenomicRegions, BadTextNamesTheOptionAndValue) {
  for (const char* bad : {"chr1:0-10", "chr1:10-5", "chr1:5", "chr1:", ":1-5", "chr1:a-b", "HLA-A*01:01", "{x}y"}) {
    EXPECT_NE(message_of([&] { parse_region(bad, "--regions " + std::string(bad)); })
                  .find("--regions " + std::string(bad) + ": got '" + bad + "'"),
              std::string::npos)
        << bad;
  }
}

TEST(GenomicRegions, BedIsZeroBasedWithCommentsNamesAndStrands) {
  TemporaryFolder folder;
  const std::string path = folder.write("r.bed",
                                        "# a comment\n"
                                        "track name=x\n"
                                        "browser position chr1:1-100\n"
                                        "\n"
                                        "chr1\t0\t100\n"
                                        "chr1\t10\t20\tgeneA\t0\t-\textra\tcolumns\r\n"
                                        "chr2\t5\t6\t.\t0\t+\n"
                                        "chr2\t7\t9\tgeneB\n");
  const std::vector<GenomicRegion> regions = read_bed(path);
  ASSERT_EQ(regions.size(), 4u);
  EXPECT_EQ(regions[0].contig, "chr1");
  EXPECT_EQ(regions[0].begin, 0);
  EXPECT_EQ(regions[0].end, 100);
  EXPECT_EQ(regions[0].name, "");
  EXPECT_EQ(regions[0].where, path + ":5");
  EXPECT_EQ(regions[1].name, "geneA");
  EXPECT_EQ(regions[1].strand, '-');
  EXPECT_EQ(regions[1].end, 20);
  EXPECT_EQ(regions[2].name, "");
  EXPECT_EQ(regions[2].strand, '+');
  EXPECT_EQ(regions[3].name, "geneB");
  EXPECT_EQ(regions[3].strand, '.');

  ASSERT_EQ(std::system(("gzip -k " + path).c_str()), 0);
  EXPECT_EQ(read_bed(path + ".gz").size(), 4u);
  EXPECT_TRUE(read_bed(folder.write("empty.bed", "# nothing\n")).empty());
}

TEST(GenomicRegions, BadBedLinesNameFileLineAndField) {
  TemporaryFolder folder;
  const auto error_of = [&](const std::string& line) {
    const std::string path = folder.write("bad.bed", "chr1\t0\t10\n" + line + "\n");
    return message_of([&] { read_bed(path); }).substr(path.size());
  };
  EXPECT_EQ(error_of("chr1 5 10"),
            ":2: 1 field(s) (expected at least 3 tab-separated fields: contig, start, end (0-based, end exclusive))");
  EXPECT_EQ(error_of("chr1\tx\t10"), ":2: field 2 (start) 'x' (expected a whole number >= 0 (0-based))");
  EXPECT_EQ(error_of("chr1\t-1\t10"), ":2: field 2 (start) '-1' (expected a whole number >= 0 (0-based))");
  EXPECT_EQ(error_of("chr1\t5\t1e3"), ":2: field 3 (end) '1e3' (expected a whole number (0-based, exclusive))");
  EXPECT_EQ(error_of("chr1\t5\t5"),
            ":2: field 3 (end) '5' is not after the start 5 (expected end > start: a region of at least one base)");
  EXPECT_EQ(error_of("\t5\t6"), ":2: field 1 (contig) is empty (expected a contig name)");
  EXPECT_EQ(error_of("chr1\t5\t6\tn\t0\tx"), ":2: field 6 (strand) 'x' (expected +, - or .)");
}

// A bgzip file cut at a block boundary inflates cleanly: only its missing end-of-file block
// tells that regions were lost (as the FASTA reader checks).
TEST(GenomicRegions, BgzipBedCutAtABlockBoundaryIsAnError) {
  TemporaryFolder folder;
  const std::string whole = folder.write("r.bed", "chr1\t0\t10\nchr1\t20\t30\n");
  const std::string cut = folder.file("cut.bed.gz");
  // The first line's blocks without the end-of-file block (28 bytes): the second line lost.
  ASSERT_EQ(std::system(("head -n 1 " + whole + " | bgzip -c | head -c -28 > " + cut).c_str()), 0);
  EXPECT_EQ(message_of([&] { read_bed(cut); }),
            cut + ": truncated bgzip file: the end-of-file marker block is missing (expected a complete bgzip file "
                  "(bgzip -c))");
  ASSERT_EQ(std::system(("bgzip -k " + whole).c_str()), 0);
  EXPECT_EQ(read_bed(whole + ".gz").size(), 2u);
}

TEST(GenomicRegions, OptionValuesAreBedFilesOrRegionsAndFitTheirContig) {
  TemporaryFolder folder;
  const std::string bed = folder.write("r.bed", "chr1\t10\t20\n");
  const std::vector<GenomicRegion> regions = read_regions({"chr2:1-5", bed, "chr3"}, "--regions");
  ASSERT_EQ(regions.size(), 3u);
  EXPECT_EQ(regions[0].where, "--regions chr2:1-5");
  EXPECT_EQ(regions[1].where, bed + ":1");
  EXPECT_EQ(regions[2].contig, "chr3");

  EXPECT_EQ(within_contig(regions[2], 500, "x.fa").end, 500);
  EXPECT_EQ(within_contig(regions[0], 5, "x.fa").end, 5);
  EXPECT_EQ(message_of([&] { within_contig(regions[1], 15, "x.fa"); }),
            bed + ":1: chr1:11-20 ends past the end of chr1 (15 bases in x.fa) (expected a region within the contig)");
  const std::string missing = folder.file("missing.bed");
  EXPECT_EQ(message_of([&] { read_regions({missing}, "--regions"); }),
            "--regions " + missing + ": no such file (expected an existing BED file)");
}

}  // namespace
}  // namespace spindle
