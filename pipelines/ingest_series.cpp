#include "pipelines/ingest_series.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "io/series_writer.h"
#include "io/wfdb_annotations.h"
#include "io/wfdb_record.h"
#include "kernels/error.h"

namespace spindle {

Series ingest_csv(const std::string& csv_path, const CsvOptions& options, const std::optional<std::string>& name,
                  StoreTransaction& store, store::Compression compression) {
  Series series = read_csv_series(csv_path, options);
  if (name) series.name = *name;
  write_series(store, series, compression);
  spdlog::info("{}: series {}: {} rows x {} channels{}", csv_path, series.name, series.rows, series.channels,
               series.irregular_steps ? ", " + std::to_string(*series.irregular_steps) + " irregular time steps" : "");
  return series;
}

Series ingest_wfdb(const std::string& record_path, const std::optional<std::string>& annotator,
                   const std::optional<std::string>& name, StoreTransaction& store, store::Compression compression) {
  Series series = read_wfdb_record(record_path);
  const std::string annotation_path = record_path + "." + annotator.value_or("atr");
  if (annotator && !std::filesystem::exists(annotation_path)) {
    throw Error(annotation_path, "no such annotation file", "RECORD." + *annotator + " beside the header");
  }
  if (std::filesystem::exists(annotation_path)) series.annotations = read_mit_annotations(annotation_path);
  if (name) series.name = *name;
  write_series(store, series, compression);
  spdlog::info("{}: series {}: {} samples x {} signals at {} Hz, {} annotations", record_path, series.name,
               series.rows, series.channels, series.sampling_rate_hz.value_or(0),
               series.annotations ? series.annotations->sample.size() : 0);
  return series;
}

}  // namespace spindle
