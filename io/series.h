// A multichannel signal held in memory on its way into a store (ECG records, forecasting
// series), and its annotations. Series are small next to genomes (a 30-minute two-lead ECG
// is 5 MB), so they are read whole; DNA is streamed instead (io/sequence_writer.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spindle {

// Annotations of a series, one entry per annotation in each vector (MIT annotation fields).
struct SeriesAnnotations {
  std::vector<int64_t> sample;       // 0-based sample index
  std::vector<std::string> symbol;   // "N", "A", "V", "+", ...
  std::vector<uint8_t> code;         // MIT annotation code (1 = N, ...)
  std::vector<int8_t> subtype, channel, number;
  std::vector<std::string> aux;      // auxiliary text ("(N" for a rhythm change), "" if none
  std::string source;                // the annotation file
};

struct Series {
  std::string name;                  // the store path is /series/<name>
  int64_t rows = 0, channels = 0;    // time steps, channels
  std::vector<float> values;         // rows x channels, row-major, physical units
  std::vector<std::string> channel_names, units;
  std::string source;                // input file(s)
  std::string kind;                  // "wfdb" or "csv"
  std::optional<double> sampling_rate_hz;      // regular signals
  std::optional<int64_t> start_time_ns;        // ns since 1970-01-01 UTC, when known
  std::vector<int64_t> time_ns;                // one per row (CSV), empty otherwise
  std::optional<int64_t> irregular_steps;      // CSV with times: steps unlike the most common one
  std::vector<uint8_t> missing;                // rows x channels, 1 = no value; empty if none
  std::vector<std::string> comments;           // free-text header comments
  std::map<std::string, std::vector<double>> channel_attributes;  // per channel (gain, baseline, ...)
  std::optional<SeriesAnnotations> annotations;
};

}  // namespace spindle
