// Random access to FASTA (io/indexed_fasta.h): the index made as samtools makes it, any
// range of generated plain and bgzip FASTA equal to the bases written, soft masks, errors;
// and on the shared genomes, windows equal to what the streamed reader reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
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

// Every record of `path` as the streamed reader reads it.
std::vector<Record> read_streamed(const std::string& path) {
  FastaReader reader(path);
  FastaRecordHeader header;
  std::vector<Record> records;
  while (reader.next_record(header)) {
    records.push_back({header.name, {}});
    for (std::string_view bases; reader.next_bases(bases);) records.back().bases += bases;
  }
  return records;
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
  EXPECT_EQ(message_of([&] { fai_records(fasta); }),
            fasta +
                ".fai:2: 'm' (expected a record name, then its length in bases, offset, bases per line and bytes "
                "per line, tab-separated (samtools faidx))");
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

// A FASTA changed after it was indexed: htslib would read its bases at the old offsets and
// return wrong bases without a word, so an index that does not match the FASTA's layout is
// refused, naming what differs. A FASTA written again with the same layout (the index now
// older than it, as after copying the two in either order) reads correctly and is used.
TEST(IndexedFasta, AnIndexOfTheFastaBeforeItChangedIsRefusedNamingWhatDiffers) {
  TemporaryFolder folder;
  const std::string path = folder.write("x.fa", ">x\nACGTACGT\n>y\nGGCC\n");
  IndexedFasta{path};  // makes x.fa.fai
  const std::string remake = " (expected an index made from this FASTA (delete it to have it made again))";
  const std::string changed = ": " + path + " changed after it was indexed, and bases would be read from the old places";
  // The refusal of the old index once the FASTA holds `fasta`.
  auto refusal = [&](const std::string& fasta) {
    folder.write("x.fa", fasta);
    return message_of([&] { IndexedFasta{path}; });
  };
  EXPECT_EQ(refusal(">x\nTTTTACGTACGT\n>y\nGGCC\n"),
            path + ".fai: record x has bases past its indexed length of 8 (at byte 11, 0-based)" + changed + remake);
  EXPECT_EQ(refusal(">x\nACGTACGT\nAA\n>y\nGGCC\n"),
            path + ".fai: record x has bases past its indexed length of 8 (at byte 12, 0-based)" + changed + remake);
  EXPECT_EQ(refusal(">x\nACGTACGT\n>y long description\nGGCC\n"),
            path + ".fai: record y's bases start at byte 32 (0-based), the index says 15" + changed + remake);
  EXPECT_EQ(refusal(">x\nACGTACGT\n"), path + ".fai: indexes record y after x, where the FASTA ends" + changed + remake);
  // The same layout written again, other bases in place: read as the file has them now.
  folder.write("x.fa", ">x\nTTTTTTTT\n>y\nAAAA\n");
  std::filesystem::last_write_time(path + ".fai",
                                   std::filesystem::last_write_time(path) - std::chrono::seconds(10));
  expect_ranges_match(IndexedFasta(path), {{"x", "TTTTTTTT"}, {"y", "AAAA"}}, 44);
  // Deleted: made again from the FASTA as it is now.
  folder.write("x.fa", ">x\nTTTTACGTACGT\n>y\nGGCC\n");
  std::filesystem::remove(path + ".fai");
  EXPECT_EQ(IndexedFasta(path).length("x"), 12);

  // bgzip: positions in the uncompressed text, through the .gzi.
  const std::vector<Record> records = {{"a", random_bases(100'001, 41)}, {"b", random_bases(70, 42)}};
  folder.write("ab.fa", fasta_text(records, 60));
  run("bgzip -c " + folder.file("ab.fa") + " > " + folder.file("ab.fa.gz"));
  const std::string bgzip = folder.file("ab.fa.gz");
  expect_ranges_match(IndexedFasta(bgzip), records, 43);
  folder.write("ab.fa", fasta_text({{"a", random_bases(100'061, 41)}, records[1]}, 60));
  run("bgzip -c " + folder.file("ab.fa") + " > " + bgzip);
  // Its .gzi is stale too: whichever index htslib trips on first, the error names the file.
  const std::string message = message_of([&] { IndexedFasta{bgzip}; });
  EXPECT_TRUE(message.starts_with(bgzip)) << message;
}

// htslib indexes the first of records that share a name and leaves the others out (with a
// warning): every fetch of the name would read the first. Refused, naming the name and file,
// whoever made the index, wherever the second record is.
TEST(IndexedFasta, RecordsSharingANameAreRefusedNamingTheName) {
  TemporaryFolder folder;
  const std::string last = folder.write("last.fa", ">x\nACGT\n>y desc\nGGGG\n>x again\nTTTTTT\n");
  EXPECT_EQ(message_of([&] { IndexedFasta{last}; }),
            last +
                ": a second record named 'x', its header at byte 21 (0-based): htslib indexes only the first of "
                "records that share a name, so the second could never be read (expected a name of its own for every "
                "record (rename or remove the second 'x'))");
  // The index samtools makes (the same: it also leaves the second out).
  const std::string middle = folder.write("middle.fa", ">x\nACGT\n>x\nTT\n>y\nGG\n");
  run("samtools faidx " + middle + " 2> /dev/null");
  EXPECT_NE(
      message_of([&] { IndexedFasta{middle}; }).find(middle + ": a second record named 'x', its header at byte 8 "),
      std::string::npos);
  // bgzip: positions in the uncompressed text, read through the .gzi.
  const std::vector<Record> records = {{"long", random_bases(200'001, 21)}, {"long", random_bases(70, 22)}};
  folder.write("long.fa", fasta_text(records, 60));
  run("bgzip -c " + folder.file("long.fa") + " > " + folder.file("long.fa.gz"));
  const std::string bgzip = folder.file("long.fa.gz");
  EXPECT_NE(message_of([&] {
              IndexedFasta{bgzip};
            }).find(bgzip + ": a second record named 'long', its header at byte 203355 "),
            std::string::npos);
  // An index that leaves out a record of another name was not made from this FASTA.
  const std::string partial = folder.write("partial.fa", ">x\nACGT\n>y\nGG\n");
  folder.write("partial.fa.fai", "x\t4\t3\t4\t5\n");
  EXPECT_EQ(message_of([&] { IndexedFasta{partial}; }),
            partial + ".fai: does not index record y of " + partial +
                ", its header at byte 8 (0-based) (expected an index made from this FASTA (delete it to have it made "
                "again))");
  // An index another tool wrote with the name twice.
  const std::string listed = folder.write("listed.fa", ">x\nACGT\n>y\nGGGG\n");
  folder.write("listed.fa.fai", "x\t4\t3\t4\t5\nx\t4\t11\t4\t5\n");
  EXPECT_EQ(message_of([&] { IndexedFasta{listed}; }),
            listed + ".fai:2: record x is listed again (first on line 1) (expected one line per record of " + listed +
                " (delete the index to have it made again))");
}

// htslib leaves a record without bases out of its index (samtools faidx too: the index is
// complete), and names a record by the first word of its header, blanks after '>' skipped:
// the index matches such a FASTA, which reads as htslib reads it.
TEST(IndexedFasta, RecordsWithoutBasesAndBlanksBeforeANameMatchTheIndexAsHtslibMakesIt) {
  TemporaryFolder folder;
  const std::vector<Record> records = {{"a", "ACGTAC"}, {"b", "GGGG"}};
  const std::vector<std::string> texts = {">a\nACGT\nAC\n>e\n>b\nGGGG\n", ">e\n\n>a\nACGTAC\n>e2 x\n>b\nGGGG",
                                          ">a\r\nACGT\r\nAC\r\n>e\r\n>b\r\nGGGG\r\n", "> a desc\nACGT\nAC\n>\tb\nGGGG\n"};
  for (size_t i = 0; i < texts.size(); ++i) {
    for (const bool by_samtools : {false, true}) {
      const std::string path = folder.write(std::to_string(i) + (by_samtools ? "s.fa" : ".fa"), texts[i]);
      if (by_samtools) run("samtools faidx " + path);
      std::vector<FastaContig> contigs;
      const std::string message = message_of([&] {
        const IndexedFasta fasta(path);
        contigs = fasta.contigs();
        expect_ranges_match(fasta, records, 51);
      });
      EXPECT_EQ(message, "(no error)") << i;
      ASSERT_EQ(contigs.size(), 2u) << i;
      EXPECT_EQ(contigs[0].name, "a");
      EXPECT_EQ(contigs[1].name, "b");
    }
  }
  // Bases after a header the index leaves out are still refused.
  const std::string partial = folder.write("partial.fa", ">a\nACGT\n>e\n>y\nGG\n");
  folder.write("partial.fa.fai", "a\t4\t3\t4\t5\n");
  EXPECT_NE(message_of([&] { IndexedFasta{partial}; }).find(".fai: does not index record y of "), std::string::npos);
}

// Spaces, tabs and '\r' that end a line of bases are dropped, as samtools drops them; inside
// a line they are still unknown characters named by file:line:column, also when the blanks
// fill the end of the read buffer and the next read starts with a base.
TEST(IndexedFasta, BlanksEndingSequenceLinesAreDroppedAsSamtoolsDoes) {
  TemporaryFolder folder;
  const std::vector<Record> records = {{"a", random_bases(300, 31)}, {"b", random_bases(125, 32)}};
  std::string text;
  for (const Record& record : records) {
    text += ">" + record.name + "\n";
    for (size_t i = 0; i < record.bases.size(); i += 50) text += record.bases.substr(i, 50) + " \t \r\n";
  }
  const std::string path = folder.write("blanks.fa", text);
  const std::vector<Record> read = read_streamed(path);
  ASSERT_EQ(read.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(read[i].bases, records[i].bases) << records[i].name;
  expect_ranges_match(IndexedFasta(path), records, 33);

  const std::string inside = folder.write("inside.fa", ">a\nACGT \nAC GT\n");
  EXPECT_EQ(message_of([&] { read_streamed(inside); }),
            inside +
                ":3:3: unknown character ' ' in sequence (expected a base A C G T N, an IUPAC code (R Y K M S W "
                "B D H V) or their lowercase)");

  // ">a\n" and the bases leave the blanks at the buffer's last two bytes; the next read decides.
  constexpr size_t kReadBuffer = 256 * 1024;  // io/fasta_reader.cpp
  const std::string line = random_bases(kReadBuffer - 5, 34);
  for (const auto& [after_blanks, error] :
       {std::pair<std::string, std::string>{" \n", ""},
        {"G\n", ":2:" + std::to_string(line.size() + 1) + ": unknown character ' '"}}) {
    const std::string straddling = folder.write("straddling.fa", ">a\n" + line + "  " + after_blanks);
    std::vector<Record> read_long;
    const std::string message = message_of([&] { read_long = read_streamed(straddling); });
    if (error.empty()) {
      EXPECT_EQ(message, "(no error)");
      ASSERT_EQ(read_long.size(), 1u);
      EXPECT_TRUE(read_long[0].bases == line) << read_long[0].bases.size() << " bases read";
    } else {
      EXPECT_NE(message.find(straddling + error), std::string::npos) << message;
    }
  }
}

// Windows of the shared genomes (plain with .fai; bgzip with .fai and .gzi) against the
// bases the streamed reader reads from the same files.
TEST(IndexedFasta, SharedGenomesMatchTheStreamedReader) {
  const char* kChr21 = "genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta";
  const char* kChr2 = "genome/hg38_chr2_head/chr2_1-2333275.fa.gz";
  SPINDLE_SKIP_WITHOUT_SHARED_DATA(kChr21, kChr2);
  for (const char* relative : {kChr21, kChr2}) {
    const std::string path = test::shared_data(relative);
    const std::vector<Record> records = read_streamed(path);
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
