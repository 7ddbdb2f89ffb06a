// MIT-format WFDB annotation files (.atr, .qrs, ...), read by hand from PhysioNet's
// annot(5) specification: 16-bit little-endian words, 6 bits of annotation code and 10 of
// time difference or modifier value, with SKIP, NUM, SUB, CHN and AUX modifiers; num and
// chan carry over from the previous annotation, as in the WFDB library.
#pragma once

#include <string>

#include "io/series.h"

namespace spindle {

// Reads every annotation of `path`. Symbols follow the WFDB library's table (1 "N",
// 5 "V", 8 "A", 28 "+", ...); codes without one get "[code]". Throws spindle::Error naming
// the byte offset of a truncated or malformed word.
SeriesAnnotations read_mit_annotations(const std::string& path);

}  // namespace spindle
