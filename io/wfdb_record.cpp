#include "io/wfdb_record.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include "io/timestamp.h"
#include "kernels/error.h"

namespace spindle {
namespace {

constexpr double kDefaultGain = 200.0;  // WFDB's DEFGAIN, for a gain of 0 or none

struct SignalSpec {
  std::string file;
  int format = 0;
  int64_t byte_offset = 0;
  double gain = kDefaultGain;
  double baseline = 0;
  int adc_zero = 0;
  std::string units = "mV";
  std::optional<int> initial_value, checksum;
  std::string description;
  int64_t header_line = 0;
};

struct Header {
  std::string name;
  int signals = 0;
  double frequency = 250.0;  // WFDB's default
  std::optional<int64_t> samples;
  std::optional<int64_t> start_time_ns;
  std::vector<SignalSpec> specs;
  std::vector<std::string> comments;
};

// `text` as a whole number of type Number (integer or floating point).
template <typename Number>
Number to_number(const std::string& text, const std::string& where, const std::string& field) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    const char* kind = std::is_integral_v<Number> ? "an integer" : "a number";
    throw Error(where, field + " '" + text + "' is not " + kind, std::string(kind) + " " + field);
  }
  return value;
}

// `text` as a whole number that fits an int, as WFDB's own library reads these fields.
int to_int(const std::string& text, const std::string& where, const std::string& field) {
  const int64_t value = to_number<int64_t>(text, where, field);
  SPINDLE_CHECK(value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max(), where,
                field + " " + text, "a whole number that fits 32 bits");
  return static_cast<int>(value);
}

// "fs[/counter[(base)]]": the sampling frequency only.
double parse_frequency(const std::string& field, const std::string& where) {
  const std::string text = field.substr(0, field.find('/'));
  const double frequency = to_number<double>(text, where, "sampling frequency");
  SPINDLE_CHECK(std::isfinite(frequency) && frequency > 0, where, "sampling frequency " + text,
                "a finite frequency above 0 Hz");
  return frequency;
}

// `text` split at every `separator`.
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == separator) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

// A one-digit field ("5", "0.25") with a leading zero, as parse_timestamp_ns reads two digits.
std::string two_digits(const std::string& field) {
  return std::min(field.find('.'), field.size()) == 1 ? "0" + field : field;
}

// Base time "[[H]H:][M]M:[S]S[.fff]" (the WFDB library reads "MM:SS" and "SS" too) and base
// date "[D]D/[M]M/YYYY" to ns since the epoch: header(5) gives 13:5:0 and 25/4/1989 as valid.
// A well-formed date in a year int64 nanoseconds cannot hold (de-identified databases shift
// dates by centuries) leaves the start time out with a warning; anything else unreadable is an error.
std::optional<int64_t> parse_base_time(const std::string& time, const std::string& date, const std::string& where) {
  std::vector<std::string> clock = split(time, ':');
  const std::vector<std::string> day = split(date, '/');
  if (clock.size() <= 3 && day.size() == 3) {
    clock.insert(clock.begin(), 3 - clock.size(), "0");
    const std::string hms = two_digits(clock[0]) + ":" + two_digits(clock[1]) + ":" + two_digits(clock[2]);
    const std::string month_day = "-" + two_digits(day[1]) + "-" + two_digits(day[0]) + " " + hms;
    if (const std::optional<int64_t> ns = parse_timestamp_ns(day[2] + month_day)) return ns;
    // The same day and time in a year inside the range (2000, a leap year like any year that has
    // a 29 February) tells a year out of range from a malformed date or time.
    const bool year_digits = day[2].size() == 4 && day[2].find_first_not_of("0123456789") == std::string::npos;
    if (year_digits && parse_timestamp_ns("2000" + month_day)) {
      spdlog::warn("{}: base date {} is outside the years 1678 to 2261 that int64 nanoseconds hold: the record has "
                   "no start time", where, date);
      return std::nullopt;
    }
  }
  throw Error(where, "base time and date '" + time + " " + date + "' are not a time of day and a date",
              "HH:MM:SS[.fff] DD/MM/YYYY (e.g. 13:5:0 25/4/1989)");
}

SignalSpec parse_signal_line(std::istringstream& fields, const std::string& where, const std::string& directory) {
  SignalSpec spec;
  std::string format, gain, adc_resolution, adc_zero, initial, checksum, block_size;
  if (!(fields >> spec.file >> format)) throw Error(where, "signal line without file name and format", "'FILE FORMAT ...'");
  if (spec.file == "-") throw Error(where, "signals on standard input are unsupported", "a signal file name");
  spec.file = (std::filesystem::path(directory) / spec.file).string();
  // format[xsamples][:skew][+offset]
  const size_t format_digits = std::min(format.find_first_not_of("0123456789"), format.size());
  spec.format = to_number<int>(format.substr(0, format_digits), where, "signal format");
  std::string rest = format.substr(format_digits);
  if (!rest.empty() && rest[0] == 'x') {
    size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (to_number<int64_t>(rest.substr(1, digits - 1), where, "samples per frame") != 1) {
      throw Error(where, "unsupported: several samples per frame ('" + format + "')", "one sample per signal per frame");
    }
    rest = rest.substr(digits);
  }
  if (!rest.empty() && rest[0] == ':') {
    const size_t plus = rest.find('+');
    if (to_number<int64_t>(rest.substr(1, plus == std::string::npos ? std::string::npos : plus - 1), where, "skew") != 0) {
      throw Error(where, "unsupported: skewed signal ('" + format + "')", "skew 0");
    }
    rest = plus == std::string::npos ? "" : rest.substr(plus);
  }
  if (!rest.empty() && rest[0] == '+') {
    spec.byte_offset = to_number<int64_t>(rest.substr(1), where, "byte offset");
    if (spec.byte_offset < 0) throw Error(where, "negative byte offset in '" + format + "'", "FORMAT+OFFSET, OFFSET >= 0");
    rest.clear();
  }
  if (!rest.empty()) throw Error(where, "cannot read format field '" + format + "'", "FORMAT[xN][:SKEW][+OFFSET]");
  if (spec.format != 16 && spec.format != 212 && spec.format != 80) {
    throw Error(where, "unsupported signal format " + std::to_string(spec.format), "format 16, 212 or 80");
  }
  bool baseline_given = false;
  if (fields >> gain) {
    // gain[(baseline)][/units]
    const size_t slash = gain.find('/');
    if (slash != std::string::npos) {
      spec.units = gain.substr(slash + 1);
      gain.resize(slash);
    }
    const size_t open = gain.find('(');
    if (open != std::string::npos) {
      const size_t close = gain.find(')', open);
      if (close == std::string::npos) throw Error(where, "unclosed baseline in '" + gain + "'", "GAIN(BASELINE)");
      spec.baseline = static_cast<double>(to_number<int64_t>(gain.substr(open + 1, close - open - 1), where, "baseline"));
      baseline_given = true;
      gain.resize(open);
    }
    const double value = to_number<double>(gain, where, "gain");
    // Digital values fit 32 bits, so a gain of 1e-29 or more keeps every physical value in float32.
    SPINDLE_CHECK(std::isfinite(value) && (value == 0 || std::fabs(value) >= 1e-29), where, "gain " + gain,
                  "a finite gain of magnitude 1e-29 or more (ADC units per physical unit; 0 for the default 200)");
    spec.gain = value == 0 ? kDefaultGain : value;
  }
  if (fields >> adc_resolution && fields >> adc_zero) spec.adc_zero = to_int(adc_zero, where, "ADC zero");
  if (!baseline_given) spec.baseline = spec.adc_zero;
  if (fields >> initial) spec.initial_value = to_int(initial, where, "initial value");
  if (fields >> checksum) spec.checksum = to_int(checksum, where, "checksum");
  if (fields >> block_size) {
    std::getline(fields, spec.description);
    const size_t first = spec.description.find_first_not_of(" \t");
    spec.description = first == std::string::npos ? "" : spec.description.substr(first);
  }
  return spec;
}

Header parse_header(const std::string& header_path) {
  std::ifstream input(header_path);
  if (!input) {
    // The record was given with its extension (data/100.hea for data/100): say so, not "100.hea.hea".
    const std::filesystem::path given = std::filesystem::path(header_path).replace_extension();
    if (given.extension() == ".hea" && std::filesystem::is_regular_file(given)) {
      throw Error(given.string(), "a header file in place of its record",
                  "the record without extension: " + std::filesystem::path(given).replace_extension().string());
    }
    throw Error(header_path, "cannot open", "a WFDB header (RECORD.hea)");
  }
  const std::string directory = std::filesystem::path(header_path).parent_path().string();
  Header header;
  bool record_line_read = false;
  std::string line;
  for (int64_t number = 1; std::getline(input, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = header_path + ":" + std::to_string(number);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      const size_t text = line.find_first_not_of(" \t", first + 1);
      header.comments.push_back(text == std::string::npos ? "" : line.substr(text));
      continue;
    }
    std::istringstream fields(line);
    if (!record_line_read) {
      std::string name, signals, frequency, samples, base_time, base_date;
      fields >> name >> signals;
      if (name.find('/') != std::string::npos) {
        throw Error(where, "unsupported: multi-segment record '" + name + "'", "a single-segment record");
      }
      header.name = name;
      header.signals = to_int(signals, where, "number of signals");
      // WFDB allows a record of no signals (annotations only), but a series needs a channel.
      SPINDLE_CHECK(header.signals > 0, where, "number of signals " + signals,
                    "at least one signal (a record of annotations only has no series to store)");
      if (fields >> frequency) header.frequency = parse_frequency(frequency, where);
      if (fields >> samples) {
        header.samples = to_number<int64_t>(samples, where, "number of samples");
        SPINDLE_CHECK(*header.samples >= 0, where, "number of samples " + samples,
                      "0 or more (0: as many as the file holds)");
      }
      if (fields >> base_time && fields >> base_date) {
        header.start_time_ns = parse_base_time(base_time, base_date, where);
      }
      record_line_read = true;
      continue;
    }
    if (static_cast<int>(header.specs.size()) == header.signals) {
      throw Error(where, "more signal lines than the " + std::to_string(header.signals) + " the record line declares",
                  std::to_string(header.signals) + " signal lines");
    }
    header.specs.push_back(parse_signal_line(fields, where, directory));
    header.specs.back().header_line = number;
  }
  if (!record_line_read) throw Error(header_path, "no record line", "'NAME SIGNALS [FREQUENCY [SAMPLES]]'");
  if (static_cast<int>(header.specs.size()) != header.signals) {
    throw Error(header_path, std::to_string(header.specs.size()) + " signal lines",
                std::to_string(header.signals) + " as the record line declares");
  }
  return header;
}

// Bytes of `samples` samples of `format` (212 packs two samples in three bytes).
int64_t bytes_for(int format, int64_t samples) {
  switch (format) {
    case 16: return 2 * samples;
    case 212: return (3 * samples + 1) / 2;
    default: return samples;  // 80
  }
}

// Digital sample `index` of an interleaved stream in `format`.
int sample_at(const std::vector<unsigned char>& data, int format, int64_t index) {
  switch (format) {
    case 16: return static_cast<int16_t>(data[2 * index] | (data[2 * index + 1] << 8));
    case 212: {
      const unsigned char* pair = data.data() + 3 * (index / 2);
      const int raw = index % 2 == 0 ? pair[0] | ((pair[1] & 0x0F) << 8) : pair[2] | ((pair[1] & 0xF0) << 4);
      return raw >= 2048 ? raw - 4096 : raw;  // 12-bit two's complement
    }
    default: return static_cast<int>(data[index]) - 128;  // 80: offset binary
  }
}

int invalid_sample(int format) { return format == 16 ? -32768 : format == 212 ? -2048 : -128; }

}  // namespace

Series read_wfdb_record(const std::string& record_path) {
  const std::string header_path = record_path + ".hea";
  const Header header = parse_header(header_path);
  Series series;
  series.name = std::filesystem::path(record_path).filename().string();
  series.kind = "wfdb";
  series.channels = header.signals;
  series.sampling_rate_hz = header.frequency;
  series.start_time_ns = header.start_time_ns;
  series.comments = header.comments;
  std::vector<std::string> sources = {std::filesystem::absolute(header_path).lexically_normal().string()};

  // Signals grouped by file, in header order; each file holds frames of its signals.
  std::map<std::string, std::vector<int>> signals_of_file;
  std::vector<std::string> file_order;
  for (int s = 0; s < header.signals; ++s) {
    const SignalSpec& spec = header.specs[s];
    if (!signals_of_file.count(spec.file)) file_order.push_back(spec.file);
    signals_of_file[spec.file].push_back(s);
    series.channel_names.push_back(spec.description.empty() ? "signal" + std::to_string(s) : spec.description);
    series.units.push_back(spec.units);
    series.channel_attributes["gain"].push_back(spec.gain);
    series.channel_attributes["baseline"].push_back(spec.baseline);
    series.channel_attributes["adc_zero"].push_back(spec.adc_zero);
    series.channel_attributes["format"].push_back(spec.format);
  }
  // Samples per signal: the header's count, or (when it gives none) what the first file holds.
  int64_t rows = header.samples && *header.samples > 0 ? *header.samples : -1;
  for (const std::string& file : file_order) {
    const std::vector<int>& members = signals_of_file[file];
    const SignalSpec& first = header.specs[members.front()];
    const std::string where = header_path + ":" + std::to_string(first.header_line);
    for (int s : members) {
      if (header.specs[s].format != first.format || header.specs[s].byte_offset != first.byte_offset) {
        throw Error(header_path + ":" + std::to_string(header.specs[s].header_line),
                    "unsupported: signals of one file in different formats or offsets", "one format per signal file");
      }
    }
    std::ifstream input(file, std::ios::binary);
    if (!input) throw Error(where, "cannot open signal file " + file, "the signal file beside the header");
    std::vector<unsigned char> data{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
    const int64_t width = static_cast<int64_t>(members.size());
    const int64_t available = static_cast<int64_t>(data.size()) - first.byte_offset;
    if (available < 0) {
      throw Error(file, "is " + std::to_string(data.size()) + " bytes, shorter than its byte offset",
                  "at least " + std::to_string(first.byte_offset) + " bytes (" + where + ")");
    }
    if (rows < 0) {
      rows = first.format == 212 ? (2 * available / 3) / width : available / bytes_for(first.format, 1) / width;
    }
    // Every format takes at least a byte per sample: more samples than bytes is a mismatch,
    // and checking it first keeps the header's count from overflowing the product.
    const bool fits = rows <= available / width;
    const int64_t expected = fits ? bytes_for(first.format, rows * width) : -1;
    if (!fits || available != expected) {
      throw Error(file, "header/data size mismatch: " + std::to_string(available) + " bytes of samples",
                  (fits ? std::to_string(expected) : "more") + " bytes for " + std::to_string(rows) + " samples x " +
                      std::to_string(width) + " signals in format " + std::to_string(first.format) + " (" + where + ")");
    }
    data.erase(data.begin(), data.begin() + first.byte_offset);
    if (series.values.empty()) series.values.assign(static_cast<size_t>(rows * header.signals), 0.0f);
    for (int64_t m = 0; m < width; ++m) {
      const int s = members[m];
      const SignalSpec& spec = header.specs[s];
      int64_t sum = 0;
      for (int64_t row = 0; row < rows; ++row) {
        const int digital = sample_at(data, spec.format, row * width + m);
        sum += digital;
        series.values[row * header.signals + s] =
            digital == invalid_sample(spec.format) ? NAN : static_cast<float>((digital - spec.baseline) / spec.gain);
      }
      const std::string line = header_path + ":" + std::to_string(spec.header_line);
      if (spec.initial_value && rows > 0 && sample_at(data, spec.format, m) != *spec.initial_value) {
        throw Error(line, "first sample of " + series.channel_names[s] + " in " + file + " is " +
                              std::to_string(sample_at(data, spec.format, m)),
                    "the header's initial value " + std::to_string(*spec.initial_value));
      }
      if (spec.checksum && static_cast<int16_t>(sum & 0xFFFF) != static_cast<int16_t>(*spec.checksum)) {
        throw Error(line, "checksum of " + series.channel_names[s] + " in " + file + " is " +
                              std::to_string(static_cast<int16_t>(sum & 0xFFFF)),
                    "the header's checksum " + std::to_string(*spec.checksum));
      }
    }
    sources.push_back(std::filesystem::absolute(file).lexically_normal().string());
  }
  series.rows = rows;
  series.source = sources.front();
  for (size_t i = 1; i < sources.size(); ++i) series.source += ";" + sources[i];
  return series;
}

}  // namespace spindle
