#include "io/annotated_vcf.h"

#include <htslib/hts.h>
#include <htslib/vcf.h>

#include <cmath>
#include <memory>
#include <set>

#include "io/bgzipped_vcf.h"
#include "io/check.h"
#include "kernels/error.h"

namespace spindle {
namespace {

// An open VCF/BCF input, its header and one record buffer.
struct VcfInput {
  std::string path;
  htsFile* file = nullptr;
  bcf_hdr_t* header = nullptr;
  bcf1_t* record = bcf_init();
  int64_t records = 0;

  explicit VcfInput(const std::string& input) : path(input) {
    file = hts_open(path.c_str(), "r");
    SPINDLE_CHECK(file != nullptr, path, "cannot open", "a readable VCF or BCF file");
    header = bcf_hdr_read(file);
    SPINDLE_CHECK(header != nullptr, path, "no VCF header", "a VCF (##fileformat, #CHROM line) or BCF file");
  }
  ~VcfInput() {
    bcf_destroy(record);
    if (header) bcf_hdr_destroy(header);
    if (file) hts_close(file);
  }
  VcfInput(const VcfInput&) = delete;
  VcfInput& operator=(const VcfInput&) = delete;

  bool next() {
    const int status = bcf_read(file, header, record);
    if (status == -1) return false;
    SPINDLE_CHECK(status >= 0 && record->errcode == 0, path + ": record " + std::to_string(records + 1),
                  "malformed or truncated record (htslib error " + std::to_string(record->errcode) + ")",
                  "a VCF/BCF record");
    ++records;
    return true;
  }
  std::string where() const {
    return path + ": record " + std::to_string(records) + " at " + bcf_seqname_safe(header, record) + ":" +
           std::to_string(record->pos + 1);
  }
};

const char* type_name(AddedInfoField::Type type) {
  switch (type) {
    case AddedInfoField::Type::Float: return "Float";
    case AddedInfoField::Type::Integer: return "Integer";
    case AddedInfoField::Type::String: return "String";
  }
  return "";
}

bool all_missing(const std::vector<std::optional<double>>& values) {
  for (const std::optional<double>& value : values) {
    if (value) return false;
  }
  return true;
}

void update_record(const AnnotatedVcfOptions& options, const VcfInput& input, int alts, const AddedInfoValues& values) {
  size_t numeric = 0, text = 0;
  for (const AddedInfoField& field : options.fields) {
    int status = 0;
    if (field.type == AddedInfoField::Type::String) {
      SPINDLE_CHECK(text < values.texts.size() && values.texts[text].size() == static_cast<size_t>(alts),
                    input.where(), "no value per ALT for INFO " + field.id, std::to_string(alts) + " values");
      const std::vector<std::string>& given = values.texts[text++];
      std::string joined;
      bool any = false;
      for (int a = 0; a < alts; ++a) {
        if (a) joined += ',';
        joined += given[a].empty() ? "." : given[a];
        any = any || !given[a].empty();
      }
      if (any) status = bcf_update_info_string(input.header, input.record, field.id.c_str(), joined.c_str());
    } else {
      SPINDLE_CHECK(numeric < values.numbers.size() && values.numbers[numeric].size() == static_cast<size_t>(alts),
                    input.where(), "no value per ALT for INFO " + field.id, std::to_string(alts) + " values");
      const std::vector<std::optional<double>>& given = values.numbers[numeric++];
      if (all_missing(given)) continue;
      if (field.type == AddedInfoField::Type::Float) {
        std::vector<float> floats(static_cast<size_t>(alts));
        for (int a = 0; a < alts; ++a) {
          if (given[a]) {
            floats[a] = static_cast<float>(*given[a]);
          } else {
            bcf_float_set_missing(floats[a]);
          }
        }
        status = bcf_update_info_float(input.header, input.record, field.id.c_str(), floats.data(), alts);
      } else {
        std::vector<int32_t> integers(static_cast<size_t>(alts));
        for (int a = 0; a < alts; ++a) {
          integers[a] = given[a] ? static_cast<int32_t>(std::llround(*given[a])) : bcf_int32_missing;
        }
        status = bcf_update_info_int32(input.header, input.record, field.id.c_str(), integers.data(), alts);
      }
    }
    check_hts(status, input.where() + ": setting INFO " + field.id);
  }
}

}  // namespace

int64_t check_vcf_sorted(const std::string& path) {
  VcfInput input(path);
  std::set<int> finished;  // contigs whose records are behind us
  int contig = -1;
  int64_t position = -1;
  while (input.next()) {
    const bcf1_t* record = input.record;
    const char* sort_hint = "records grouped by contig and sorted by position, as a tabix index needs (sort with: "
                            "bcftools sort IN -Oz -o SORTED.vcf.gz)";
    if (record->rid != contig) {
      SPINDLE_CHECK(!finished.count(record->rid), input.where(),
                    std::string("contig ") + bcf_seqname_safe(input.header, record) +
                        " appears again after records of another contig",
                    sort_hint);
      if (contig >= 0) finished.insert(contig);
      contig = record->rid;
    } else {
      SPINDLE_CHECK(record->pos >= position, input.where(),
                    "position below the previous record's (" + std::to_string(position + 1) + ")", sort_hint);
    }
    position = record->pos;
  }
  return input.records;
}

void write_annotated_vcf(const AnnotatedVcfOptions& options,
                         const std::function<void(int64_t record, int alts, AddedInfoValues& out)>& values) {
  VcfInput input(options.input);
  for (const AddedInfoField& field : options.fields) {
    SPINDLE_CHECK(!bcf_hdr_idinfo_exists(input.header, BCF_HL_INFO, bcf_hdr_id2int(input.header, BCF_DT_ID, field.id.c_str())),
                  options.input, "already declares INFO " + field.id + " (scored before?)",
                  "a VCF without it (remove it with: bcftools annotate -x INFO/" + field.id + " IN -Oz -o OUT.vcf.gz)");
    const std::string line = "##INFO=<ID=" + field.id + ",Number=A,Type=" + type_name(field.type) +
                             ",Description=\"" + field.description + "\">";
    check_hts(bcf_hdr_append(input.header, line.c_str()), "bcf_hdr_append " + line);
  }
  for (const std::string& line : options.header_lines) {
    check_hts(bcf_hdr_append(input.header, line.c_str()), "bcf_hdr_append " + line);
  }
  check_hts(bcf_hdr_sync(input.header), "bcf_hdr_sync " + options.input);

  write_indexed_vcf(options.output, options.threads, [&](const std::string& temporary) {
    std::unique_ptr<htsFile, decltype(&hts_close)> out(hts_open(temporary.c_str(), "wz"), &hts_close);
    SPINDLE_CHECK(out != nullptr, temporary, "cannot create", "a writable folder");
    if (options.threads > 0) check_hts(hts_set_threads(out.get(), options.threads), "hts_set_threads " + temporary);
    check_hts(bcf_hdr_write(out.get(), input.header), "writing the header of " + temporary);
    AddedInfoValues record_values;
    while (input.next()) {
      const int alts = input.record->n_allele - 1;
      record_values.numbers.clear();
      record_values.texts.clear();
      values(input.records, alts, record_values);
      update_record(options, input, alts, record_values);
      check_hts(bcf_write(out.get(), input.header, input.record), "writing " + temporary + " (" + input.where() + ")");
    }
    SPINDLE_CHECK(hts_close(out.release()) == 0, temporary, "write failed", "space on the disk");
  });
}

}  // namespace spindle
