#include "io/dna_tokenizer.h"

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
