// Random access to FASTA (io/indexed_fasta.h): the index made as samtools makes it, any
// range of generated plain and bgzip FASTA equal to the bases written, soft masks, errors;
// and on the shared genomes, windows equal to what the streamed reader reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "io/dna_tokenizer.h"
#include "io/fasta_index.h"
#include "io/fasta_reader.h"
#include "io/indexed_fasta.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::random_bases;
using test::TemporaryFolder;

struct Record {
  std::string name, bases;
};

std::string fasta_text(const std::vector<Record>& records, size_t width) {
  std::string text;
  for (const Record& record : records) {
    text += ">" + record.name + " a description\n";
    for (size_t i = 0; i < record.bases.size(); i += width) text += record.bases.substr(i, width) + "\n";
  }
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

// Every range of `checks` random ones, and the edges, equal to the bases written.
void expect_ranges_match(const IndexedFasta& fasta, const std::vector<Record>& records, uint32_t seed) {
  std::mt19937 generator(seed);
  for (const Record& record : records) {
    const int64_t length = static_cast<int64_t>(record.bases.size());
    std::vector<std::pair<int64_t, int64_t>> ranges = {{0, length}, {0, 1}, {length - 1, length}, {length, length}};
    for (int i = 0; i < 40; ++i) {
      const int64_t a = generator() % (length + 1), b = generator() % (length + 1);
      ranges.push_back({std::min(a, b), std::max(a, b)});
    }
    for (const auto& [begin, end] : ranges) {
      std::vector<uint8_t> mask;
      const std::vector<uint8_t> tokens = fasta.fetch(record.name, begin, end, &mask);
      const std::string expected = record.bases.substr(begin, end - begin);
      ASSERT_EQ(tokens.size(), expected.size());
      ASSERT_EQ(mask.size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_EQ(tokens[i], dna::token_table()[static_cast<unsigned char>(expected[i])])
            << record.name << " base " << begin + i;
        ASSERT_EQ(mask[i], std::islower(static_cast<unsigned char>(expected[i])) ? 1 : 0) << record.name << " " << begin + i;
      }
    }
  }
}

std::vector<Record> generated_records() {
  return {{"chr1", random_bases(1000, 1)}, {"chr2", random_bases(61 * 5 + 7, 2)}, {"chrM", "g"}};
}

TEST(IndexedFasta, MakesTheIndexAsSamtoolsDoesAndFetchesAnyRange) {
  TemporaryFolder folder;
  const std::vector<Record> records = generated_records();
  const std::string text = fasta_text(records, 61);
  const std::string path = folder.write("x.fa", text), twin = folder.write("twin.fa", text);
  const IndexedFasta fasta(path);
  ASSERT_EQ(fasta.contigs().size(), 3u);
  EXPECT_EQ(fasta.contigs()[1].name, "chr2");
  EXPECT_EQ(fasta.contigs()[1].length, 61 * 5 + 7);
  EXPECT_EQ(fasta.length("chrM"), 1);
  EXPECT_TRUE(fasta.has_contig("chr1"));
  EXPECT_FALSE(fasta.has_contig("chr3"));
  run("samtools faidx " + twin);
  EXPECT_EQ(read_file(path + ".fai"), read_file(twin + ".fai"));
  expect_ranges_match(fasta, records, 3);
  // An existing index is used as it is.
  expect_ranges_match(IndexedFasta(twin), records, 4);
}

// htslib 1.16's faidx_seq_len is an int: a contig past 2^31 bases had a negative length.
// The .fai here claims 3e9 bases; only its first are read. A line without a length is named.
TEST(IndexedFasta, ContigLengthsPast2To31BasesAndIndexLinesWithoutALength) {
  TemporaryFolder folder;
  const std::string fasta = folder.write("l.fa", ">l\nACGTACGTACGT\n");
  folder.write("l.fa.fai", "l\t3000000000\t3\t12\t13\n");
  const IndexedFasta reference(fasta);
  ASSERT_EQ(reference.contigs().size(), 1u);
  EXPECT_EQ(reference.contigs()[0].length, 3'000'000'000);
  EXPECT_EQ(reference.length("l"), 3'000'000'000);
  folder.write("l.fa.fai", "l\t3000000000\t3\t12\t13\nm\n");
  EXPECT_EQ(message_of([&] { fai_record_lengths(fasta); }),
            fasta + ".fai:2: 'm' (expected a record name, a tab and its length in bases (samtools faidx))");
}

TEST(IndexedFasta, BgzipWithItsGziIndex) {
  TemporaryFolder folder;
  // Longer than several 64 KiB bgzip blocks, so that ranges start inside later blocks.
  const std::vector<Record> records = {{"long", random_bases(300'001, 5)}, {"short", random_bases(77, 6)}};
  folder.write("x.fa", fasta_text(records, 70));
  run("bgzip -c " + folder.file("x.fa") + " > " + folder.file("x.fa.gz"));
  const std::string path = folder.file("x.fa.gz");
  const IndexedFasta fasta(path);
  EXPECT_TRUE(std::filesystem::exists(path + ".fai"));
  EXPECT_TRUE(std::filesystem::exists(path + ".gzi"));
  expect_ranges_match(fasta, records, 7);
  // The index samtools makes reads the same.
  const std::string twin = folder.file("twin.fa.gz");
  std::filesystem::copy_file(path, twin);
  run("samtools faidx " + twin);
  expect_ranges_match(IndexedFasta(twin), records, 8);
}

TEST(IndexedFasta, ErrorsNameTheFileContigAndRange) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.fa", fasta_text(generated_records(), 61));
  const IndexedFasta fasta(path);
  EXPECT_EQ(message_of([&] { fasta.fetch("chr9", 0, 10); }),
            path + ": no contig named 'chr9' (expected a contig of the FASTA: chr1, chr2, chrM (3 contigs))");
  EXPECT_EQ(message_of([&] { fasta.fetch("chr1", 990, 1001); }),
            path + ": chr1: range [990, 1001) is not within the contig (1000 bases) (expected 0 <= begin <= end <= 1000 "
                   "(0-based, end exclusive))");
  EXPECT_NE(message_of([&] { fasta.fetch("chr1", 20, 10); }).find("range [20, 10) is not within"), std::string::npos);
  EXPECT_NE(message_of([&] { fasta.fetch("chr1", -1, 10); }).find("range [-1, 10) is not within"), std::string::npos);

  const std::string dash = folder.write("dash.fa", ">a\nACGTACGT\nAC-T\n");
  EXPECT_EQ(message_of([&] { IndexedFasta(dash).fetch("a", 0, 12); }),
            dash + ": a:11 (1-based): unknown character '-' in sequence (expected a base A C G T N, an IUPAC code (R Y "
                   "K M S W B D H V) or their lowercase)");

  const std::string ragged = folder.write("ragged.fa", ">a\nACGTACGT\nACG\nACGTACGT\n");
  EXPECT_NE(message_of([&] { IndexedFasta{ragged}; }).find(ragged + ": htslib cannot index it"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(ragged + ".fai"));

  run("gzip -c " + path + " > " + folder.file("x.fa.gz"));
  EXPECT_NE(message_of([&] { IndexedFasta{folder.file("x.fa.gz")}; }).find("gzip-compressed, which cannot be read at random"),
            std::string::npos);
}

// Windows of the shared genomes (plain with .fai; bgzip with .fai and .gzi) against the
// bases the streamed reader reads from the same files.
TEST(IndexedFasta, SharedGenomesMatchTheStreamedReader) {
  const char* kChr21 = "genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta";
  const char* kChr2 = "genome/hg38_chr2_head/chr2_1-2333275.fa.gz";
  SPINDLE_SKIP_WITHOUT_SHARED_DATA(kChr21, kChr2);
  for (const char* relative : {kChr21, kChr2}) {
    const std::string path = test::shared_data(relative);
    std::vector<Record> records;
    FastaReader reader(path);
    FastaRecordHeader header;
    while (reader.next_record(header)) {
      records.push_back({header.name, {}});
      std::string_view bases;
      while (reader.next_bases(bases)) records.back().bases += bases;
    }
    const IndexedFasta fasta(path);
    ASSERT_EQ(fasta.contigs().size(), records.size()) << path;
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(fasta.contigs()[i].name, records[i].name);
      EXPECT_EQ(fasta.contigs()[i].length, static_cast<int64_t>(records[i].bases.size()));
    }
    expect_ranges_match(fasta, records, 9);
  }
}

// An unwrapped record (one line) of more bases than the reader's buffer holds comes in pieces,
// as samtools reads it; a Windows line end split across two reads of the buffer is dropped.
TEST(IndexedFasta, OneLineRecordsLongerThanTheReadBufferMatchTheStreamedReader) {
  constexpr size_t kReadBuffer = 256 * 1024;  // io/fasta_reader.cpp
  // ">a\r\n" and the bases put the first line's '\r' at the buffer's last byte.
  const std::vector<Record> records = {{"a", random_bases(kReadBuffer - 5, 11)},
                                       {"b", random_bases(3 * kReadBuffer + 7, 12)}};
  std::string text;
  for (const Record& record : records) text += ">" + record.name + "\r\n" + record.bases + "\r\n";
  TemporaryFolder folder;
  const std::string path = folder.write("unwrapped.fa", text);
  FastaReader reader(path);
  FastaRecordHeader header;
  std::vector<Record> read;
  size_t longest_piece = 0;
  while (reader.next_record(header)) {
    read.push_back({header.name, {}});
    std::string_view bases;
    while (reader.next_bases(bases)) {
      read.back().bases += bases;
      longest_piece = std::max(longest_piece, bases.size());
    }
  }
  ASSERT_EQ(read.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(read[i].name, records[i].name);
    EXPECT_TRUE(read[i].bases == records[i].bases) << records[i].name << ": " << read[i].bases.size() << " bases read";
  }
  EXPECT_LE(longest_piece, kReadBuffer);  // no line held whole
  expect_ranges_match(IndexedFasta(path), records, 5);
}

}  // namespace
}  // namespace spindle
