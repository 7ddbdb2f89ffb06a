// Read rate of random 131,072-token windows from a page-cached DNA store, uncompressed and
// with the default compression (gzip + shuffle), in MB/s of tokens delivered (1 MB = 10^6
// tokens = 10^6 bytes).
//   bench_store_read [google benchmark flags]   (data: $SPINDLE_DATA or the build's ../shared/data)
// The store holds the shared genomes (E. coli 4.6 Mb, hg38 chr2 head 2.3 Mb, chr21 window
// 1.0 Mb). Cases:
//   Direct       one thread calls SequenceStoreReader::read_tokens per window
//   WindowReader the training reader: background thread, batches of 8, queue of 4
// each with the default chunk cache (256 MiB per record: the records' chunks stay
// decompressed after their first read) and with no chunk cache (every window decompresses the 1-2 MiB chunks it
// touches: the rate for genomes far larger than any cache), and LZF without the cache
// (builds with liblzf; elsewhere those cases stop with "unknown compression").
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/store_reader.h"
#include "io/store_transaction.h"
#include "io/window_reader.h"
#include "pipelines/ingest_fasta.h"
#include "platform/logging.h"

namespace spindle {
namespace {

constexpr int64_t kWindow = 131072;

std::string data_dir() {
  const char* configured = std::getenv("SPINDLE_DATA");
  return configured ? configured : SPINDLE_BENCH_DATA_DIR;
}

// Builds (once per compression) the store in the temporary folder and reads it once so
// that it is in the page cache.
const std::string& store_path(store::Compression compression) {
  static std::map<store::Compression, std::string> paths;
  auto found = paths.find(compression);
  if (found != paths.end()) return found->second;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("spindle-bench-" + std::string(store::compression_name(compression)) + ".h5")).string();
  std::filesystem::remove(path);
  {
    StoreTransaction store(path);
    for (const char* fasta : {"genome/ecoli_k12/GCF_000005845.2_ASM584v2_genomic.fna.gz",
                              "genome/hg38_chr2_head/chr2_1-2333275.fa.gz",
                              "genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta"}) {
      ingest_fasta(data_dir() + "/" + fasta, store, compression);
    }
    store.commit();
  }
  std::ifstream warm(path, std::ios::binary);
  std::vector<char> sink(1 << 20);
  while (warm.read(sink.data(), static_cast<std::streamsize>(sink.size()))) {
  }
  return paths[compression] = path;
}

void report(benchmark::State& state, int64_t tokens) {
  state.SetBytesProcessed(tokens);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(tokens) / 1e6, benchmark::Counter::kIsRate);
}

void direct(benchmark::State& state, store::Compression compression, size_t cache_bytes) {
  SequenceStoreReader reader(store_path(compression), cache_bytes);
  std::vector<uint8_t> window(kWindow);
  std::mt19937_64 generator(1);
  int64_t tokens = 0;
  for (auto _ : state) {
    const size_t record = generator() % reader.sequences().size();
    const int64_t start = static_cast<int64_t>(generator() % (reader.sequences()[record].length - kWindow + 1));
    reader.read_tokens(record, start, start + kWindow, window.data());
    benchmark::DoNotOptimize(window.data());
    tokens += kWindow;
  }
  report(state, tokens);
}

void window_reader(benchmark::State& state, store::Compression compression, size_t cache_bytes) {
  WindowReaderOptions options;
  options.window_tokens = kWindow;
  options.batch_windows = 8;
  options.queue_depth = 4;
  options.reverse_complement = true;
  options.seed = 1;
  options.chunk_cache_bytes = cache_bytes;
  WindowReader reader(store_path(compression), options);
  WindowBatch batch;
  int64_t tokens = 0;
  for (auto _ : state) {
    reader.next(batch);
    benchmark::DoNotOptimize(batch.data.raw_data());
    tokens += batch.data.numel();
  }
  report(state, tokens);
}

constexpr size_t kDefaultCache = SequenceStoreReader::kDefaultChunkCacheBytes;

BENCHMARK_CAPTURE(direct, none_cached, store::Compression::none, kDefaultCache)->UseRealTime();
BENCHMARK_CAPTURE(direct, gzip_cached, store::Compression::gzip, kDefaultCache)->UseRealTime();
BENCHMARK_CAPTURE(direct, none_no_cache, store::Compression::none, 0)->UseRealTime();
BENCHMARK_CAPTURE(direct, gzip_no_cache, store::Compression::gzip, 0)->UseRealTime();
BENCHMARK_CAPTURE(direct, lzf_no_cache, store::Compression::lzf, 0)->UseRealTime();
BENCHMARK_CAPTURE(window_reader, none_cached, store::Compression::none, kDefaultCache)->UseRealTime();
BENCHMARK_CAPTURE(window_reader, gzip_cached, store::Compression::gzip, kDefaultCache)->UseRealTime();
BENCHMARK_CAPTURE(window_reader, none_no_cache, store::Compression::none, 0)->UseRealTime();
BENCHMARK_CAPTURE(window_reader, gzip_no_cache, store::Compression::gzip, 0)->UseRealTime();
BENCHMARK_CAPTURE(window_reader, lzf_no_cache, store::Compression::lzf, 0)->UseRealTime();

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  spindle::configure_logging(spdlog::level::warn, spindle::LogFormat::text);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
