// JSON parsed strictly, for files whose meaning must not be guessed (safetensors headers,
// config.json): a key repeated within one object is an error, where a plain JSON parser
// would silently keep one of the two values. Keys keep their order in the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace spindle {

// Throws spindle::Error naming `where` for text that is not JSON or repeats a key.
nlohmann::ordered_json parse_strict_json(const std::string& text, const std::string& where);

}  // namespace spindle
