#include "io/vcf_reader.h"

#include <htslib/faidx.h>
#include <htslib/vcf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>

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
  // Contig lengths from the .fai, in 64 bits: faidx_seq_len returns an int, which wraps past
  // 2^31 bases (conifer and wheat chromosomes).
  std::map<std::string, int64_t> contig_lengths;
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
      // An emptied allele takes the base on its left from the reference. Without a reference,
      // or at the contig's first base, there is none: the allele keeps its base on the right
      // (as the VCF specification pads at position 1, and bcftools norm leaves it).
      const bool may_empty = reference != nullptr && variant.position > 0;
      if (!variant.ref.empty() && !variant.alt.empty() && variant.ref.back() == variant.alt.back() &&
          (may_empty || (variant.ref.size() > 1 && variant.alt.size() > 1))) {
        variant.ref.pop_back();
        variant.alt.pop_back();
        changed = true;
      }
      if (variant.ref.empty() || variant.alt.empty()) {
        if (!may_empty) {  // an allele read empty: no trim above empties one then
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

  // htslib reads a record whose contig or tags the header does not declare (its warning names
  // them), but flags it; its error number alone would tell the user nothing.
  [[noreturn]] void throw_record_error(int status) const {
    const std::string where = path + ": record " + std::to_string(records + 1);
    if (status < -1) {
      throw Error(where, "malformed or truncated record (htslib error " + std::to_string(record->errcode) + ")",
                  "a VCF/BCF record");
    }
    const std::string chrom = bcf_seqname_safe(header, record);
    const std::string at = where + " at " + chrom + ":" + std::to_string(record->pos + 1);
    if (record->errcode & BCF_ERR_CTG_UNDEF) {
      throw Error(at, "contig " + chrom + " is not declared in the header",
                  "a line ##contig=<ID=" + chrom + ",length=...> for every contig of the records "
                  "(bcftools reheader --fai REF.fa.fai adds them)");
    }
    if (record->errcode & BCF_ERR_TAG_UNDEF) {
      throw Error(at, "an INFO, FORMAT or FILTER tag of the record is not declared in the header "
                      "(htslib's warning above names it)",
                  "a line ##INFO=<ID=...>, ##FORMAT=<ID=...> or ##FILTER=<ID=...> for every tag of the records "
                  "(bcftools annotate --header-lines FILE adds them)");
    }
    throw Error(at, "malformed record (htslib error " + std::to_string(record->errcode) + ")", "a VCF/BCF record");
  }

  void split(const bcf1_t* rec) {
    const std::string chrom = bcf_seqname(header, rec);
    const std::string ref = upper(rec->d.allele[0]);
    bool ref_matches = true;
    const bool contig_in_reference = !reference || faidx_has_seq(reference, chrom.c_str());
    if (!contig_in_reference) {
      ref_matches = false;
    } else if (reference) {
      // Checked here: faidx clamps a range past the contig's end to its last base.
      const int64_t ref_end = rec->pos + static_cast<int64_t>(ref.size());
      const int64_t contig_length = contig_lengths.at(chrom);
      const bool within_contig = rec->pos >= 0 && ref_end <= contig_length;
      const std::string reference_ref = within_contig ? reference_bases(chrom, rec->pos, ref_end) : "";
      ref_matches = within_contig && reference_ref == ref;
      if (!ref_matches) {
        ++mismatches;
        const std::string where = path + ": record " + std::to_string(records) + " at " + chrom + ":" +
                                  std::to_string(rec->pos + 1);
        const std::string& fasta = *options.reference;
        const std::string problem =
            "REF " + ref + (within_contig ? " differs from the reference" : " is not within contig " + chrom);
        const std::string expected =
            within_contig ? "REF " + reference_ref + " as in " + fasta
                          : "a REF within the " + std::to_string(contig_length) + " bases of " + chrom + " in " + fasta;
        if (options.on_ref_mismatch == RefMismatchPolicy::error) throw Error(where, problem, expected);
        if (mismatches <= kMismatchesLogged) spdlog::warn("{}: {} (expected {})", where, problem, expected);
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
    s.contig_lengths = fasta_index_lengths(*options.reference).value_or(std::map<std::string, int64_t>{});
  }
}

VcfReader::~VcfReader() = default;

bool VcfReader::next(Variant& variant) {
  State& s = *state_;
  while (s.pending.empty()) {
    const int status = bcf_read(s.file, s.header, s.record);
    if (status == -1) return false;
    if (status < -1 || s.record->errcode) s.throw_record_error(status);
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
