#include "io/vcf_reader.h"

#include <htslib/faidx.h>
#include <htslib/vcf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

#include "io/fasta_index.h"
#include "kernels/error.h"

namespace spindle {
namespace {

constexpr int kMismatchesLogged = 10;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

}  // namespace

bool is_symbolic_allele(const std::string& allele) {
  return allele.empty() || allele[0] == '<' || allele == "*" || allele.find_first_of("[]") != std::string::npos;
}

std::string Variant::describe() const {
  return chrom + ":" + std::to_string(position + 1) + " " + ref + ">" + alt;
}

struct VcfReader::State {
  std::string path;
  VcfOptions options;
  htsFile* file = nullptr;
  bcf_hdr_t* header = nullptr;
  bcf1_t* record = bcf_init();
  faidx_t* reference = nullptr;
  std::deque<Variant> pending;
  int64_t records = 0, mismatches = 0;

  ~State() {
    if (reference) fai_destroy(reference);
    bcf_destroy(record);
    if (header) bcf_hdr_destroy(header);
    if (file) hts_close(file);
  }

  // Reference bases [begin, end) of chrom, uppercase.
  std::string reference_bases(const std::string& chrom, int64_t begin, int64_t end) const {
    hts_pos_t length = 0;
    char* bases = faidx_fetch_seq64(reference, chrom.c_str(), begin, end - 1, &length);
    if (!bases || length != end - begin) {
      free(bases);
      throw Error(path + ": record " + std::to_string(records) + " at " + chrom + ":" + std::to_string(begin + 1),
                  "position outside the reference " + *options.reference, "a contig and range of the reference");
    }
    std::string text(bases, static_cast<size_t>(length));
    free(bases);
    return upper(text);
  }

  // Trims shared suffix and prefix; with a reference, shifts indels left while they can
  // move (Tan et al. 2015).
  void normalize(Variant& variant) const {
    bool changed = true;
    while (changed) {
      changed = false;
      // Without a reference an allele cannot be extended to the left, so none is emptied.
      const bool may_empty = reference != nullptr;
      if (!variant.ref.empty() && !variant.alt.empty() && variant.ref.back() == variant.alt.back() &&
          (may_empty || (variant.ref.size() > 1 && variant.alt.size() > 1))) {
        variant.ref.pop_back();
        variant.alt.pop_back();
        changed = true;
      }
      if ((variant.ref.empty() || variant.alt.empty())) {
        if (!reference || variant.position == 0) {
          throw Error(path + ": record " + std::to_string(variant.record), "cannot normalize " + variant.describe(),
                      "an allele that keeps a base");
        }
        --variant.position;
        const std::string base = reference_bases(variant.chrom, variant.position, variant.position + 1);
        variant.ref = base + variant.ref;
        variant.alt = base + variant.alt;
        changed = true;
      }
    }
    while (variant.ref.size() > 1 && variant.alt.size() > 1 && variant.ref[0] == variant.alt[0]) {
      variant.ref.erase(0, 1);
      variant.alt.erase(0, 1);
      ++variant.position;
    }
  }

  void split(const bcf1_t* rec) {
    const std::string chrom = bcf_seqname(header, rec);
    const std::string ref = upper(rec->d.allele[0]);
    bool ref_matches = true;
    const bool contig_in_reference = !reference || faidx_has_seq(reference, chrom.c_str());
    if (!contig_in_reference) {
      ref_matches = false;
    } else if (reference) {
      ref_matches = reference_bases(chrom, rec->pos, rec->pos + static_cast<int64_t>(ref.size())) == ref;
      if (!ref_matches) {
        ++mismatches;
        const std::string where = path + ": record " + std::to_string(records) + " at " + chrom + ":" +
                                  std::to_string(rec->pos + 1);
        const std::string expected = "REF " + reference_bases(chrom, rec->pos, rec->pos + static_cast<int64_t>(ref.size())) +
                                     " as in " + *options.reference;
        if (options.on_ref_mismatch == RefMismatchPolicy::error) throw Error(where, "REF " + ref + " differs from the reference", expected);
        if (mismatches <= kMismatchesLogged) spdlog::warn("{}: REF {} differs from the reference (expected {})", where, ref, expected);
      }
    }
    for (int allele = 1; allele < rec->n_allele; ++allele) {
      const std::string alt = upper(rec->d.allele[allele]);
      if (alt == "*" || alt == ".") continue;
      Variant variant{chrom, rec->pos, ref, alt, rec->d.id, allele, rec->n_allele - 1, records, ref_matches,
                      contig_in_reference};
      if (!is_symbolic_allele(alt) && ref_matches && alt != ref) normalize(variant);
      pending.push_back(std::move(variant));
    }
  }
};

VcfReader::VcfReader(const std::string& path, const VcfOptions& options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.options = options;
  s.file = hts_open(path.c_str(), "r");
  if (!s.file) throw Error(path, "cannot open", "a readable VCF or BCF file");
  s.header = bcf_hdr_read(s.file);
  if (!s.header) throw Error(path, "no VCF header", "a VCF (##fileformat, #CHROM line) or BCF file");
  if (options.reference) {
    require_fasta_index(*options.reference);
    s.reference = fai_load3(options.reference->c_str(), nullptr, nullptr, 0);
    if (!s.reference) throw Error(*options.reference, "cannot load the FASTA index", "a samtools faidx index");
  }
}

VcfReader::~VcfReader() = default;

bool VcfReader::next(Variant& variant) {
  State& s = *state_;
  while (s.pending.empty()) {
    const int status = bcf_read(s.file, s.header, s.record);
    if (status == -1) return false;
    if (status < -1 || s.record->errcode) {
      throw Error(s.path + ": record " + std::to_string(s.records + 1), "malformed or truncated record (htslib error " +
                  std::to_string(s.record->errcode) + ")", "a VCF/BCF record");
    }
    ++s.records;
    bcf_unpack(s.record, BCF_UN_STR);
    // htslib takes a line cut before its REF column as a record without alleles.
    SPINDLE_CHECK(s.record->n_allele > 0, s.path + ": record " + std::to_string(s.records), "no REF column",
                  "CHROM, POS, ID, REF and ALT, tab-separated");
    s.split(s.record);
  }
  variant = std::move(s.pending.front());
  s.pending.pop_front();
  return true;
}

int64_t VcfReader::records_read() const { return state_->records; }
int64_t VcfReader::ref_mismatches() const { return state_->mismatches; }

}  // namespace spindle
