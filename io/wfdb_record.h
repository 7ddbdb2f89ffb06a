// PhysioNet WFDB records: the header (.hea) and its signal files, read into a Series in
// physical units. Written by hand from PhysioNet's header(5) and signal(5) specifications
// (there is no Debian library for WFDB).
//
// Supported: single-segment records of at least one signal (a record of annotations only is
// an error naming the record line); signal formats 16 (16-bit two's complement, little
// endian), 212 (pairs of 12-bit samples in 3 bytes) and 80 (8-bit offset binary); one
// sample per signal per frame; signals spread over several files (PTB's .dat and .xyz);
// byte offsets ("212+512"). Anything else is an "unsupported" error naming the header line.
// Physical value = (digital - baseline) / gain; units default to mV, gain 0 to 200 (as in
// the WFDB library); the WFDB "invalid sample" value becomes NaN. Each file's size must be
// what the header implies, and each signal's checksum and initial value, when the header
// gives them, must match the data.
#pragma once

#include <string>

#include "io/series.h"

namespace spindle {

// `record_path`: the record without extension ("data/100" for data/100.hea); signal files
// are found beside the header. Sets name to the record name; comments to the header's
// '#' lines (without '#'); channel_attributes gain, baseline, adc_zero, format; start_time_ns
// when the record line gives a base time and date (an error naming the line if they are none).
Series read_wfdb_record(const std::string& record_path);

}  // namespace spindle
