#include "io/strict_json.h"

#include <set>
#include <vector>

#include "kernels/error.h"

namespace spindle {

nlohmann::ordered_json parse_strict_json(const std::string& text, const std::string& where) {
  using Json = nlohmann::ordered_json;
  std::vector<std::set<std::string>> open_objects;
  auto refuse_repeated_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end) open_objects.pop_back();
    if (event == Json::parse_event_t::key && !open_objects.back().insert(parsed.get<std::string>()).second) {
      throw Error(where, "key '" + parsed.get<std::string>() + "' appears twice in one object", "each key once");
    }
    return true;
  };
  try {
    return Json::parse(text, refuse_repeated_keys);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where, std::string("not valid JSON: ") + e.what(), "a JSON object");
  }
}

}  // namespace spindle
