#include "io/store_format.h"

#include "kernels/error.h"

namespace spindle::store {

Compression parse_compression(const std::string& name, const std::string& where) {
  if (name == "gzip") return Compression::gzip;
  if (name == "none") return Compression::none;
  throw Error(where, "unknown compression '" + name + "'", "gzip or none");
}

const char* compression_name(Compression compression) {
  return compression == Compression::gzip ? "gzip" : "none";
}

}  // namespace spindle::store
