#include "io/bgzipped_vcf.h"

#include <htslib/bgzf.h>
#include <htslib/tbx.h>
#include <unistd.h>

#include <filesystem>

#include "io/atomic_write.h"
#include "io/check.h"
#include "kernels/error.h"

namespace spindle {

void write_indexed_vcf(const std::string& path, int threads, const std::function<void(const std::string&)>& write) {
  const std::string temporary = prepare_partial_output(path);
  const std::string temporary_index = prepare_partial_output(path + ".tbi");
  auto remove_temporaries = [&] {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    std::filesystem::remove(temporary_index, ignored);
  };
  try {
    write(temporary);
    check_hts(tbx_index_build3(temporary.c_str(), temporary_index.c_str(), 0, threads, &tbx_conf_vcf),
              "tbx_index_build3 " + temporary + " (records must be sorted by contig and position)");
    // The old index goes before the new VCF takes its place: a crash between the renames then
    // leaves a VCF without an index (tabix and bcftools refuse it), never the new VCF beside
    // the old index, which they would use without a word for the wrong offsets.
    std::error_code removing;
    std::filesystem::remove(path + ".tbi", removing);
    SPINDLE_CHECK(!removing, path + ".tbi", "the old index cannot be removed (" + removing.message() + ")",
                  "a file that can be replaced");
    rename_durably(temporary, path);
    rename_durably(temporary_index, path + ".tbi");
  } catch (...) {
    remove_temporaries();
    throw;
  }
}

void write_bgzipped_vcf(const std::string& path, const std::string& vcf_text) {
  write_indexed_vcf(path, 0, [&](const std::string& temporary) {
    BGZF* out = bgzf_open(temporary.c_str(), "w");
    SPINDLE_CHECK(out != nullptr, temporary, "cannot create", "a writable folder");
    const ssize_t written = bgzf_write(out, vcf_text.data(), vcf_text.size());
    const int closed = bgzf_close(out);
    SPINDLE_CHECK(written == static_cast<ssize_t>(vcf_text.size()) && closed == 0, temporary, "write failed",
                  "space on the disk");
  });
}

}  // namespace spindle
