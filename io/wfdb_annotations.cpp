#include "io/wfdb_annotations.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "kernels/error.h"

namespace spindle {
namespace {

constexpr int kSkip = 59, kNum = 60, kSub = 61, kChn = 62, kAux = 63;

// The WFDB library's annotation mnemonics by code (ecgcodes.h, annstr()); "" = none.
constexpr std::array<const char*, 42> kSymbols = {
    "",  "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "",  "|", "",  "s", "T", "*",
    "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r"};

std::string symbol_of(int code) {
  if (code < static_cast<int>(kSymbols.size()) && kSymbols[code][0] != '\0') return kSymbols[code];
  return fmt::format("[{}]", code);
}

}  // namespace

SeriesAnnotations read_mit_annotations(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) throw Error(path, "cannot open", "a readable MIT annotation file");
  const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
  SeriesAnnotations annotations;
  annotations.source = std::filesystem::absolute(path).lexically_normal().string();
  size_t at = 0;
  const auto word_at = [&](size_t offset) {
    if (offset + 2 > bytes.size()) {
      throw Error(path + ": byte " + std::to_string(offset), "file ends inside an annotation",
                  "whole 16-bit words ending with a 0 word");
    }
    return static_cast<unsigned>(bytes[offset] | (bytes[offset + 1] << 8));
  };
  int64_t time = 0;
  int8_t channel = 0, number = 0;
  bool ended = false;
  while (at < bytes.size()) {
    const unsigned word = word_at(at);
    const int code = static_cast<int>(word >> 10);
    const unsigned value = word & 0x3FF;
    const size_t word_offset = at;
    at += 2;
    if (word == 0) {
      ended = true;
      break;
    }
    const bool has_current = !annotations.sample.empty();
    const auto require_current = [&](const char* modifier) {
      if (!has_current) {
        throw Error(path + ": byte " + std::to_string(word_offset), std::string(modifier) + " before any annotation",
                    "an annotation word first");
      }
    };
    switch (code) {
      case kSkip: {
        // A 32-bit interval follows in PDP-11 order: high 16 bits first.
        const uint32_t high = word_at(at), low = word_at(at + 2);
        at += 4;
        time += static_cast<int32_t>((high << 16) | low);
        break;
      }
      case kNum:
        require_current("NUM");
        number = static_cast<int8_t>(value);
        annotations.number.back() = number;
        break;
      case kSub:
        require_current("SUB");
        annotations.subtype.back() = static_cast<int8_t>(value);
        break;
      case kChn:
        require_current("CHN");
        channel = static_cast<int8_t>(value);
        annotations.channel.back() = channel;
        break;
      case kAux: {
        require_current("AUX");
        if (at + value > bytes.size()) {
          throw Error(path + ": byte " + std::to_string(word_offset), "auxiliary text runs past the end of the file",
                      std::to_string(value) + " bytes of text");
        }
        std::string text(reinterpret_cast<const char*>(bytes.data() + at), value);
        if (const size_t nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
        annotations.aux.back() = text;
        at += value + (value & 1);  // padded to a whole word
        break;
      }
      default:
        if (code > 49 || code == 0) {
          throw Error(path + ": byte " + std::to_string(word_offset), "annotation code " + std::to_string(code),
                      "a code 1..49 or a modifier 59..63");
        }
        time += value;
        annotations.sample.push_back(time);
        annotations.code.push_back(static_cast<uint8_t>(code));
        annotations.symbol.push_back(symbol_of(code));
        annotations.subtype.push_back(0);
        annotations.channel.push_back(channel);
        annotations.number.push_back(number);
        annotations.aux.emplace_back();
    }
  }
  if (!ended) {
    throw Error(path + ": byte " + std::to_string(bytes.size()), "no end-of-annotations word",
                "a 0 word at the end (truncated file?)");
  }
  return annotations;
}

}  // namespace spindle
