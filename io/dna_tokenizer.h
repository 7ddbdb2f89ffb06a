// The Caduceus character tokenizer (the published CaduceusTokenizer: characters A, C, G,
// T, N after seven special tokens), so that stores feed Caduceus models directly:
//
//   id  0 [CLS]  1 [SEP]  2 [BOS]  3 [MASK]  4 [PAD]  5 [RESERVED]  6 [UNK]
//   id  7 A      8 C      9 G     10 T      11 N
//
// FASTA letters are case-insensitive; lowercase (soft-masked) letters get the same token
// and are recorded in a separate mask. The IUPAC ambiguity codes R Y K M S W B D H V map
// to N. Every other byte is not a base.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/error.h"

namespace spindle::dna {

inline constexpr const char* kTokenizerName = "caduceus-char";
inline constexpr uint8_t kTokenA = 7, kTokenC = 8, kTokenG = 9, kTokenT = 10, kTokenN = 11;
inline constexpr uint8_t kTokenMask = 3;  // [MASK]
// Marks a byte that is not a base in the table below.
inline constexpr uint8_t kNotABase = 0xFF;

// The vocabulary in id order ("[CLS]", ..., "N").
const std::vector<std::string>& vocabulary();
// Token of every byte value, kNotABase for bytes that are not bases.
const std::array<uint8_t, 256>& token_table();
// The error for `byte`, which is not a base, at `where` ("x.fa:3:4"): "unknown character
// 'X' in sequence" (a byte that is not printable ASCII shown as 0xNN), and what a base may be.
Error not_a_base(char byte, const std::string& where);
// Tokens of `bases` into tokens[0, bases.size()) and, when soft_mask is given, 1 there for
// lowercase letters and 0 for uppercase. Returns bases.size(), or the offset of the first
// byte that is not a base (the outputs are then filled only up to it).
size_t tokenize(std::string_view bases, uint8_t* tokens, uint8_t* soft_mask = nullptr);
// The complement's token (A<->T, C<->G, N->N); special tokens map to themselves.
uint8_t complement(uint8_t token);
// Reverses tokens[0, count) and complements each, in place (one pass through a table).
void reverse_complement(uint8_t* tokens, int64_t count);
// The letter of a base token ('A', 'C', 'G', 'T', 'N'); '?' for special tokens.
char letter(uint8_t token);

}  // namespace spindle::dna
