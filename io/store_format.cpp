#include "io/store_format.h"

#include "io/lzf_filter.h"
#include "kernels/error.h"

namespace spindle::store {

std::vector<std::string> compression_names() {
  std::vector<std::string> names = {"gzip", "none"};
  if (lzf_filter_built()) names.push_back("lzf");
  return names;
}

Compression parse_compression(const std::string& name, const std::string& where) {
  if (name == "gzip") return Compression::gzip;
  if (name == "none") return Compression::none;
  if (name == "lzf" && lzf_filter_built()) return Compression::lzf;
  std::string choices;
  for (const std::string& choice : compression_names()) choices += (choices.empty() ? "" : ", ") + choice;
  throw Error(where, "unknown compression '" + name + "'" + (name == "lzf" ? " (this spindle was built without liblzf)" : ""),
              choices);
}

const char* compression_name(Compression compression) {
  switch (compression) {
    case Compression::gzip: return "gzip";
    case Compression::lzf: return "lzf";
    default: return "none";
  }
}

}  // namespace spindle::store
