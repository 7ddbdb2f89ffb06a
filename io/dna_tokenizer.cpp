#include "io/dna_tokenizer.h"

#include <cstdio>

namespace spindle::dna {

const std::vector<std::string>& vocabulary() {
  static const std::vector<std::string> tokens = {"[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]",
                                                  "[UNK]", "A",     "C",     "G",      "T",     "N"};
  return tokens;
}

const std::array<uint8_t, 256>& token_table() {
  static const std::array<uint8_t, 256> table = [] {
    std::array<uint8_t, 256> t;
    t.fill(kNotABase);
    const auto set = [&t](char upper, uint8_t token) {
      t[static_cast<unsigned char>(upper)] = token;
      t[static_cast<unsigned char>(upper - 'A' + 'a')] = token;
    };
    set('A', kTokenA);
    set('C', kTokenC);
    set('G', kTokenG);
    set('T', kTokenT);
    set('N', kTokenN);
    for (char ambiguity : {'R', 'Y', 'K', 'M', 'S', 'W', 'B', 'D', 'H', 'V'}) set(ambiguity, kTokenN);
    return t;
  }();
  return table;
}

Error not_a_base(char byte, const std::string& where) {
  const unsigned char value = static_cast<unsigned char>(byte);
  char shown[16];
  std::snprintf(shown, sizeof shown, value >= 0x20 && value < 0x7f ? "'%c'" : "byte 0x%02X", value);
  return Error(where, "unknown character " + std::string(shown) + " in sequence",
               "a base A C G T N, an IUPAC code (R Y K M S W B D H V) or their lowercase");
}

size_t tokenize(std::string_view bases, uint8_t* tokens, uint8_t* soft_mask) {
  const auto& table = token_table();
  for (size_t i = 0; i < bases.size(); ++i) {
    const unsigned char byte = static_cast<unsigned char>(bases[i]);
    if (table[byte] == kNotABase) return i;
    tokens[i] = table[byte];
    if (soft_mask) soft_mask[i] = byte >= 'a';  // every base letter is a letter
  }
  return bases.size();
}

uint8_t complement(uint8_t token) {
  switch (token) {
    case kTokenA: return kTokenT;
    case kTokenT: return kTokenA;
    case kTokenC: return kTokenG;
    case kTokenG: return kTokenC;
    default: return token;
  }
}

void reverse_complement(uint8_t* tokens, int64_t count) {
  static const std::array<uint8_t, 256> table = [] {
    std::array<uint8_t, 256> t;
    for (int token = 0; token < 256; ++token) t[token] = complement(static_cast<uint8_t>(token));
    return t;
  }();
  for (int64_t left = 0, right = count - 1; left <= right; ++left, --right) {
    const uint8_t swapped = table[tokens[left]];
    tokens[left] = table[tokens[right]];
    tokens[right] = swapped;
  }
}

char letter(uint8_t token) {
  static constexpr char kLetters[] = "ACGTN";
  return token >= kTokenA && token <= kTokenN ? kLetters[token - kTokenA] : '?';
}

}  // namespace spindle::dna
