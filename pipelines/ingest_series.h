// Ingest of signals into a spindle store as /series/<name> (io/series_writer.h): CSV time
// series and WFDB records with their annotations.
#pragma once

#include <optional>
#include <string>

#include "io/csv_series.h"
#include "io/series.h"
#include "io/store_format.h"
#include "io/store_transaction.h"

namespace spindle {

// Reads `csv_path` and adds it as /series/<name> (default: the file's stem). Returns what
// was written (values included).
Series ingest_csv(const std::string& csv_path, const CsvOptions& options, const std::optional<std::string>& name,
                  StoreTransaction& store, store::Compression compression);

// Reads the WFDB record at `record_path` (no extension) and the annotation file
// RECORD.<annotator>: `annotator` given, that file must exist; not given, RECORD.atr is
// read when it exists. Adds it as /series/<name> (default: the record name).
Series ingest_wfdb(const std::string& record_path, const std::optional<std::string>& annotator,
                   const std::optional<std::string>& name, StoreTransaction& store, store::Compression compression);

}  // namespace spindle
