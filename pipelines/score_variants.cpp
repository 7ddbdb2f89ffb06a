#include "pipelines/score_variants.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <regex>

#include "io/annotated_vcf.h"
#include "io/atomic_write.h"
#include "io/caduceus_checkpoint.h"
#include "io/dna_tokenizer.h"
#include "io/genomic_regions.h"
#include "io/indexed_fasta.h"
#include "io/variant_embeddings_file.h"
#include "io/vcf_reader.h"
#include "pipelines/build_info.h"
#include "pipelines/progress_meter.h"
#include "pipelines/ring_scoring.h"
#include "pipelines/sequence_embedding.h"
#include "pipelines/variant_windows.h"
#include "platform/distributed/communicator.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/process_grid.h"
#include "platform/distributed/rank_failures.h"
#include "platform/distributed/ring_section.h"

namespace spindle {
namespace {

namespace fs = std::filesystem;

// Alleles and the work they need.
struct Allele {
  Variant variant;
  std::string skip;  // why it is not scored; "" when it is a job
  int64_t job = -1;  // index among the scored alleles
  std::vector<uint8_t> ref, alt;  // tokens of REF and ALT (jobs only)
  bool snv() const { return ref.size() == 1 && alt.size() == 1; }
};

// What scoring one allele gives. Stored in the progress file as fixed-size records.
struct JobResult {
  bool n_fraction = false;  // not scored: too many N in the ref window
  int32_t padding = 0;      // N bases past the contig's ends in the ref window
  float llr = std::numeric_limits<float>::quiet_NaN();
  float cosine = std::numeric_limits<float>::quiet_NaN();
  float l2 = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> embeddings;  // ref then alt pooled embedding, with --embeddings
};

uint64_t fnv1a(const char* bytes, size_t count) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < count; ++i) hash = (hash ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ull;
  return hash;
}

// Record: int64 job, int32 status (0 scored, 1 n_fraction), int32 padding, float llr,
// cosine, l2, float embeddings[embedding_floats], uint64 FNV-1a of the bytes before it.
class ResultCodec {
 public:
  explicit ResultCodec(int64_t embedding_floats) : floats_(embedding_floats) {}
  size_t bytes() const { return 8 + 4 + 4 + 12 + static_cast<size_t>(floats_) * 4 + 8; }
  void encode(int64_t job, const JobResult& result, std::string& out) const {
    const size_t start = out.size();
    const int32_t status = result.n_fraction ? 1 : 0;
    append(out, job);
    append(out, status);
    append(out, result.padding);
    append(out, result.llr);
    append(out, result.cosine);
    append(out, result.l2);
    const std::vector<float> none(static_cast<size_t>(floats_), 0.0f);
    const std::vector<float>& embeddings = result.embeddings.empty() ? none : result.embeddings;
    out.append(reinterpret_cast<const char*>(embeddings.data()), embeddings.size() * 4);
    append(out, fnv1a(out.data() + start, out.size() - start));
  }
  // False when the record is damaged or not job `job`.
  bool decode(const char* record, int64_t job, JobResult& result) const {
    uint64_t checksum = 0;
    std::memcpy(&checksum, record + bytes() - 8, 8);
    int64_t stored_job = 0;
    std::memcpy(&stored_job, record, 8);
    if (checksum != fnv1a(record, bytes() - 8) || stored_job != job) return false;
    int32_t status = 0;
    std::memcpy(&status, record + 8, 4);
    result.n_fraction = status == 1;
    std::memcpy(&result.padding, record + 12, 4);
    std::memcpy(&result.llr, record + 16, 4);
    std::memcpy(&result.cosine, record + 20, 4);
    std::memcpy(&result.l2, record + 24, 4);
    result.embeddings.resize(static_cast<size_t>(floats_));
    // Not for 0 floats: memcpy's pointers must not be null even for 0 bytes, and an empty
    // vector's data() may be (UBSan caught it on a resumed run without --embeddings).
    if (floats_ > 0) std::memcpy(result.embeddings.data(), record + 28, static_cast<size_t>(floats_) * 4);
    return true;
  }

 private:
  template <typename T>
  static void append(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  int64_t floats_;
};

// The progress file: a header line naming the format, a line of the run's settings, then
// one record per scored allele in job order, appended a step at a time. Opening it keeps
// the records of complete steps and cuts anything after them (a step cut short by a kill).
class ProgressFile {
 public:
  // This process's jobs are [first_job, last_job), whole steps of `batch` from first_job.
  ProgressFile(std::string path, const std::string& settings, const ResultCodec& codec, int64_t batch,
               int64_t first_job, int64_t last_job)
      : path_(std::move(path)) {
    const int64_t jobs = last_job - first_job;
    const std::string format_line = "spindle-score-variants-progress 1\n", header = format_line + settings + "\n";
    off_t keep = 0;
    if (fs::exists(path_)) {
      std::string content = read_all();
      // A file shorter than the header must be the start of it (a run killed while writing it).
      SPINDLE_CHECK(content.compare(0, std::min(content.size(), header.size()), header, 0, content.size()) == 0, path_,
                    "was written by a run with other settings: " + first_difference(content, format_line, settings),
                    "the same command as the interrupted run, or delete " + path_ + " to start over");
      if (content.size() >= header.size()) {
        const char* records = content.data() + header.size();
        const int64_t available = static_cast<int64_t>((content.size() - header.size()) / codec.bytes());
        int64_t valid = 0;
        JobResult result;
        while (valid < std::min(available, jobs) &&
               codec.decode(records + valid * codec.bytes(), first_job + valid, result)) {
          results_.push_back(result);
          ++valid;
        }
        // Only whole steps: a resumed step then runs with the same windows as before.
        if (valid < jobs) valid -= valid % batch;
        results_.resize(static_cast<size_t>(valid));
        keep = static_cast<off_t>(header.size() + valid * codec.bytes());
      }
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT, 0644);
    SPINDLE_CHECK(fd_ >= 0, path_, std::string("cannot open: ") + std::strerror(errno), "a writable folder");
    truncate_to(keep);
    if (keep == 0) write_all(header);
    header_bytes_ = static_cast<off_t>(header.size());
    record_bytes_ = static_cast<off_t>(codec.bytes());
    last_sync_ = Clock::now();
  }
  ~ProgressFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  ProgressFile(const ProgressFile&) = delete;
  ProgressFile& operator=(const ProgressFile&) = delete;

  // Results of the complete steps found on opening, in job order.
  const std::vector<JobResult>& resumed() const { return results_; }

  // Keeps only the first `count` resumed results (whole steps), in the file too: the step
  // a ring agreed to go on from (pipelines/ring_scoring.h).
  void keep_resumed(int64_t count) {
    if (count == static_cast<int64_t>(results_.size())) return;
    results_.resize(static_cast<size_t>(count));
    const off_t keep = header_bytes_ + static_cast<off_t>(count) * record_bytes_;
    truncate_to(keep);
  }

  // Appends a step's records; reaches the disk every few seconds (a kill loses nothing
  // written; a power cut at most the last seconds).
  void append(const std::string& records) {
    write_all(records);
    if (Clock::now() - last_sync_ > std::chrono::seconds(10)) {
      SPINDLE_CHECK(::fsync(fd_) == 0, path_, std::string("fsync failed: ") + std::strerror(errno), "a working disk");
      last_sync_ = Clock::now();
    }
  }

  void remove() {
    ::close(fd_);
    fd_ = -1;
    fs::remove(path_);
  }

 private:
  using Clock = std::chrono::steady_clock;
  // The first of the "key=value; ..." settings where the file's settings line differs from
  // this run's, as "key=saved there, key=value in this run".
  static std::string first_difference(const std::string& content, const std::string& format_line,
                                      const std::string& settings) {
    if (content.compare(0, format_line.size(), format_line) != 0) {
      return "its first line is not '" + format_line.substr(0, format_line.size() - 1) + "'";
    }
    const size_t begin = format_line.size(), end = std::min(content.find('\n', begin), content.size());
    auto items = [](const std::string& line) {
      std::vector<std::string> found;
      for (size_t at = 0; at <= line.size();) {
        const size_t next = std::min(line.find("; ", at), line.size());
        found.push_back(line.substr(at, next - at));
        at = next + 2;
      }
      return found;
    };
    const std::vector<std::string> saved = items(content.substr(begin, end - begin)), current = items(settings);
    for (size_t i = 0; i < std::max(saved.size(), current.size()); ++i) {
      const std::string there = i < saved.size() ? saved[i] : "(none)";
      const std::string here = i < current.size() ? current[i] : "(none)";
      if (there != here) return there + " there, " + here + " in this run";
    }
    return "this run has " + settings;
  }
  std::string read_all() const {
    std::string content(static_cast<size_t>(fs::file_size(path_)), '\0');
    const int fd = ::open(path_.c_str(), O_RDONLY);
    SPINDLE_CHECK(fd >= 0, path_, std::string("cannot open: ") + std::strerror(errno), "a readable file");
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t got = ::read(fd, content.data() + done, content.size() - done);
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    ::close(fd);
    content.resize(done);
    return content;
  }
  void write_all(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t wrote = ::write(fd_, bytes.data() + done, bytes.size() - done);
      SPINDLE_CHECK(wrote > 0, path_, std::string("write failed: ") + std::strerror(errno), "space on the disk");
      done += static_cast<size_t>(wrote);
    }
  }
  // The file cut to `bytes`, the next write going there.
  void truncate_to(off_t bytes) {
    SPINDLE_CHECK(::ftruncate(fd_, bytes) == 0 && ::lseek(fd_, bytes, SEEK_SET) == bytes, path_,
                  std::string("cannot truncate: ") + std::strerror(errno), "a writable file");
  }

  std::string path_;
  int fd_ = -1;
  std::vector<JobResult> results_;
  off_t header_bytes_ = 0, record_bytes_ = 0;
  Clock::time_point last_sync_;
};

bool wants(const ScoreVariantsOptions& options, VariantScore score) {
  return std::find(options.scores.begin(), options.scores.end(), score) != options.scores.end();
}

// Inputs identified by absolute path, size and modification time.
std::string file_identity(const std::string& path) {
  const fs::path absolute = fs::absolute(path);
  // UTC to the nanosecond, as a refusal shows it to the user ("2026-12-05T05:03:47.808123456Z").
  const auto modified = std::chrono::file_clock::to_sys(fs::last_write_time(absolute));
  const auto seconds = std::chrono::floor<std::chrono::seconds>(modified);
  return fmt::format("{} ({} bytes, modified {:%Y-%m-%dT%H:%M:%S}.{:09d}Z)", absolute.string(), fs::file_size(absolute),
                     seconds, std::chrono::duration_cast<std::chrono::nanoseconds>(modified - seconds).count());
}

// Every setting that decides the results, for the progress file.
std::string settings_line(const ScoreVariantsOptions& options, int64_t jobs, size_t record_bytes) {
  std::vector<std::string> scores;
  for (VariantScore score : options.scores) scores.push_back(variant_score_name(score));
  std::vector<std::string> regions;  // BED files by their identity too, as read_regions tells them from regions
  for (const std::string& value : options.regions) {
    std::error_code ignored;
    const bool file = fs::exists(value, ignored) && !fs::is_directory(value, ignored);
    regions.push_back(file ? file_identity(value) : value);
  }
  return fmt::format(
      "version={}; model={} + {}; fasta={}; vcf={}; window={}; pool={}; scores={}; batch={}; regions={}; "
      "max_n_fraction={}; device={}; precision={}; embeddings={}; jobs={}; record_bytes={}",
      kSpindleVersion, file_identity(options.model_directory + "/config.json"),
      file_identity(options.model_directory + "/model.safetensors"), file_identity(options.fasta),
      file_identity(options.vcf), options.window, options.pool, fmt::join(scores, ","), options.batch,
      fmt::join(regions, " "), options.max_n_fraction, options.device.str(), dtype_name(options.activations),
      options.embeddings ? 1 : 0, jobs, record_bytes);
}

// Refuses the progress files of `out` that a run with another number of processes left
// (<out>.progress with one, <out>.progress-<rank>-of-<N> with N): each holds its rank's block
// of steps, so this run could not use them, and would score everything again and leave them.
void refuse_other_process_counts(const std::string& out, int ranks) {
  const fs::path absolute = fs::absolute(out);
  const std::string prefix = absolute.filename().string() + ".progress";
  const std::regex of_ranks(R"(-\d+-of-(\d+))");
  for (const fs::directory_entry& entry : fs::directory_iterator(absolute.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    std::smatch match;
    const std::string suffix = name.substr(prefix.size());
    if (!suffix.empty() && !std::regex_match(suffix, match, of_ranks)) continue;
    const std::string processes = suffix.empty() ? "1" : match[1].str();
    SPINDLE_CHECK(processes == std::to_string(ranks), (fs::path(out).parent_path() / name).string(),
                  fmt::format("the progress file of a run with {} process{}, this run has {}", processes,
                              processes == "1" ? "" : "es", ranks),
                  fmt::format("the interrupted run's number of processes (mpirun -np {}) to resume it, or delete "
                              "{}.progress* to start over",
                              processes, out));
  }
}

// Per contig, the regions' [begin, end) intervals.
using RegionIndex = std::map<std::string, std::vector<std::pair<int64_t, int64_t>>>;

RegionIndex index_regions(const std::vector<std::string>& values, const IndexedFasta& fasta) {
  RegionIndex index;
  for (const GenomicRegion& given : read_regions(values, "--regions")) {
    SPINDLE_CHECK(fasta.has_contig(given.contig), given.where, "no contig '" + given.contig + "' in " + fasta.path(),
                  "a contig of the FASTA");
    const GenomicRegion region = within_contig(given, fasta.length(given.contig), fasta.path());
    index[region.contig].emplace_back(region.begin, *region.end);
  }
  return index;
}

bool inside(const RegionIndex& regions, const Variant& variant) {
  const auto found = regions.find(variant.chrom);
  if (found == regions.end()) return false;
  for (const auto& [begin, end] : found->second) {
    if (variant.position >= begin && variant.position < end) return true;
  }
  return false;
}

std::vector<uint8_t> tokens_of(const std::string& bases) {
  std::vector<uint8_t> tokens(bases.size());
  if (dna::tokenize(bases, tokens.data()) < bases.size()) return {};
  return tokens;
}

// Reads every allele and decides which are scored.
std::vector<Allele> plan(const ScoreVariantsOptions& options, const IndexedFasta& fasta, int64_t& jobs) {
  const RegionIndex regions = index_regions(options.regions, fasta);
  const bool only_llr = options.scores.size() == 1 && options.scores[0] == VariantScore::llr;
  const int64_t room = options.window - window_centre(options.window);
  VcfReader reader(options.vcf, {options.fasta, RefMismatchPolicy::report});
  std::vector<Allele> alleles;
  Allele allele;
  jobs = 0;
  while (reader.next(allele.variant)) {
    const Variant& v = allele.variant;
    allele.skip.clear();
    allele.job = -1;
    allele.ref.clear();
    allele.alt.clear();
    if (!v.contig_in_reference) {
      allele.skip = "missing_contig";
    } else if (is_symbolic_allele(v.alt)) {
      allele.skip = "symbolic";
    } else if (!v.ref_matches) {
      allele.skip = "ref_mismatch";
    } else if (!options.regions.empty() && !inside(regions, v)) {
      allele.skip = "outside_regions";
    } else if ((allele.ref = tokens_of(v.ref)).empty() || (allele.alt = tokens_of(v.alt)).empty()) {
      allele.skip = "not_dna";
    } else if (static_cast<int64_t>(v.ref.size()) > room || static_cast<int64_t>(v.alt.size()) > room) {
      allele.skip = "long_allele";
    } else if (only_llr && !allele.snv()) {
      allele.skip = "not_snv";
    } else {
      allele.job = jobs++;
    }
    if (allele.job < 0) {
      allele.ref.clear();
      allele.alt.clear();
    }
    alleles.push_back(allele);
  }
  return alleles;
}

// The scores of one step's alleles.
std::vector<JobResult> score_step(Caduceus& model, const ScoreVariantsOptions& options, const IndexedFasta& fasta,
                                  const std::vector<const Allele*>& step) {
  const int64_t window = options.window, centre = window_centre(window);
  const int64_t pool = std::min(options.pool, window);
  const int64_t pool_begin = std::clamp<int64_t>(centre - pool / 2, 0, window - pool);
  std::vector<JobResult> results(step.size());
  std::vector<size_t> llr_jobs, embed_jobs;
  std::vector<std::vector<uint8_t>> masked, refs, alts;
  const bool llr = wants(options, VariantScore::llr);
  const bool embed = wants(options, VariantScore::embed_cosine) || wants(options, VariantScore::embed_l2);
  for (size_t i = 0; i < step.size(); ++i) {
    const Allele& allele = *step[i];
    VariantWindows windows =
        variant_windows(fasta, allele.variant.chrom, allele.variant.position, allele.ref, allele.alt, window);
    results[i].padding = static_cast<int32_t>(windows.padding);
    if (static_cast<double>(windows.n_bases) > options.max_n_fraction * static_cast<double>(window)) {
      results[i].n_fraction = true;
      continue;
    }
    if (llr && allele.snv()) {
      llr_jobs.push_back(i);
      masked.push_back(windows.ref);
      masked.back()[centre] = dna::kTokenMask;
    }
    if (embed) {
      embed_jobs.push_back(i);
      refs.push_back(std::move(windows.ref));
      alts.push_back(std::move(windows.alt));
    }
  }
  if (!masked.empty()) {
    EmbeddingSettings settings{.rc_average = true, .logits = true, .activations = options.activations,
                               .positions_begin = centre, .positions_end = centre + 1};
    const Tensor logits = run_ring_section(model.sequence_parallel(), "score-variants", [&] {
      return embed_sequences(model, masked, settings).logits;  // (n, 1, vocabulary)
    });
    const int64_t vocabulary = logits.size(2);
    for (size_t k = 0; k < llr_jobs.size(); ++k) {
      const Allele& allele = *step[llr_jobs[k]];
      const float* z = logits.data<float>() + static_cast<int64_t>(k) * vocabulary;
      results[llr_jobs[k]].llr = z[allele.alt[0]] - z[allele.ref[0]];
    }
  }
  if (!refs.empty()) {
    EmbeddingSettings settings{.rc_average = true, .pooling = EmbeddingPooling::mean,
                               .activations = options.activations, .positions_begin = pool_begin,
                               .positions_end = pool_begin + pool};
    auto embed = [&](const std::vector<std::vector<uint8_t>>& sequences) {
      return run_ring_section(model.sequence_parallel(), "score-variants",
                              [&] { return embed_sequences(model, sequences, settings).hidden; });
    };
    const Tensor ref = embed(refs);  // (n, width)
    const Tensor alt = embed(alts);
    const int64_t width = ref.size(1);
    for (size_t k = 0; k < embed_jobs.size(); ++k) {
      const float* a = ref.data<float>() + static_cast<int64_t>(k) * width;
      const float* b = alt.data<float>() + static_cast<int64_t>(k) * width;
      double dot = 0, aa = 0, bb = 0, squared = 0;
      for (int64_t c = 0; c < width; ++c) {
        dot += static_cast<double>(a[c]) * b[c];
        aa += static_cast<double>(a[c]) * a[c];
        bb += static_cast<double>(b[c]) * b[c];
        squared += (static_cast<double>(a[c]) - b[c]) * (static_cast<double>(a[c]) - b[c]);
      }
      JobResult& result = results[embed_jobs[k]];
      result.cosine = static_cast<float>(1.0 - dot / (std::sqrt(aa) * std::sqrt(bb)));
      result.l2 = static_cast<float>(std::sqrt(squared));
      if (options.embeddings) {
        result.embeddings.assign(a, a + width);
        result.embeddings.insert(result.embeddings.end(), b, b + width);
      }
    }
  }
  return results;
}

// Every rank's results, in job order, on every rank: each rank's block of records
// (`first_job_of(r)` to `first_job_of(r + 1)`) travels encoded, padded to the longest block.
std::vector<JobResult> gather_results(Communicator& world, const ResultCodec& codec, const std::vector<JobResult>& mine,
                                      int64_t jobs, const std::function<int64_t(int)>& first_job_of) {
  int64_t longest = 0;
  for (int r = 0; r < world.size(); ++r) longest = std::max(longest, first_job_of(r + 1) - first_job_of(r));
  const int64_t block = longest * static_cast<int64_t>(codec.bytes());
  SPINDLE_CHECK(block < (int64_t{1} << 31), "score-variants: merging the ranks' results",
                fmt::format("{} bytes per rank", block), "under 2 GiB per rank (more ranks, or no --embeddings)");
  std::string encoded;
  const int64_t first = first_job_of(world.rank());
  for (size_t j = 0; j < mine.size(); ++j) codec.encode(first + static_cast<int64_t>(j), mine[j], encoded);
  encoded.resize(static_cast<size_t>(block), '\0');
  Tensor piece = Tensor::empty({std::max<int64_t>(block, 1)}, DType::u8);
  std::copy(encoded.begin(), encoded.end(), piece.data<uint8_t>());
  Tensor whole = Tensor::empty({world.size() * piece.size(0)}, DType::u8);
  world.all_gather(piece, whole);
  std::vector<JobResult> all(static_cast<size_t>(jobs));
  for (int r = 0; r < world.size(); ++r) {
    const char* records = reinterpret_cast<const char*>(whole.data<uint8_t>()) + r * piece.size(0);
    for (int64_t j = first_job_of(r); j < first_job_of(r + 1); ++j) {
      const char* record = records + (j - first_job_of(r)) * static_cast<int64_t>(codec.bytes());
      SPINDLE_CHECK(codec.decode(record, j, all[static_cast<size_t>(j)]), "score-variants: merging the ranks' results",
                    fmt::format("a damaged record for allele {} from rank {}", j, r), "the records rank sent");
    }
  }
  return all;
}

std::string description_model(const ScoreVariantsOptions& options, const Caduceus& model) {
  std::string directory = options.model_directory;
  std::erase(directory, '"');
  return fmt::format("Caduceus-{} model {}, {}-base window centred on the variant", model.config().rcps ? "PS" : "Ph",
                     directory, options.window);
}

std::vector<AddedInfoField> added_fields(const ScoreVariantsOptions& options, const Caduceus& model) {
  const std::string about = description_model(options, model);
  std::vector<AddedInfoField> fields;
  using Type = AddedInfoField::Type;
  if (wants(options, VariantScore::llr)) {
    fields.push_back({"SPINDLE_LLR", Type::Float,
                      about + ": log p(ALT) - log p(REF) at the masked variant base, mean of both strands (SNVs only)"});
  }
  const std::string pooled = fmt::format("of the last hidden states (both strands averaged) mean-pooled over {} bases "
                                         "around the variant in the REF and ALT windows",
                                         std::min(options.pool, options.window));
  if (wants(options, VariantScore::embed_cosine)) {
    fields.push_back({"SPINDLE_EMBED_COSINE", Type::Float, about + ": cosine distance (1 - cosine similarity) " + pooled});
  }
  if (wants(options, VariantScore::embed_l2)) {
    fields.push_back({"SPINDLE_EMBED_L2", Type::Float, about + ": Euclidean distance " + pooled});
  }
  fields.push_back({"SPINDLE_PAD", Type::Integer,
                    about + ": N bases padded past the contig's ends in the REF window of a scored allele"});
  fields.push_back({"SPINDLE_SKIP", Type::String,
                    "Why spindle score-variants did not score the allele: missing_contig, symbolic, ref_mismatch, "
                    "outside_regions, not_dna, long_allele, not_snv, n_fraction, spanning_deletion"});
  return fields;
}

std::string format_score(float value) { return std::isnan(value) ? "." : fmt::format("{}", value); }

}  // namespace

std::string variant_score_name(VariantScore score) {
  switch (score) {
    case VariantScore::llr: return "llr";
    case VariantScore::embed_cosine: return "embed-cosine";
    case VariantScore::embed_l2: return "embed-l2";
  }
  return "";
}

VariantScore parse_variant_score(const std::string& name, const std::string& where) {
  for (VariantScore score : {VariantScore::llr, VariantScore::embed_cosine, VariantScore::embed_l2}) {
    if (name == variant_score_name(score)) return score;
  }
  throw Error(where, "unknown score '" + name + "'", "llr, embed-cosine or embed-l2");
}

std::string score_variants_command(const ScoreVariantsOptions& options) {
  std::vector<std::string> scores;
  for (VariantScore score : options.scores) scores.push_back(variant_score_name(score));
  std::string command = fmt::format("spindle score-variants --model {} --fasta {} --vcf {} --out {}",
                                    options.model_directory, options.fasta, options.vcf, options.out);
  if (options.tsv) command += " --tsv " + *options.tsv;
  if (options.embeddings) command += " --embeddings " + *options.embeddings;
  command += fmt::format(" --window {} --pool {} --scores {} --batch {}", options.window, options.pool,
                         fmt::join(scores, ","), options.batch);
  for (const std::string& region : options.regions) command += " --regions " + region;
  return command + fmt::format(" --max-n-fraction {} --device {} --precision {} --sequence-parallel {}",
                               options.max_n_fraction, options.device.str(), dtype_name(options.activations),
                               options.sequence_parallel);
}

namespace {

// This rank's part of score_variants. Each collective call follows a `failures.check()`
// with nothing between them that one rank alone can fail in (the grid, the ring's resume
// agreement, the steps, the gather after the last step's check, the end of rank 0's
// writing), so a rank that fails reaches the check the others wait in. A rank failing
// inside a ring's forward pass (score_step's embed_sequences, between the ring's exchanges)
// cannot reach that check while its partners wait in the ring: run_ring_section logs its
// error and ends the whole job with MPI_Abort (exit non-zero everywhere, progress files kept).
ScoreVariantsSummary score_on_rank(const ScoreVariantsOptions& options, MpiCommunicator& world,
                                   RankFailures& failures) {
  SPINDLE_CHECK(options.activations == DType::f32 || options.device.is_cuda(), "--precision", "bf16 on the CPU",
                "f32 on the CPU (bf16 activations run on a GPU)");
  SPINDLE_CHECK(options.window >= 2, "--window", std::to_string(options.window), "2 bases or more");
  SPINDLE_CHECK(options.pool >= 1, "--pool", std::to_string(options.pool), "1 base or more");
  // Bounded so that steps of `batch` jobs never overflow int64.
  SPINDLE_CHECK(options.batch >= 1 && options.batch <= (int64_t{1} << 30), "--batch", std::to_string(options.batch),
                "1 to 1073741824");
  SPINDLE_CHECK(!options.scores.empty(), "--scores", "none", "at least one of llr, embed-cosine, embed-l2");
  SPINDLE_CHECK(options.max_n_fraction >= 0 && options.max_n_fraction <= 1, "--max-n-fraction",
                std::to_string(options.max_n_fraction), "a fraction in [0, 1]");
  std::vector<std::pair<std::string, std::string>> inputs{
      {"--vcf", options.vcf}, {"--fasta", options.fasta}, {"--fasta's index", options.fasta + ".fai"}};
  for (const std::string& region : options.regions) inputs.emplace_back("--regions", region);
  refuse_output_over_inputs("--out", options.out, inputs);
  if (options.tsv) refuse_output_over_inputs("--tsv", *options.tsv, inputs);
  if (options.embeddings) refuse_output_over_inputs("--embeddings", *options.embeddings, inputs);
  refuse_shared_outputs({{"--out", options.out},
                         {"--out's index", options.out + ".tbi"},
                         {"--tsv", options.tsv.value_or("")},
                         {"--embeddings", options.embeddings.value_or("")}});
  const fs::path out_folder = fs::absolute(options.out).parent_path();
  SPINDLE_CHECK(fs::is_directory(out_folder), "--out " + options.out, "the folder " + out_folder.string() + " does not exist",
                "an existing folder");
  const bool embeddings_out = options.embeddings.has_value();
  SPINDLE_CHECK(!embeddings_out || wants(options, VariantScore::embed_cosine) || wants(options, VariantScore::embed_l2),
                "--embeddings", "given without an embed-* score", "--scores with embed-cosine or embed-l2");

  // Collective, so before anything one rank alone can fail in, and after a check (the --out
  // folder above is each node's own view). The device communicators (NCCL on a GPU) serve
  // only a ring's exchanges.
  failures.check();
  ProcessGrid grid = ProcessGrid::create(world, sequence_parallel_grid(options.sequence_parallel, world.size()),
                                         options.sequence_parallel > 1 ? options.device : Device::cpu());
  ScoreVariantsSummary summary;
  summary.records = check_vcf_sorted(options.vcf);
  Caduceus model = load_caduceus(options.model_directory, options.device);
  if (options.sequence_parallel > 1) {
    check_window_fits_ring(options.window, options.sequence_parallel, model.config());
    model.set_sequence_parallel(&grid.ring());
  }
  const IndexedFasta fasta(options.fasta);
  int64_t jobs = 0;
  std::vector<Allele> alleles = plan(options, fasta, jobs);
  summary.alleles = static_cast<int64_t>(alleles.size());
  std::vector<const Allele*> job_alleles;
  for (const Allele& allele : alleles) {
    if (allele.job >= 0) job_alleles.push_back(&allele);
  }

  const int64_t width = embedding_width(model.config(), /*rc_average=*/true);
  const ResultCodec codec(embeddings_out ? 2 * width : 0);
  // Steps of `batch` jobs, aligned to job 0 whatever the number of processes, so that every
  // forward pass sees the windows a single process would give it; each ring (of one rank
  // without --sequence-parallel) a contiguous block of steps.
  const int64_t steps = (jobs + options.batch - 1) / options.batch;
  const int rank = world.rank(), ranks = world.size();
  const int rings = grid.shape().data, ring_size = grid.shape().sequence;
  auto first_job_of_ring = [&](int k) { return std::min(jobs, steps * k / rings * options.batch); };
  const int64_t first_job = first_job_of_ring(grid.ring_index()), last_job = first_job_of_ring(grid.ring_index() + 1);
  // For gathering: a ring leader (rank k x ring_size) holds ring k's block, the other ranks
  // an empty block before the next ring's.
  auto first_job_of = [&](int r) { return first_job_of_ring((r + ring_size - 1) / ring_size); };
  refuse_other_process_counts(options.out, ranks);
  const std::string progress_path =
      options.out + ".progress" + (ranks > 1 ? fmt::format("-{}-of-{}", rank, ranks) : "");
  ProgressFile progress_file(progress_path,
                             settings_line(options, jobs, codec.bytes()) +
                                 fmt::format("; rank={}/{}; sequence_parallel={}", rank, ranks, ring_size),
                             codec, options.batch, first_job, last_job);
  if (ring_size > 1) {
    failures.check();  // every rank has read its own progress file
    progress_file.keep_resumed(
        ring_agreed_resume(grid.host_ring(), static_cast<int64_t>(progress_file.resumed().size())));
  }
  std::vector<JobResult> results = progress_file.resumed();
  summary.resumed = static_cast<int64_t>(results.size());
  if (summary.resumed > 0) {
    spdlog::info("score-variants: resuming after {} of {} alleles scored ({})", summary.resumed, jobs, progress_path);
  }
  spdlog::info("score-variants: {} records, {} alleles, {} to score with {} ({}) on {}", summary.records,
               summary.alleles, jobs, options.model_directory, model.config().rcps ? "PS" : "Ph", model.device().str());

  // The steps still to run, in order.
  const auto start = std::chrono::steady_clock::now();
  ProgressMeter meter(fmt::format("score-variants {}{}", options.out, ranks > 1 ? fmt::format(" rank {}", rank) : ""),
                      last_job - first_job - summary.resumed, "variants");
  // Every rank checks before each step as long as any rank has steps left: a failure on one
  // rank ends the job after at most one more step of the others.
  std::string records;
  for (int64_t first = first_job + summary.resumed; failures.check(first < last_job); first += options.batch) {
    if (first >= last_job) continue;
    const int64_t last = std::min(first + options.batch, last_job);
    const std::vector<const Allele*> step(job_alleles.begin() + first, job_alleles.begin() + last);
    std::vector<JobResult> scored = score_step(model, options, fasta, step);
    records.clear();
    for (int64_t j = first; j < last; ++j) codec.encode(j, scored[j - first], records);
    progress_file.append(records);
    for (JobResult& result : scored) results.push_back(std::move(result));
    meter.update(last - first_job - summary.resumed,
                 fmt::format("{} of {} alleles, at {}", last - first_job, last_job - first_job,
                             step.back()->variant.describe()));
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t run_here = last_job - first_job - summary.resumed;
  if (ranks > 1) {
    results = gather_results(world, codec, grid.ring_position() == 0 ? results : std::vector<JobResult>{}, jobs,
                             first_job_of);
    if (rank != 0) {
      failures.check();  // rank 0 has written the outputs, or every rank throws its failure
      progress_file.remove();
      return summary;
    }
  }

  // Reasons and counts.
  std::map<int64_t, std::vector<const Allele*>> by_record;
  for (const Allele& allele : alleles) by_record[allele.variant.record].push_back(&allele);
  auto skip_of = [&](const Allele& allele) -> std::string {
    if (!allele.skip.empty()) return allele.skip;
    return results[allele.job].n_fraction ? "n_fraction" : "";
  };
  for (const Allele& allele : alleles) {
    const std::string reason = skip_of(allele);
    if (reason.empty()) {
      ++summary.scored;
    } else {
      ++summary.skipped[reason];
    }
  }

  if (options.tsv) {
    write_file_atomically(*options.tsv, [&](std::ostream& out) {
      out << "chrom\tpos\tid\tref\talt\trecord\tallele";
      for (VariantScore score : options.scores) out << '\t' << variant_score_name(score);
      out << "\tpadding\tskip\n";
      for (const Allele& allele : alleles) {
        const Variant& v = allele.variant;
        const std::string reason = skip_of(allele);
        out << v.chrom << '\t' << v.position + 1 << '\t' << v.id << '\t' << v.ref << '\t' << v.alt << '\t' << v.record
            << '\t' << v.allele;
        for (VariantScore score : options.scores) {
          float value = std::numeric_limits<float>::quiet_NaN();
          if (reason.empty()) {
            const JobResult& result = results[allele.job];
            value = score == VariantScore::llr ? result.llr : score == VariantScore::embed_cosine ? result.cosine : result.l2;
          }
          out << '\t' << format_score(value);
        }
        out << '\t' << (reason.empty() ? std::to_string(results[allele.job].padding) : ".") << '\t'
            << (reason.empty() ? "." : reason) << '\n';
      }
    });
  }

  if (embeddings_out) {
    VariantEmbeddings e;
    e.spindle_version = kSpindleVersion;
    e.model_directory = options.model_directory;
    e.model_variant = model.config().rcps ? "ps" : "ph";
    e.precision = std::string(dtype_name(options.activations));
    e.device = model.device().str();
    e.vcf = options.vcf;
    e.fasta = options.fasta;
    e.window = options.window;
    e.pool = std::min(options.pool, options.window);
    std::vector<const Allele*> embedded;
    for (const Allele& allele : alleles) {
      if (skip_of(allele).empty()) embedded.push_back(&allele);
    }
    const int64_t count = static_cast<int64_t>(embedded.size());
    e.ref = Tensor::empty({count, width}, DType::f32);
    e.alt = Tensor::empty({count, width}, DType::f32);
    for (int64_t i = 0; i < count; ++i) {
      const Allele& allele = *embedded[i];
      const std::vector<float>& both = results[allele.job].embeddings;
      std::copy_n(both.data(), width, e.ref.data<float>() + i * width);
      std::copy_n(both.data() + width, width, e.alt.data<float>() + i * width);
      e.chrom.push_back(allele.variant.chrom);
      e.position.push_back(allele.variant.position + 1);
      e.ref_allele.push_back(allele.variant.ref);
      e.alt_allele.push_back(allele.variant.alt);
      e.record.push_back(allele.variant.record);
      e.allele.push_back(allele.variant.allele);
    }
    write_variant_embeddings(*options.embeddings, e);
  }
  // The VCF last: it is what says the run is done, so a failure writing the TSV or the
  // embeddings leaves no finished-looking VCF behind (each file is renamed into place whole).
  const std::vector<AddedInfoField> fields = added_fields(options, model);
  AnnotatedVcfOptions vcf;
  vcf.input = options.vcf;
  vcf.output = options.out;
  vcf.fields = fields;
  vcf.header_lines = {std::string("##spindleVersion=") + kSpindleVersion,
                      "##spindle_scoreVariantsCommand=" + score_variants_command(options)};
  const bool llr = wants(options, VariantScore::llr), cosine = wants(options, VariantScore::embed_cosine),
             l2 = wants(options, VariantScore::embed_l2);
  write_annotated_vcf(vcf, [&](int64_t record, int alts, AddedInfoValues& out) {
    const size_t numeric = fields.size() - 1;  // every field but SPINDLE_SKIP
    out.numbers.assign(numeric, std::vector<std::optional<double>>(static_cast<size_t>(alts)));
    out.texts.assign(1, std::vector<std::string>(static_cast<size_t>(alts)));
    // ALTs the reader did not yield: '*' (spanning deletion); '.' has no ALT.
    std::vector<bool> yielded(static_cast<size_t>(alts), false);
    const auto found = by_record.find(record);
    if (found != by_record.end()) {
      for (const Allele* allele : found->second) {
        const size_t a = static_cast<size_t>(allele->variant.allele - 1);
        yielded[a] = true;
        out.texts[0][a] = skip_of(*allele);
        if (!out.texts[0][a].empty()) continue;
        const JobResult& result = results[allele->job];
        size_t field = 0;
        auto put = [&](float value) {
          if (!std::isnan(value)) out.numbers[field][a] = value;
          ++field;
        };
        if (llr) put(result.llr);
        if (cosine) put(result.cosine);
        if (l2) put(result.l2);
        out.numbers[field][a] = result.padding;
      }
    }
    for (size_t a = 0; a < yielded.size(); ++a) {
      if (yielded[a]) continue;
      out.texts[0][a] = "spanning_deletion";
      ++summary.skipped["spanning_deletion"];
    }
  });

  failures.check();  // the progress files go only once the outputs are complete
  progress_file.remove();

  spdlog::info("score-variants: {} records, {} alleles: {} scored, {} not scored; {} alleles run in {:.1f} s "
               "({:.2f} variants/s){}",
               summary.records, summary.alleles, summary.scored, summary.alleles - summary.scored,
               run_here, summary.seconds, summary.seconds > 0 ? static_cast<double>(run_here) / summary.seconds : 0.0,
               summary.resumed > 0 ? fmt::format(", {} read back from {}", summary.resumed, progress_path) : "");
  for (const auto& [reason, count] : summary.skipped) spdlog::info("score-variants: not scored, {}: {}", reason, count);
  spdlog::info("score-variants: wrote {} and {}.tbi", options.out, options.out);
  return summary;
}

}  // namespace

ScoreVariantsSummary score_variants(const ScoreVariantsOptions& options, MpiCommunicator& world) {
  RankFailures failures(world, "score-variants");
  try {
    return score_on_rank(options, world, failures);
  } catch (...) {
    failures.fail();  // joins the check the other ranks wait in; every rank throws the failure
  }
}

}  // namespace spindle
