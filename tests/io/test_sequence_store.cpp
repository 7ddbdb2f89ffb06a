// DNA stores: FASTA -> tokens through the whole ingest path, read back in ranges that
// cross chunk boundaries; transactions that fail leave nothing; appending; versions.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "io/dna_tokenizer.h"
#include "io/store_reader.h"
#include "io/store_transaction.h"
#include "kernels/error.h"
#include "pipelines/ingest_fasta.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::TemporaryFolder;

using test::random_bases;

// A FASTA record in lines of `width`, CRLF line ends.
std::string as_fasta(const std::string& name, const std::string& bases, size_t width) {
  std::string text = ">" + name + " test record\r\n";
  for (size_t i = 0; i < bases.size(); i += width) text += bases.substr(i, width) + "\r\n";
  return text;
}

TEST(DnaTokenizer, CaduceusTableAndIupacToN) {
  const auto& table = dna::token_table();
  EXPECT_EQ(dna::vocabulary().size(), 12u);
  EXPECT_EQ(dna::vocabulary()[7], "A");
  EXPECT_EQ(table['A'], 7);
  EXPECT_EQ(table['c'], 8);
  EXPECT_EQ(table['G'], 9);
  EXPECT_EQ(table['t'], 10);
  EXPECT_EQ(table['N'], 11);
  for (char code : std::string("RYKMSWBDHVrykmswbdhv")) EXPECT_EQ(table[static_cast<unsigned char>(code)], 11) << code;
  for (char other : std::string("-*.XU0 ")) EXPECT_EQ(table[static_cast<unsigned char>(other)], dna::kNotABase) << other;
  EXPECT_EQ(dna::complement(7), 10);
  EXPECT_EQ(dna::complement(8), 9);
  EXPECT_EQ(dna::complement(11), 11);
}

TEST(SequenceStore, RecordsLongerThanAChunkReadBackInAnyRange) {
  TemporaryFolder folder;
  const std::string long_bases = random_bases(2'500'003, 1), short_bases = random_bases(1000, 2);
  const std::string fasta = folder.write("x.fa", as_fasta("long", long_bases, 61) + as_fasta("short", short_bases, 80));
  const std::string store_path = folder.file("x.h5");
  {
    StoreTransaction store(store_path);
    const auto ingested = ingest_fasta(fasta, store, store::Compression::gzip);
    ASSERT_EQ(ingested.size(), 2u);
    EXPECT_EQ(ingested[0].length, 2'500'003);
    store.commit();
  }
  SequenceStoreReader reader(store_path);
  ASSERT_EQ(reader.sequences().size(), 2u);
  EXPECT_EQ(reader.sequences()[0].name, "long");
  EXPECT_EQ(reader.sequences()[0].length, 2'500'003);
  const auto& table = dna::token_table();
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 10}, {1'048'570, 1'048'590}, {1'000'000, 2'500'003}, {5, 5}}) {
    std::vector<uint8_t> tokens(static_cast<size_t>(end - begin));
    reader.read_tokens(0, begin, end, tokens.data());
    for (int64_t i = begin; i < end; ++i) {
      ASSERT_EQ(tokens[i - begin], table[static_cast<unsigned char>(long_bases[i])]) << "base " << i;
    }
  }
  std::vector<uint8_t> tokens(2);
  EXPECT_THROW(reader.read_tokens(1, 999, 1001, tokens.data()), Error);
}

TEST(SequenceStore, FailedTransactionLeavesNoFileAndAppendingKeepsEarlierRecords) {
  TemporaryFolder folder;
  const std::string store_path = folder.file("s.h5");
  const std::string good = folder.write("good.fa", ">a\nACGT\n"), bad = folder.write("bad.fa", ">b\nACGT\nAC!T\n");
  EXPECT_THROW(
      {
        StoreTransaction store(store_path);
        ingest_fasta(bad, store, store::Compression::none);
        store.commit();
      },
      Error);
  for (const auto& entry : std::filesystem::directory_iterator(folder.file(""))) {
    EXPECT_EQ(entry.path().extension(), ".fa") << "a failed ingest left " << entry.path();
  }
  for (const std::string& fasta : {good, folder.write("more.fa", ">c\nNNNN\n")}) {
    StoreTransaction store(store_path);
    ingest_fasta(fasta, store, store::Compression::none);
    store.commit();
  }
  SequenceStoreReader reader(store_path);
  ASSERT_EQ(reader.sequences().size(), 2u);
  EXPECT_EQ(reader.sequences()[0].name, "a");
  EXPECT_EQ(reader.sequences()[1].name, "c");
  StoreTransaction again(store_path);
  try {
    ingest_fasta(good, again, store::Compression::none);
    FAIL() << "a second record 'a' was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("good.fa:1: record a: a sequence of this name is already in the store"), std::string::npos)
        << e.what();
  }
}

TEST(SequenceStore, RefusesFilesThatAreNotStores) {
  TemporaryFolder folder;
  const std::string text = folder.write("text.h5", "not hdf5");
  EXPECT_THROW(SequenceStoreReader{text}, Error);
  const std::string plain = folder.file("plain.h5");
  H5Fclose(H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  try {
    SequenceStoreReader reader(plain);
    FAIL() << "a plain HDF5 file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a spindle store"), std::string::npos) << e.what();
  }
  EXPECT_THROW(StoreTransaction{plain}, Error) << "ingest into a plain HDF5 file";
  for (const auto& entry : std::filesystem::directory_iterator(folder.file(""))) {
    EXPECT_EQ(entry.path().string().find(".partial-"), std::string::npos) << "left " << entry.path();
  }
}

}  // namespace
}  // namespace spindle
