#include "io/vcf_info_values.h"

#include <htslib/vcf.h>

#include <cstdlib>
#include <memory>

#include "kernels/error.h"

namespace spindle {
namespace {

struct FieldLayout {
  std::string name;
  int type = BCF_HT_REAL;   // BCF_HT_REAL or BCF_HT_INT
  bool per_allele = true;   // Number=A; otherwise Number=1
};

std::string declared_info_fields(const bcf_hdr_t* header) {
  std::string names;
  for (int id = 0; id < header->n[BCF_DT_ID]; ++id) {
    if (!bcf_hdr_idinfo_exists(header, BCF_HL_INFO, id)) continue;
    names += (names.empty() ? "" : ", ") + std::string(bcf_hdr_int2id(header, BCF_DT_ID, id));
  }
  return names.empty() ? "none" : names;
}

FieldLayout layout_of(const std::string& path, const bcf_hdr_t* header, const std::string& field) {
  const int id = bcf_hdr_id2int(header, BCF_DT_ID, field.c_str());
  SPINDLE_CHECK(bcf_hdr_idinfo_exists(header, BCF_HL_INFO, id), path + ": header",
                "INFO field " + field + " is not declared (declared: " + declared_info_fields(header) + ")",
                "##INFO=<ID=" + field + ",Number=A,Type=Float,...>");
  const int type = static_cast<int>(bcf_hdr_id2type(header, BCF_HL_INFO, id));
  const int length = bcf_hdr_id2length(header, BCF_HL_INFO, id);
  const bool fixed_one = length == BCF_VL_FIXED && bcf_hdr_id2number(header, BCF_HL_INFO, id) == 1;
  SPINDLE_CHECK((type == BCF_HT_REAL || type == BCF_HT_INT) && (length == BCF_VL_A || fixed_one), path + ": header",
                "INFO field " + field + " is not a number per ALT allele",
                "Type=Float or Integer with Number=A or Number=1");
  return FieldLayout{field, type, length == BCF_VL_A};
}

// What htslib's error bits of a record mean.
std::string record_errors(int errcode) {
  static const std::pair<int, const char*> kMeanings[] = {
      {BCF_ERR_CTG_UNDEF, "contig not declared in the header"}, {BCF_ERR_TAG_UNDEF, "INFO/FORMAT tag not declared"},
      {BCF_ERR_NCOLS, "wrong number of columns"},               {BCF_ERR_LIMITS, "value beyond htslib's limits"},
      {BCF_ERR_CHAR, "invalid character"},                      {BCF_ERR_CTG_INVALID, "invalid contig"},
      {BCF_ERR_TAG_INVALID, "invalid tag"}};
  std::string text;
  for (const auto& [bit, meaning] : kMeanings) {
    if (errcode & bit) text += (text.empty() ? "" : ", ") + std::string(meaning);
  }
  return text.empty() ? "malformed or truncated record" : text;
}

}  // namespace

std::vector<AlleleInfoValues> read_allele_info_values(const std::string& path, const std::string& flag,
                                                      const std::vector<std::string>& fields) {
  std::unique_ptr<htsFile, decltype(&hts_close)> file(hts_open(path.c_str(), "r"), &hts_close);
  SPINDLE_CHECK(file != nullptr, path, "cannot open", "a readable VCF or BCF file");
  std::unique_ptr<bcf_hdr_t, decltype(&bcf_hdr_destroy)> header(bcf_hdr_read(file.get()), &bcf_hdr_destroy);
  SPINDLE_CHECK(header != nullptr, path, "no VCF header", "a VCF (##fileformat, #CHROM line) or BCF file");
  const int flag_id = bcf_hdr_id2int(header.get(), BCF_DT_ID, flag.c_str());
  SPINDLE_CHECK(bcf_hdr_idinfo_exists(header.get(), BCF_HL_INFO, flag_id) &&
                    bcf_hdr_id2type(header.get(), BCF_HL_INFO, flag_id) == BCF_HT_FLAG,
                path + ": header", "INFO flag " + flag + " is not declared as a flag (declared INFO: " +
                                       declared_info_fields(header.get()) + ")",
                "##INFO=<ID=" + flag + ",Number=0,Type=Flag,...>");
  std::vector<FieldLayout> layouts;
  for (const std::string& field : fields) layouts.push_back(layout_of(path, header.get(), field));

  std::unique_ptr<bcf1_t, decltype(&bcf_destroy)> record(bcf_init(), &bcf_destroy);
  // htslib's buffers for the values, grown by htslib as needed.
  struct Buffers {
    float* floats = nullptr;
    int32_t* ints = nullptr;
    int float_capacity = 0, int_capacity = 0;
    ~Buffers() {
      free(floats);
      free(ints);
    }
  } buffers;
  float*& floats = buffers.floats;
  int32_t*& ints = buffers.ints;
  std::vector<AlleleInfoValues> alleles;
  for (int64_t index = 1;; ++index) {
    const int status = bcf_read(file.get(), header.get(), record.get());
    if (status == -1) break;
    SPINDLE_CHECK(status == 0 && record->errcode == 0, path + ": record " + std::to_string(index),
                  record_errors(record->errcode),
                  "a VCF/BCF record");
    bcf_unpack(record.get(), BCF_UN_INFO);
    const std::string where = path + ": record " + std::to_string(index);
    const int alts = record->n_allele - 1;
    const bool flagged = bcf_get_info_flag(header.get(), record.get(), flag.c_str(), nullptr, nullptr) == 1;
    const size_t first = alleles.size();
    for (int allele = 1; allele <= alts; ++allele) {
      alleles.push_back({.chrom = bcf_seqname_safe(header.get(), record.get()),
                         .position = record->pos + 1,
                         .allele = allele,
                         .ref = record->d.allele[0],
                         .alt = record->d.allele[allele],
                         .end = record->pos + record->rlen,
                         .record = index,
                         .flagged = flagged,
                         .values = {}});
    }
    for (const FieldLayout& layout : layouts) {
      int count = 0;
      if (layout.type == BCF_HT_REAL) {
        count = bcf_get_info_float(header.get(), record.get(), layout.name.c_str(), &floats, &buffers.float_capacity);
      } else {
        count = bcf_get_info_int32(header.get(), record.get(), layout.name.c_str(), &ints, &buffers.int_capacity);
      }
      // -3: the record does not have the field; every ALT is then without a value.
      SPINDLE_CHECK(count >= 0 || count == -3, where, "cannot read INFO " + layout.name + " (htslib status " +
                    std::to_string(count) + ")", "numbers as the header declares");
      const int expected = layout.per_allele ? alts : 1;
      SPINDLE_CHECK(count < 0 || count == expected, where,
                    "INFO " + layout.name + " has " + std::to_string(count) + " values",
                    std::to_string(expected) + (layout.per_allele ? " (Number=A: one per ALT)" : " (Number=1)"));
      for (int allele = 0; allele < alts; ++allele) {
        std::optional<double> value;
        if (count > 0) {
          const int i = layout.per_allele ? allele : 0;
          if (layout.type == BCF_HT_REAL) {
            if (!bcf_float_is_missing(floats[i]) && !bcf_float_is_vector_end(floats[i])) value = floats[i];
          } else if (ints[i] != bcf_int32_missing && ints[i] != bcf_int32_vector_end) {
            value = ints[i];
          }
        }
        alleles[first + allele].values.push_back(value);
      }
    }
  }
  return alleles;
}

}  // namespace spindle
