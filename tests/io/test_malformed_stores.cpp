// Stores that spindle did not write as they are: valid stores edited with the HDF5 C API as
// an h5py user might (a dataset of another type or rank, a value outside the alphabet, a
// missing or inconsistent attribute, strings in another character set). Every reader must
// either work or throw spindle::Error naming the file and the dataset or attribute.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/hdf5_handle.h"
#include "io/series_reader.h"
#include "io/series_writer.h"
#include "io/store_description.h"
#include "io/store_reader.h"
#include "io/store_transaction.h"
#include "io/window_reader.h"
#include "kernels/error.h"
#include "pipelines/ingest_fasta.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

// A store written by spindle with one DNA record, x: ACGTACGTNN (tokens 7 8 9 10 7 8 9 10 11 11).
std::string dna_store(const TemporaryFolder& folder) {
  const std::string path = folder.file("dna.h5");
  StoreTransaction store(path);
  ingest_fasta(folder.write("x.fa", ">x\nACGTACGTNN\n"), store, store::Compression::none);
  store.commit();
  return path;
}

// A store written by spindle with one series, s: 4 time steps of 2 channels at 250 Hz.
std::string series_store(const TemporaryFolder& folder) {
  const std::string path = folder.file("series.h5");
  Series series;
  series.name = "s";
  series.rows = 4;
  series.channels = 2;
  series.values = {1, 2, 3, 4, 5, 6, 7, 8};
  series.channel_names = {"a", "b"};
  series.units = {"mV", "mV"};
  series.kind = "wfdb";
  series.sampling_rate_hz = 250.0;
  StoreTransaction store(path);
  write_series(store, series, store::Compression::none);
  store.commit();
  return path;
}

// A store with the root attributes and nothing else, made without spindle's writers.
std::string bare_store(const TemporaryFolder& folder) {
  const std::string path = folder.file("bare.h5");
  Hdf5Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "H5Fcreate");
  write_attribute(file.get(), "spindle_format", std::string("spindle-store"));
  write_attribute(file.get(), "spindle_format_version", std::string("1.0"));
  return path;
}

Hdf5Handle open_for_editing(const std::string& path) {
  return Hdf5Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "H5Fopen " + path);
}

// Adds the empty group `group_path` to the store at `path`.
void add_group(const std::string& path, const char* group_path) {
  Hdf5Handle file = open_for_editing(path);
  Hdf5Handle group(H5Gcreate2(file.get(), group_path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   std::string("H5Gcreate2 ") + group_path);
}

// Replaces (or adds) the dataset at `dataset_path` by a contiguous one of `file_type` holding `data`.
void replace_dataset(const std::string& path, const std::string& dataset_path, hid_t file_type, hid_t memory_type,
                     const std::vector<int64_t>& dims, const void* data) {
  Hdf5Handle file = open_for_editing(path);
  if (H5Lexists(file.get(), dataset_path.c_str(), H5P_DEFAULT) > 0)
    H5Ldelete(file.get(), dataset_path.c_str(), H5P_DEFAULT);
  write_dataset(file.get(), dataset_path, file_type, memory_type, dims, data, 0, store::Compression::none);
}

void expect_contains(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "expected \"" << part << "\" in: " << message;
}

TEST(MalformedStore, TokensOfAnotherTypeOrRankAreRefusedNotConverted) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  const auto refusal = [&] { return message_of([&] { SequenceStoreReader reader(path); }); };
  // HDF5 would convert these on reading: 300.0 to 255, a token no model has.
  const std::vector<double> wide(10, 300.0);
  replace_dataset(path, "/sequences/x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {10}, wide.data());
  expect_contains(refusal(), path + ":/sequences/x: dataset of float64 [10] (expected uint8 [length]");
  const std::vector<int32_t> ints(10, 7);
  replace_dataset(path, "/sequences/x", H5T_STD_I32LE, H5T_NATIVE_INT32, {10}, ints.data());
  expect_contains(refusal(), path + ":/sequences/x: dataset of int32 [10] (expected uint8 [length]");
  const std::vector<uint8_t> tokens(10, 7);
  replace_dataset(path, "/sequences/x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 5}, tokens.data());
  expect_contains(refusal(), path + ":/sequences/x: dataset of uint8 [2, 5] (expected uint8 [length]");
}

TEST(MalformedStore, TokensThatAreNotBasesAreRefusedWhenRead) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  // 200: no token at all; 3: [MASK], which a trainer would take for its own masking; 0: the
  // fill value HDF5 returns for chunks never written.
  for (const uint8_t wrong : {uint8_t{200}, uint8_t{3}, uint8_t{0}}) {
    std::vector<uint8_t> tokens = {7, 8, 9, 10, 11, 7, 8, 9, 10, 11};
    tokens[6] = wrong;
    replace_dataset(path, "/sequences/x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {10}, tokens.data());
    SequenceStoreReader reader(path);
    std::vector<uint8_t> out(10);
    reader.read_tokens(0, 0, 6, out.data());
    EXPECT_EQ(out[5], 7);
    expect_contains(message_of([&] { reader.read_tokens(0, 2, 10, out.data()); }),
                    path + ":/sequences/x: token " + std::to_string(wrong) + " at position 6 (expected base tokens");
  }
}

TEST(MalformedStore, ASequenceThatIsNotADatasetOrNoSequenceNamesTheFile) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  add_group(path, "/sequences/y");
  expect_contains(message_of([&] { SequenceStoreReader reader(path); }),
                  path + ":/sequences/y: missing, or not a dataset (expected uint8 [length]");
  const std::string bare = bare_store(folder);
  add_group(bare, "/sequences");
  expect_contains(message_of([&] { SequenceStoreReader reader(bare); }), bare + ": the store holds no DNA sequences");
  {
    Hdf5Handle file = open_for_editing(bare);
    H5Ldelete(file.get(), "/sequences", H5P_DEFAULT);
  }
  const std::vector<uint8_t> tokens(4, 7);
  replace_dataset(bare, "/sequences", H5T_STD_U8LE, H5T_NATIVE_UINT8, {4}, tokens.data());
  expect_contains(message_of([&] { SequenceStoreReader reader(bare); }), bare + ":/sequences: not a group");
}

TEST(MalformedStore, SeriesValuesOfAnotherTypeOrMissingAreRefused) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  const auto refusal = [&] { return message_of([&] { SeriesStoreReader reader(path); }); };
  // float32 holds no 1e300: HDF5 would make it infinite on reading.
  const std::vector<double> wide(8, 1e300);
  replace_dataset(path, "/series/s/values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {4, 2}, wide.data());
  expect_contains(refusal(), path + ":/series/s/values: dataset of float64 [4, 2] (expected float32 [time, channel]");
  {
    Hdf5Handle file = open_for_editing(path);
    H5Ldelete(file.get(), "/series/s/values", H5P_DEFAULT);
  }
  expect_contains(refusal(), path + ":/series/s/values: missing, or not a dataset (expected float32 [time, channel]");
}

TEST(MalformedStore, AnEmptySeriesGroupIsRefusedNotACrash) {
  TemporaryFolder folder;
  const std::string path = bare_store(folder);
  add_group(path, "/series");
  expect_contains(message_of([&] { SeriesStoreReader reader(path); }), path + ": the store holds no series");
  WindowReaderOptions options;
  options.source = WindowSource::series;
  options.window_tokens = 2;
  expect_contains(message_of([&] { WindowReader reader(path, options); }), path + ": the store holds no series");
}

TEST(MalformedStore, AFormatVersionBeyondIntIsNotTakenForMajorOne) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  write_attribute(open_for_editing(path).get(), "spindle_format_version", std::string("4294967297.0"));
  expect_contains(message_of([&] { SequenceStoreReader reader(path); }),
                  path + ": store format version 4294967297.0 is not supported by this spindle");
}

// Variable-length strings in ASCII, as the HDF5 C library, MATLAB or h5py's
// string_dtype('ascii') write them, read as well as UTF-8 ones.
TEST(MalformedStore, AsciiStringAttributesAndDatasetsAreRead) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  {
    Hdf5Handle file = open_for_editing(path);
    Hdf5Handle ascii(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    H5Tset_size(ascii.get(), H5T_VARIABLE);
    Hdf5Handle scalar(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
    for (const auto& [name, value] :
         {std::pair{"spindle_format", "spindle-store"}, std::pair{"spindle_format_version", "1.0"}}) {
      H5Adelete(file.get(), name);
      Hdf5Handle attribute(H5Acreate2(file.get(), name, ascii.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                           "H5Acreate2");
      H5Awrite(attribute.get(), ascii.get(), &value);
    }
    Hdf5Handle group(H5Gcreate2(file.get(), "/series/s/annotations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                     "H5Gcreate2");
    const std::vector<const char*> symbols = {"N", "V", "N"};
    write_dataset(file.get(), "/series/s/annotations/symbol", ascii.get(), ascii.get(), {3}, symbols.data(), 0,
                  store::Compression::none);
  }
  EXPECT_EQ(message_of([&] { EXPECT_EQ(SeriesStoreReader(path).series().size(), 1u); }), "(no error)");
  std::string description;
  EXPECT_EQ(message_of([&] { description = describe_store(path); }), "(no error)");
  expect_contains(description, "annotation symbols: N 2, V 1");
}

TEST(MalformedStore, InspectNamesTheFileOfAMissingOrInconsistentAttribute) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  {
    Hdf5Handle file = open_for_editing(path);
    Hdf5Handle dataset(H5Dopen2(file.get(), "/sequences/x", H5P_DEFAULT), H5Dclose, "H5Dopen2");
    write_attribute(dataset.get(), "length", int64_t{5});
  }
  expect_contains(message_of([&] { describe_store(path); }),
                  path + ":/sequences/x: attribute 'length' is 5, but the dataset is uint8 [10]");
  {
    Hdf5Handle file = open_for_editing(path);
    Hdf5Handle dataset(H5Dopen2(file.get(), "/sequences/x", H5P_DEFAULT), H5Dclose, "H5Dopen2");
    H5Adelete(dataset.get(), "length");
  }
  expect_contains(message_of([&] { describe_store(path); }), path + ":/sequences/x: attribute 'length' is missing");
}

// Replaces attribute `name` of `object` by one of `type` with no value: a null dataspace, as
// h5py writes h5py.Empty, or a 1-D array of 0 elements.
void write_empty_attribute(hid_t object, const char* name, hid_t type, bool null_space) {
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  const hsize_t none = 0;
  Hdf5Handle space(null_space ? H5Screate(H5S_NULL) : H5Screate_simple(1, &none, nullptr), H5Sclose, "H5Screate");
  Hdf5Handle attribute(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2");
}

TEST(MalformedStore, AttributesWithoutAValueAreRefusedNamingTheFileAndAttribute) {
  TemporaryFolder folder;
  for (const bool null_space : {true, false}) {
    SCOPED_TRACE(null_space ? "null dataspace" : "0 elements");
    const std::string path = series_store(folder);
    {
      Hdf5Handle file = open_for_editing(path);
      Hdf5Handle text(make_utf8_string_type(), H5Tclose, "H5Tcopy");
      Hdf5Handle values(H5Dopen2(file.get(), "/series/s/values", H5P_DEFAULT), H5Dclose, "H5Dopen2");
      write_empty_attribute(values.get(), "units", text.get(), null_space);
      Hdf5Handle group(H5Gopen2(file.get(), "/series/s", H5P_DEFAULT), H5Gclose, "H5Gopen2");
      write_empty_attribute(group.get(), "sampling_rate_hz", H5T_IEEE_F64LE, null_space);
    }
    expect_contains(message_of([&] { describe_store(path); }),
                    path + ":/series/s: attribute 'sampling_rate_hz' holds 0");
    {
      Hdf5Handle file = open_for_editing(path);
      Hdf5Handle group(H5Gopen2(file.get(), "/series/s", H5P_DEFAULT), H5Gclose, "H5Gopen2");
      write_attribute(group.get(), "sampling_rate_hz", 250.0);
    }
    expect_contains(message_of([&] { describe_store(path); }),
                    path + ":/series/s/values: attribute 'units' holds 0 strings for 2 channels");
    {
      Hdf5Handle file = open_for_editing(path);
      Hdf5Handle text(make_utf8_string_type(), H5Tclose, "H5Tcopy");
      write_empty_attribute(file.get(), "spindle_format_version", text.get(), null_space);
    }
    expect_contains(message_of([&] { SeriesStoreReader reader(path); }),
                    path + ": attribute 'spindle_format_version' holds 0 strings");
    std::filesystem::remove(path);
  }
}

// An error thrown out of an H5Ovisit callback would leave HDF5's objects open and its
// library lock held (other threads' HDF5 calls would then wait for ever).
TEST(MalformedStore, AnErrorWhileInspectingLeavesNoHdf5ObjectOpen) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  {
    Hdf5Handle file = open_for_editing(path);
    Hdf5Handle values(H5Dopen2(file.get(), "/series/s/values", H5P_DEFAULT), H5Dclose, "H5Dopen2");
    H5Adelete(values.get(), "units");
  }
  const ssize_t open_before = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  expect_contains(message_of([&] { describe_store(path); }), path + ":/series/s/values: attribute 'units' is missing");
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), open_before);
}

TEST(MalformedStore, InspectRefusesChannelAttributesOfAnotherCount) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  {
    Hdf5Handle file = open_for_editing(path);
    Hdf5Handle values(H5Dopen2(file.get(), "/series/s/values", H5P_DEFAULT), H5Dclose, "H5Dopen2");
    write_attribute(values.get(), "units", std::vector<std::string>{"mV"});
  }
  expect_contains(message_of([&] { describe_store(path); }),
                  path + ":/series/s/values: attribute 'units' holds 1 strings for 2 channels");
}

TEST(MalformedStore, InspectRefusesASamplingRateThatIsNotPositive) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  for (const auto& [rate, text] : {std::pair{0.0, "0"}, std::pair{-250.0, "-250"}, std::pair{std::nan(""), "nan"}}) {
    {
      Hdf5Handle file = open_for_editing(path);
      Hdf5Handle group(H5Gopen2(file.get(), "/series/s", H5P_DEFAULT), H5Gclose, "H5Gopen2");
      write_attribute(group.get(), "sampling_rate_hz", rate);
    }
    expect_contains(message_of([&] { describe_store(path); }),
                    path + ":/series/s: attribute 'sampling_rate_hz' is " + text + " (expected a positive rate");
  }
}

TEST(MalformedStore, InspectRefusesAnnotationSymbolsOfRankTwo) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  add_group(path, "/series/s/annotations");
  // 12 strings where 1-D reading would make room for 3.
  const std::vector<const char*> symbols(12, "N");
  Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
  replace_dataset(path, "/series/s/annotations/symbol", type.get(), type.get(), {3, 4}, symbols.data());
  expect_contains(message_of([&] { describe_store(path); }),
                  path + ":/series/s/annotations/symbol: dataset of string [3, 4] (expected string [n]");
}

// A chunked dataset claims its extent without storing it: 2^40 strings in a file of kilobytes
// (std::bad_alloc when room was made for them).
TEST(MalformedStore, InspectRefusesAStringDatasetClaimingMoreThanTheFileHolds) {
  TemporaryFolder folder;
  const std::string path = series_store(folder);
  add_group(path, "/series/s/annotations");
  {
    Hdf5Handle file = open_for_editing(path);
    const hsize_t claimed = hsize_t{1} << 40, chunk = 1024;
    Hdf5Handle space(H5Screate_simple(1, &claimed, nullptr), H5Sclose, "H5Screate_simple");
    Hdf5Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    H5Pset_chunk(create.get(), 1, &chunk);
    Hdf5Handle type(make_utf8_string_type(), H5Tclose, "H5Tcopy");
    Hdf5Handle dataset(H5Dcreate2(file.get(), "/series/s/annotations/symbol", type.get(), space.get(), H5P_DEFAULT,
                                  create.get(), H5P_DEFAULT),
                       H5Dclose, "H5Dcreate2");
  }
  expect_contains(message_of([&] { describe_store(path); }),
                  path + ":/series/s/annotations/symbol: claims 1099511627776 strings, more than the " +
                      std::to_string(std::filesystem::file_size(path)) + " bytes of its file hold");
}

TEST(MalformedStore, InspectShowsTheChunksOfADatasetOfAnyRank) {
  TemporaryFolder folder;
  const std::string path = dna_store(folder);
  {
    Hdf5Handle file = open_for_editing(path);
    const std::vector<hsize_t> dims(10, 2), chunk = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2};
    Hdf5Handle space(H5Screate_simple(10, dims.data(), nullptr), H5Sclose, "H5Screate_simple");
    Hdf5Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    H5Pset_chunk(create.get(), 10, chunk.data());
    Hdf5Handle dataset(
        H5Dcreate2(file.get(), "/extra", H5T_STD_U8LE, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT), H5Dclose,
        "H5Dcreate2");
  }
  expect_contains(describe_store(path), "chunk [1, 1, 1, 1, 1, 1, 1, 1, 2, 2], uncompressed");
}

}  // namespace
}  // namespace spindle
