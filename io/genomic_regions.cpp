#include "io/genomic_regions.h"

#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "kernels/error.h"

namespace spindle {
namespace {

constexpr const char* kRegionForm =
    "chr:begin-end (1-based, inclusive, as samtools writes regions: chr1:1,001-2,000), a contig name alone for the "
    "whole contig, {name}:begin-end for a name with ':', or a BED file";

// The whole of `text` as a number; false when it is not one.
bool parse_number(std::string_view text, int64_t& value) {
  const char* stop = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), stop, value);
  return !text.empty() && error == std::errc() && at == stop;
}

// "1,001-2,000" -> first 1001, last 2000 (commas dropped); false unless 1 <= first <= last.
bool parse_range(std::string_view text, int64_t& first, int64_t& last) {
  std::string digits;
  for (const char c : text) {
    if (c != ',') digits += c;
  }
  const size_t dash = digits.find('-');
  if (dash == std::string::npos) return false;
  const std::string_view all = digits;
  return parse_number(all.substr(0, dash), first) && parse_number(all.substr(dash + 1), last) && first >= 1 &&
         first <= last;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (size_t tab = line.find('\t'); tab != std::string_view::npos; tab = line.find('\t', start)) {
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  fields.push_back(line.substr(start));
  return fields;
}

// Lines that carry no region: blank, comments, and the UCSC "track" and "browser" lines.
bool is_bed_header(std::string_view line) {
  const auto starts_word = [&](std::string_view word) {
    return line.starts_with(word) && (line.size() == word.size() || line[word.size()] == ' ' || line[word.size()] == '\t');
  };
  return line.empty() || line.front() == '#' || starts_word("track") || starts_word("browser");
}

GenomicRegion parse_bed_line(std::string_view line, const std::string& where) {
  const std::vector<std::string_view> fields = split_tabs(line);
  SPINDLE_CHECK(fields.size() >= 3, where, std::to_string(fields.size()) + " field(s)",
                "at least 3 tab-separated fields: contig, start, end (0-based, end exclusive)");
  const auto field = [&](size_t column, const char* role) {
    return "field " + std::to_string(column) + " (" + role + ") '" + std::string(fields[column - 1]) + "'";
  };
  GenomicRegion region;
  region.where = where;
  region.contig = fields[0];
  SPINDLE_CHECK(!region.contig.empty(), where, "field 1 (contig) is empty", "a contig name");
  int64_t end = 0;
  SPINDLE_CHECK(parse_number(fields[1], region.begin) && region.begin >= 0, where, field(2, "start"),
                "a whole number >= 0 (0-based)");
  SPINDLE_CHECK(parse_number(fields[2], end), where, field(3, "end"), "a whole number (0-based, exclusive)");
  SPINDLE_CHECK(end > region.begin, where, field(3, "end") + " is not after the start " + std::to_string(region.begin),
                "end > start: a region of at least one base");
  region.end = end;
  if (fields.size() >= 4 && fields[3] != ".") region.name = fields[3];
  if (fields.size() >= 6) {
    SPINDLE_CHECK(fields[5] == "+" || fields[5] == "-" || fields[5] == ".", where, field(6, "strand"), "+, - or .");
    region.strand = fields[5].front();
  }
  return region;
}

}  // namespace

GenomicRegion parse_region(const std::string& text, const std::string& where) {
  GenomicRegion region;
  region.where = where;
  std::string_view range;
  bool has_range = false;
  if (text.starts_with('{')) {
    const size_t close = text.find('}');
    SPINDLE_CHECK(close != std::string::npos && (close + 1 == text.size() || text[close + 1] == ':'), where,
                  "got '" + text + "'", kRegionForm);
    region.contig = text.substr(1, close - 1);
    has_range = close + 1 < text.size();
    if (has_range) range = std::string_view(text).substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    region.contig = text.substr(0, colon);
    has_range = colon != std::string::npos;
    if (has_range) range = std::string_view(text).substr(colon + 1);
  }
  SPINDLE_CHECK(!region.contig.empty(), where, "got '" + text + "': no contig name", kRegionForm);
  if (has_range) {
    int64_t first = 0, last = 0;
    SPINDLE_CHECK(parse_range(range, first, last), where, "got '" + text + "'", kRegionForm);
    region.begin = first - 1;
    region.end = last;
  }
  return region;
}

std::vector<GenomicRegion> read_bed(const std::string& path) {
  BGZF* file = bgzf_open(path.c_str(), "r");
  SPINDLE_CHECK(file != nullptr, path, "cannot open", "a readable BED file (plain or gzip)");
  std::unique_ptr<BGZF, decltype(&bgzf_close)> closer(file, &bgzf_close);
  // A bgzip file cut at a block boundary reads as complete; only its end marker tells.
  SPINDLE_CHECK(bgzf_compression(file) != 2 || bgzf_check_EOF(file) != 0, path,
                "truncated bgzip file: the end-of-file marker block is missing", "a complete bgzip file (bgzip -c)");
  struct Line {
    kstring_t text = {0, 0, nullptr};
    ~Line() { std::free(text.s); }
  } line;
  std::vector<GenomicRegion> regions;
  for (int64_t number = 1;; ++number) {
    const int status = bgzf_getline(file, '\n', &line.text);
    if (status == -1) break;
    SPINDLE_CHECK(status >= 0, path + ":" + std::to_string(number), "corrupt or truncated data",
                  "a readable BED file (plain or gzip)");
    std::string_view text(line.text.s, line.text.l);
    if (text.ends_with('\r')) text.remove_suffix(1);  // Windows line ends
    if (!is_bed_header(text)) regions.push_back(parse_bed_line(text, path + ":" + std::to_string(number)));
  }
  return regions;
}

std::vector<GenomicRegion> read_regions(const std::vector<std::string>& values, const std::string& option) {
  std::vector<GenomicRegion> regions;
  for (const std::string& value : values) {
    std::error_code ignored;
    if (std::filesystem::exists(value, ignored) && !std::filesystem::is_directory(value, ignored)) {
      for (GenomicRegion& region : read_bed(value)) regions.push_back(std::move(region));
    } else {
      SPINDLE_CHECK(!value.ends_with(".bed") && !value.ends_with(".bed.gz"), option + " " + value, "no such file",
                    "an existing BED file");
      regions.push_back(parse_region(value, option + " " + value));
    }
  }
  return regions;
}

GenomicRegion within_contig(const GenomicRegion& region, int64_t contig_length, const std::string& source) {
  GenomicRegion bounded = region;
  bounded.end = region.end.value_or(contig_length);
  SPINDLE_CHECK(*bounded.end <= contig_length, region.where,
                region_label(region.contig, region.begin, *bounded.end) + " ends past the end of " + region.contig +
                    " (" + std::to_string(contig_length) + " bases in " + source + ")",
                "a region within the contig");
  return bounded;
}

std::string region_label(const std::string& contig, int64_t begin, int64_t end) {
  return contig + ":" + std::to_string(begin + 1) + "-" + std::to_string(end);
}

}  // namespace spindle
