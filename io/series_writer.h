// Writes a Series into a store under /series/<name> (layout: io/store_format.h).
#pragma once

#include "io/series.h"
#include "io/store_format.h"
#include "io/store_transaction.h"

namespace spindle {

// values float32 [rows, channels] chunked along time (about 1 MiB per chunk), compressed
// as asked; time, missing and annotations when present; attributes on the group (source,
// kind, sampling_rate_hz, start_time_ns, comments) and on values (channel_names, units,
// per-channel attributes). Throws if /series/<name> exists.
void write_series(StoreTransaction& store, const Series& series, store::Compression compression);

}  // namespace spindle
