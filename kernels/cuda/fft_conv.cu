#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/fft_plan_cache.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/fft_conv.h"

namespace spindle::kernels {
namespace {

// Unless FftConvShape::channels_per_chunk says otherwise, channels are processed in chunks
// whose scratch (padded real rows and their spectra) stays under this size, so that lengths
// of 2^22 and more with hundreds of channels fit beside their tensors; a chunk still holds
// enough rows to keep the GPU busy.
constexpr size_t kChunkBytes = size_t{4} << 30;

// Packed rows that `channels` channels take: the last holds one channel when the count is odd.
__host__ __device__ constexpr int64_t pairs_of(int64_t channels) { return (channels + 1) / 2; }

// One chunk of channels [first, first + count) of the whole problem. Channels are transformed
// in pairs: channel first + 2q in the real part and first + 2q + 1 in the imaginary part of
// one complex row (zero when count is odd and q is the last pair). The transform of a real
// row is Hermitian, so the two rows' spectra are told apart from the packed one at f and
// n - f, and one complex transform does the work of two real ones without cuFFT's
// real-to-complex pre- and post-processing passes. Every packed row is zero-padded to
// n = 2L complex values, transformed, multiplied and transformed back; the first L are kept.
//
// Packed rows of a chunk, in order: `tensors` blocks of activation rows (batch * pairs each,
// batch entry major: local row b * pairs + q holds global rows b * channels + first + 2q and
// the one after), then `pairs` kernel rows (two-sided kernels k2 of the pair's channels).
struct Chunk {
  int64_t length, batch, channels, first, count;
  __host__ __device__ int64_t n() const { return 2 * length; }
  __host__ __device__ int64_t pairs() const { return pairs_of(count); }
  __host__ __device__ int64_t activation_rows() const { return batch * pairs(); }
};

// The channels packed into one row: `channel` in the real part, channel + 1 in the imaginary
// part when `has_second`.
struct PairChannels {
  int64_t channel;
  bool has_second;
};

__device__ __forceinline__ PairChannels pair_channels(const Chunk& chunk, int64_t pair) {
  return {chunk.first + 2 * pair, 2 * pair + 1 < chunk.count};
}

// The global activation row (b * channels + c) of the real part of local activation row
// `local` of one tensor block, and its channels.
struct ActivationPair {
  int64_t global_row;
  bool has_second;
};

__device__ __forceinline__ ActivationPair activation_pair(const Chunk& chunk, int64_t local) {
  const PairChannels c = pair_channels(chunk, local % chunk.pairs());
  return {(local / chunk.pairs()) * chunk.channels + c.channel, c.has_second};
}

constexpr int kThreads = 256;
constexpr int64_t kMaxTiles = 65535;  // gridDim.y limit; kernels loop over the rest

constexpr size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

// Grid (rows, tiles along a row of `count` elements); blocks loop when count needs more tiles.
dim3 row_grid(int64_t rows, int64_t count) {
  const int64_t tiles = std::min<int64_t>((count + kThreads - 1) / kThreads, kMaxTiles);
  return dim3(static_cast<unsigned>(rows), static_cast<unsigned>(std::max<int64_t>(tiles, 1)));
}

__device__ __forceinline__ int64_t row_start() { return static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t row_stride() { return static_cast<int64_t>(gridDim.y) * blockDim.x; }

// The transform inputs of a chunk: `tensors` (1 or 2) activation blocks, from `first` and
// then `second`, and the two-sided kernels built from k_fwd and k_bwd (null: causal).
template <typename T>
struct PadSources {
  const T* first;
  const T* second;
  int tensors;
  const float* k_fwd;
  const float* k_bwd;
};

// W consecutive elements as floats. W = 4 moves them in one 16-byte (float) or 8-byte
// (bf16) access: the caller guarantees that alignment (vector_width).
template <int W>
struct Floats {
  float v[W];
};

__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ float4 load4(const __nv_bfloat16* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(a.x, a.y, b.x, b.y);
}
__device__ __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
__device__ __forceinline__ void store4(__nv_bfloat16* p, float4 v) {
  const __nv_bfloat162 a = __floats2bfloat162_rn(v.x, v.y), b = __floats2bfloat162_rn(v.z, v.w);
  *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const unsigned*>(&a), *reinterpret_cast<const unsigned*>(&b));
}

template <int W, typename T>
__device__ __forceinline__ Floats<W> load_floats(const T* p) {
  Floats<W> r;
  if constexpr (W == 4) {
    const float4 v = load4(p);
    r = {{v.x, v.y, v.z, v.w}};
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) r.v[i] = to_float(p[i]);
  }
  return r;
}

template <int W, typename T>
__device__ __forceinline__ void store_floats(T* p, const Floats<W>& f) {
  if constexpr (W == 4) {
    store4(p, make_float4(f.v[0], f.v[1], f.v[2], f.v[3]));
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) p[i] = from_float<T>(f.v[i]);
  }
}

// 4 when every row of the call starts 16-byte aligned (L a multiple of 4 and every pointer
// aligned), else 1.
int vector_width(int64_t length, std::initializer_list<const void*> pointers) {
  if (length % 4 != 0) return 1;
  for (const void* p : pointers) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return 1;
  }
  return 4;
}

// W consecutive packed values: re in the real parts, im in the imaginary parts (one or two
// 16-byte accesses for W = 4).
template <int W>
__device__ __forceinline__ void store_packed(float2* out, const Floats<W>& re, const Floats<W>& im) {
  if constexpr (W == 4) {
    float4* vectors = reinterpret_cast<float4*>(out);
    vectors[0] = make_float4(re.v[0], im.v[0], re.v[1], im.v[1]);
    vectors[1] = make_float4(re.v[2], im.v[2], re.v[3], im.v[3]);
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) out[i] = make_float2(re.v[i], im.v[i]);
  }
}

template <int W>
__device__ __forceinline__ void load_packed(const float2* in, Floats<W>& re, Floats<W>& im) {
  if constexpr (W == 4) {
    const float4* vectors = reinterpret_cast<const float4*>(in);
    const float4 low = vectors[0], high = vectors[1];
    re.v[0] = low.x, re.v[1] = low.z, re.v[2] = high.x, re.v[3] = high.z;
    im.v[0] = low.y, im.v[1] = low.w, im.v[2] = high.y, im.v[3] = high.w;
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) re.v[i] = in[i].x, im.v[i] = in[i].y;
  }
}

// Elements t .. t + W - 1 of channel c's padded two-sided kernel k2 (k_bwd null: causal).
template <int W>
__device__ __forceinline__ Floats<W> kernel_group(const float* k_fwd, const float* k_bwd, int64_t c, int64_t L,
                                                  int64_t t) {
  Floats<W> v{};
  if (t < L) {
    v = load_floats<W>(k_fwd + c * L + t);
  } else if (k_bwd) {
    // k2[t + i] = k_bwd[2L - 1 - t - i]: the group k_bwd[2L - W - t ..] reversed.
    const Floats<W> reversed = load_floats<W>(k_bwd + c * L + 2 * L - W - t);
#pragma unroll
    for (int i = 0; i < W; ++i) v.v[i] = reversed.v[W - 1 - i];
  }
  return v;
}

// Grid (chunk packed rows, time tiles of W-element groups): writes every packed transform
// input row, padded to n, W elements per access.
template <typename T, int W>
__global__ void pad_kernel(PadSources<T> src, float2* rows, Chunk chunk) {
  const int64_t row = blockIdx.x, L = chunk.length, n = chunk.n();
  float2* out = rows + row * n;
  const int64_t activation_rows = chunk.activation_rows();
  const Floats<W> zero{};
  if (row < src.tensors * activation_rows) {
    const T* tensor = row < activation_rows ? src.first : src.second;
    const ActivationPair pair = activation_pair(chunk, row % activation_rows);
    const T* real = tensor + pair.global_row * L;
    for (int64_t t = W * row_start(); t < n; t += W * row_stride()) {
      const bool inside = t < L;
      store_packed<W>(out + t, inside ? load_floats<W>(real + t) : zero,
                      inside && pair.has_second ? load_floats<W>(real + L + t) : zero);
    }
  } else {
    const PairChannels pair = pair_channels(chunk, row - src.tensors * activation_rows);
    for (int64_t t = W * row_start(); t < n; t += W * row_stride()) {
      store_packed<W>(out + t, kernel_group<W>(src.k_fwd, src.k_bwd, pair.channel, L, t),
                      pair.has_second ? kernel_group<W>(src.k_fwd, src.k_bwd, pair.channel + 1, L, t) : zero);
    }
  }
}

template <typename T>
void launch_pad(const PadSources<T>& sources, float2* rows, const Chunk& chunk, int64_t count, int width,
                cudaStream_t stream) {
  if (width == 4) {
    pad_kernel<T, 4><<<row_grid(count, chunk.n() / 4), kThreads, 0, stream>>>(sources, rows, chunk);
  } else {
    pad_kernel<T, 1><<<row_grid(count, chunk.n()), kThreads, 0, stream>>>(sources, rows, chunk);
  }
  check_launch("pad_kernel");
}

__device__ __forceinline__ float2 cmul(float2 a, float2 b) { return {a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x}; }
// conj(a) * b
__device__ __forceinline__ float2 cmul_conj(float2 a, float2 b) { return {a.x * b.x + a.y * b.y, a.x * b.y - a.y * b.x}; }

__device__ __forceinline__ float2 scaled(float2 a, float s) { return {a.x * s, a.y * s}; }

// The spectra of the two real rows of a packed row (real part: a, imaginary part: b) at
// frequency f, from the packed spectrum Z at f and at g = n - f (mod n):
//   A[f] = (Z[f] + conj(Z[g])) / 2,   B[f] = (Z[f] - conj(Z[g])) / 2i.
struct PairSpectra {
  float2 a, b;
};

__device__ __forceinline__ PairSpectra unpack(float2 zf, float2 zg) {
  return {{0.5f * (zf.x + zg.x), 0.5f * (zf.y - zg.y)}, {0.5f * (zf.y + zg.y), 0.5f * (zg.x - zf.x)}};
}

// The packed spectrum A + iB of two Hermitian spectra, at f and at g = n - f (where A and B
// are their conjugates). Where f == g both are the same value.
struct PackedBins {
  float2 at_f, at_g;
};

__device__ __forceinline__ PackedBins pack(float2 a, float2 b) {
  return {{a.x - b.y, a.y + b.x}, {a.x + b.y, b.x - a.y}};
}

__device__ __forceinline__ void store_bins(float2* row, int64_t f, int64_t g, const PackedBins& bins) {
  row[f] = bins.at_f;
  if (g != f) row[g] = bins.at_g;
}

// The skip term D u is a kernel with D at lag 0, whose spectrum is D at every frequency:
// the kernels below add D (0 when null) to the kernel's spectrum, so the inverse
// transform returns conv + D u and the crop only converts. Kernel spectra of pair q.
__device__ __forceinline__ PairSpectra kernel_spectra(float2 kf, float2 kg, const float* D, const Chunk& chunk,
                                                      int64_t q) {
  PairSpectra k = unpack(kf, kg);
  if (D) {
    const PairChannels pair = pair_channels(chunk, q);
    k.a.x += D[pair.channel];
    if (pair.has_second) k.b.x += D[pair.channel + 1];
  }
  return k;
}

// Frequencies f = 0 .. L each stand for themselves and g = n - f (f = 0 and f = L for
// themselves only), so one thread reads and writes both bins of a packed row in place.
__device__ __forceinline__ int64_t mirror(int64_t f, int64_t n) { return f == 0 ? 0 : n - f; }

// Grid (chunk pairs, frequency tiles over f = 0 .. L), packed spectra blocks dy, u, k. For
// each channel and every b: DU[b] = conj(K + D) DY[b] / n (written over U[b]); then
// K = sum_b conj(U[b]) DY[b] / n, summed in batch order.
__global__ void backward_spectra_kernel(float2* spectra, const float* D, Chunk chunk, float scale) {
  const int64_t q = blockIdx.x, n = chunk.n(), block = chunk.activation_rows() * n;
  const float2* dy_spectra = spectra;
  float2* u_spectra = spectra + block;
  float2* kernels = spectra + 2 * block + q * n;
  for (int64_t f = row_start(); f <= chunk.length; f += row_stride()) {
    const int64_t g = mirror(f, n);
    const PairSpectra k = kernel_spectra(kernels[f], kernels[g], D, chunk, q);
    PairSpectra dk{};
    for (int64_t b = 0; b < chunk.batch; ++b) {
      const int64_t row = (b * chunk.pairs() + q) * n;
      const PairSpectra dy = unpack(dy_spectra[row + f], dy_spectra[row + g]);
      const PairSpectra u = unpack(u_spectra[row + f], u_spectra[row + g]);
      const float2 term_a = cmul_conj(u.a, dy.a), term_b = cmul_conj(u.b, dy.b);
      dk = {{dk.a.x + term_a.x, dk.a.y + term_a.y}, {dk.b.x + term_b.x, dk.b.y + term_b.y}};
      store_bins(u_spectra + row, f, g,
                 pack(scaled(cmul_conj(k.a, dy.a), scale), scaled(cmul_conj(k.b, dy.b), scale)));
    }
    store_bins(kernels, f, g, pack(scaled(dk.a, scale), scaled(dk.b, scale)));
  }
}

// Grid (chunk packed activation rows, time tiles of W-element groups): out[t] = conv[t] for
// t < L for both channels of each packed row, conv being the inverse-transformed rows (the
// skip term is in them already).
template <typename T, int W>
__global__ void crop_kernel(const float2* conv, T* out, Chunk chunk) {
  const int64_t row = blockIdx.x, L = chunk.length;
  const float2* in = conv + row * chunk.n();
  const ActivationPair pair = activation_pair(chunk, row);
  T* real = out + pair.global_row * L;
  for (int64_t t = W * row_start(); t < L; t += W * row_stride()) {
    Floats<W> re, im;
    load_packed<W>(in + t, re, im);
    store_floats<W>(real + t, re);
    if (pair.has_second) store_floats<W>(real + L + t, im);
  }
}

template <typename T>
void launch_crop(const float2* conv, T* out, const Chunk& chunk, int64_t rows, int width, cudaStream_t stream) {
  if (width == 4) {
    crop_kernel<T, 4><<<row_grid(rows, chunk.length / 4), kThreads, 0, stream>>>(conv, out, chunk);
  } else {
    crop_kernel<T, 1><<<row_grid(rows, chunk.length), kThreads, 0, stream>>>(conv, out, chunk);
  }
  check_launch("crop_kernel");
}

// ---------------------------------------------------------------------------------------
// The forward's transforms split in two, as a four-step transform whose short side is done
// here: n = s m points, s a power of two. With t = tau + j m and f = s k + r,
//   X[s k + r] = sum_tau w_m^(k tau) [ w_n^(r tau) sum_j x[tau + j m] w_s^(r j) ],   w_q = e^(-2 pi i / q),
// so a column pass (an s-point transform over j for every tau, fused with the padding and
// the twist w_n^(r tau)) leaves s rows of m points, which cuFFT transforms. With m near
// 8,192 cuFFT does a row in one pass over memory, where n-point rows take two or three (H200,
// per 2^28 points: 1.04 ms at 8,192 points, 2.66 ms at 2^21, 3.30 ms at 2^23). The inverse
// runs the steps backwards and keeps t < L only. Spectra of a packed row are then s rows of
// m bins: bin f = s k + r at r m + k.
//
// How a block's twist w_n^(r tau) (rows r < s, columns tau = tau0 + c, c < columns) comes
// from two per-block tables, so that a block evaluates few roots instead of one per element:
// the twist of (r, c) is first[((r & first_row_mask) << first_shift) + (c >> first_column_shift)]
// times second[((r >> second_row_shift) << second_shift) + (c & second_column_mask)]. Two splits:
// - of the row, r = r_high R + r_low: first = w_n^(r_low tau), second = w_n^(r_high R tau),
//   (R + s / R) x columns roots; for large s (few columns per block);
// - of the column, c = c_high C + c_low: first = w_n^(r (tau0 + c_high C)), second =
//   w_n^(r c_low), s x (columns / C + C) roots; for small s (many columns).
// twist_tables takes the one with fewer roots. With s = 1 (r = 0) both tables hold one entry, 1.
struct TwistTables {
  int first_row_mask, first_shift, first_column_shift;
  int second_row_shift, second_shift, second_column_mask;
  bool second_from_tau0;  // second's exponents count from tau0 (row split) or from 0 (column split)
  int first_entries, second_entries;
};

// A forward's split (n = s m, see above) and its column passes' blocks.
struct Split {
  int64_t n, m;
  int s, log2_s;              // rows per packed row
  int columns, log2_columns;  // values of tau per block of a column pass (a power of two)
  TwistTables twist;
};

constexpr int64_t kRowPoints = 8192;     // rows are not split below this
constexpr int kMaxSplit = 512;
constexpr int kColumnTilePoints = 4096;  // s x columns per block (32 KB of shared memory when staged in a tile)

int log2_of(int power_of_two) {
  int bits = 0;
  while ((1 << bits) < power_of_two) ++bits;
  return bits;
}

TwistTables twist_tables(int log2_s, int log2_columns) {
  if (log2_s == 0) return {0, 0, log2_columns, 0, 0, 0, false, 1, 1};  // r = 0: both tables hold w^0
  const int log2_r = (log2_s + 1) / 2, log2_c = log2_columns / 2;
  const TwistTables rows{(1 << log2_r) - 1, log2_columns, 0, log2_r, log2_columns, (1 << log2_columns) - 1, true,
                         1 << (log2_r + log2_columns), 1 << (log2_s - log2_r + log2_columns)};
  const TwistTables columns{(1 << log2_s) - 1, log2_columns - log2_c, log2_c, 0, log2_c, (1 << log2_c) - 1, false,
                            1 << (log2_s + log2_columns - log2_c), 1 << (log2_s + log2_c)};
  return rows.first_entries + rows.second_entries < columns.first_entries + columns.second_entries ? rows : columns;
}

// n = s m with s a power of two (s <= kMaxSplit).
Split split_into(int64_t n, int s) {
  const int columns = std::max(8, kColumnTilePoints / s), log2_s = log2_of(s), log2_columns = log2_of(columns);
  return {n, n / s, s, log2_s, columns, log2_columns, twist_tables(log2_s, log2_columns)};
}

// The split for cuFFT's rows: the most rows of at least kRowPoints points.
Split split_of(int64_t n) {
  int s = 1;
  while (s < kMaxSplit && n % (2 * s) == 0 && n / (2 * s) >= kRowPoints) s *= 2;
  return split_into(n, s);
}

__host__ __device__ constexpr int twist_entries(const Split& sp) {
  return sp.twist.first_entries + sp.twist.second_entries;
}

// Stages of a column transform: up to 16 points each (4 bits of s), at least one.
__host__ __device__ constexpr int column_stages(const Split& sp) { return sp.log2_s > 4 ? (sp.log2_s + 3) / 4 : 1; }

// Points in the largest (first) stage.
__host__ __device__ constexpr int max_radix(const Split& sp) {
  return 1 << ((sp.log2_s + column_stages(sp) - 1) / column_stages(sp));
}

// Column passes are compiled for stages of up to 16 points, and again for up to 4 (s <= 4,
// short rows), where the smaller register footprint lets more blocks share a multiprocessor
// (session 16, at L 2^14 on the H200: forward pass 46 -> 39 us, inverse 28 -> 18 us; the
// forward's 16-point instance has since been held to the same 4 blocks per SM).
constexpr int kLargeRadix = 16, kSmallRadix = 4;

// The s roots of the column transform: used between stages only, so none with one stage.
__host__ __device__ constexpr int root_entries(const Split& sp) { return column_stages(sp) > 1 ? sp.s : 0; }

// Shared memory of a column pass: the roots of the column transform, the twist tables, then
// the tile (s x columns) that stages pass values through (none with one stage).
size_t column_pass_bytes(const Split& sp) {
  const int tile = column_stages(sp) > 1 ? sp.s << sp.log2_columns : 0;
  return (root_entries(sp) + twist_entries(sp) + tile) * sizeof(float2);
}

// Column tiles along a row of m values.
__host__ __device__ unsigned column_tiles(const Split& sp) {
  return static_cast<unsigned>((sp.m + sp.columns - 1) >> sp.log2_columns);
}

// One block per (row, column tile), tiles of a row consecutive: blocks resident together
// then cover neighbouring columns of few rows, so the DRAM pages they touch are used whole
// while open. With rows consecutive instead, the forward column pass took 1.80 ms per chunk
// at L 2^20 on the H200; in this order, 1.52.
unsigned column_grid(int64_t rows, const Split& sp) { return static_cast<unsigned>(rows) * column_tiles(sp); }

struct ColumnBlock {
  int64_t row, tau0;  // packed row; its first column
};

__device__ __forceinline__ ColumnBlock column_block(const Split& sp) {
  const unsigned tiles = column_tiles(sp);
  return {blockIdx.x / tiles, static_cast<int64_t>(blockIdx.x % tiles) << sp.log2_columns};
}

// e^(sign 2 pi i q / n), 0 <= q < n.
__device__ __forceinline__ float2 unit_root(int64_t q, int64_t n, float sign) {
  float sine, cosine;
  sincospif(2.0f * static_cast<float>(q) / static_cast<float>(n), &sine, &cosine);
  return {cosine, sign * sine};
}

__device__ __forceinline__ int bit_reversed(int i, int bits) {
  return bits == 0 ? 0 : static_cast<int>(__brev(static_cast<unsigned>(i)) >> (32 - bits));
}

// e^(sign 2 pi i k / 16), k < 8 (cos, sin): the roots a register transform of up to 16
// points needs, as constants once its loops are unrolled.
__device__ __forceinline__ float2 root16(int k, float sign) {
  constexpr float kCos[8] = {1.0f, 0.92387953f,  0.70710678f,  0.38268343f,
                             0.0f, -0.38268343f, -0.70710678f, -0.92387953f};
  constexpr float kSin[8] = {0.0f, 0.38268343f, 0.70710678f, 0.92387953f,
                             1.0f, 0.92387953f, 0.70710678f, 0.38268343f};
  return {kCos[k], sign * kSin[k]};
}

// x e^(sign 2 pi i k / 16) for a k known at compile time once unrolled: k = 0 and k = 4
// (sign i) cost no arithmetic.
__device__ __forceinline__ float2 times_root16(float2 x, int k, float sign) {
  if (k == 0) return x;
  if (k == 4) return {-sign * x.y, sign * x.x};
  return cmul(x, root16(k, sign));
}

// x e^(sign 2 pi i t / 32), t < 16 known at compile time once unrolled.
__device__ __forceinline__ float2 times_root32(float2 x, int t, float sign) {
  if (t % 2 == 0) return times_root16(x, t / 2, sign);
  constexpr float kCos[8] = {0.98078528f,  0.83146961f,  0.55557023f,  0.19509032f,
                             -0.19509032f, -0.55557023f, -0.83146961f, -0.98078528f};
  constexpr float kSin[8] = {0.19509032f, 0.55557023f, 0.83146961f, 0.98078528f,
                             0.98078528f, 0.83146961f, 0.55557023f, 0.19509032f};
  return cmul(x, {kCos[t / 2], sign * kSin[t / 2]});
}

// R-point transform of v in registers (R <= 32; radix 2, decimation in frequency): v[p] ends
// holding bin bit_reversed(p).
template <int R>
__device__ __forceinline__ void transform_registers(float2 (&v)[R], float sign) {
#pragma unroll
  for (int h = R / 2; h >= 1; h /= 2) {
#pragma unroll
    for (int a = 0; a < R; ++a) {
      if (a & h) continue;
      const float2 x = v[a], y = v[a + h], difference{x.x - y.x, x.y - y.y};
      const int k = (a & (h - 1)) * (16 / h);  // w_(2h)^(a mod h) = w_32^k
      v[a] = {x.x + y.x, x.y + y.y};
      v[a + h] = times_root32(difference, k, sign);
    }
  }
}

// One radix-2^bits stage of the column transform (decimation in frequency) over groups of
// 2^log2_span rows: a butterfly takes rows i + q span / R (q < R = 2^bits) of one column and
// group from `in`, transforms them in registers and passes output q, times
// w_span^(i bit_reversed(q)), to store(row, column, value) at the row it came from. Done over
// spans s, s / R, ..., this is the radix-2 transform with its steps grouped, so position p of
// a column ends up holding bin bit_reversed(p) of its s points. roots[x] = e^(sign 2 pi i x / s).
//
// `in` reads in two steps, in.fetch(row, column) and in.finish(row, column, fetched): every
// fetch of a butterfly is issued before any finish, so the reads overlap. For speed, fetch
// should not branch: a branch between two reads makes the first complete before the second
// starts.
template <int R, typename Input, typename Store>
__device__ __forceinline__ void column_stage(int log2_span, const float2* roots, float sign, const Split& sp,
                                             const Input& in, Store store) {
  constexpr int bits = R == 1 ? 0 : R == 2 ? 1 : R == 4 ? 2 : R == 8 ? 3 : 4;
  const int log2_step = log2_span - bits, butterflies = (sp.s >> bits) << sp.log2_columns;
  for (int b = threadIdx.x; b < butterflies; b += blockDim.x) {
    const int c = b & (sp.columns - 1), rest = b >> sp.log2_columns;
    const int i = rest & ((1 << log2_step) - 1), first = ((rest >> log2_step) << log2_span) + i;
    float2 v[R];
#pragma unroll
    for (int q = 0; q < R; ++q) v[q] = in.fetch(first + (q << log2_step), c);
#pragma unroll
    for (int q = 0; q < R; ++q) v[q] = in.finish(first + (q << log2_step), c, v[q]);
    transform_registers<R>(v, sign);
#pragma unroll
    for (int q = 0; q < R; ++q) {
      const int power = i * bit_reversed(q, bits);
      store(first + (q << log2_step), c, power == 0 ? v[q] : cmul(v[q], roots[power << (sp.log2_s - log2_span)]));
    }
  }
}

// Values between stages: s rows of sp.columns values in shared memory.
struct TileInput {
  const float2* tile;
  int log2_columns;
  __device__ __forceinline__ float2 fetch(int p, int c) const { return tile[(p << log2_columns) + c]; }
  __device__ __forceinline__ float2 finish(int, int, float2 value) const { return value; }
};

// The column transform of a block: s points per column, in ceil(log2 s / 4) stages of up
// to 16 points (one stage when s = 1, which copies). The first stage reads from first_in,
// the last stores with last_store; the stages between go through tile (s rows of
// sp.columns values), with a barrier after each store to it. Stages hold at most MaxRadix
// points (max_radix(sp) <= MaxRadix): a smaller bound compiles to fewer registers.
template <int MaxRadix, typename Input, typename Store>
__device__ void transform_columns(float2* tile, const float2* roots, float sign, const Split& sp, const Input& first_in,
                                  Store last_store) {
  const int stages = column_stages(sp);
  const TileInput tile_in{tile, sp.log2_columns};
  const auto tile_store = [&](int p, int c, float2 v) { tile[(p << sp.log2_columns) + c] = v; };
  int log2_span = sp.log2_s;
  for (int stage = 0; stage < stages; ++stage) {
    const int bits = (log2_span + stages - stage - 1) / (stages - stage);
    const auto run = [&](const auto& in, auto store) {
      switch (bits) {
        case 0: column_stage<1>(log2_span, roots, sign, sp, in, store); break;
        case 1: column_stage<2>(log2_span, roots, sign, sp, in, store); break;
        case 2: column_stage<4>(log2_span, roots, sign, sp, in, store); break;
        case 3: if constexpr (MaxRadix >= 8) column_stage<8>(log2_span, roots, sign, sp, in, store); break;
        default: if constexpr (MaxRadix >= 16) column_stage<16>(log2_span, roots, sign, sp, in, store); break;
      }
    };
    const bool first = stage == 0, last = stage == stages - 1;
    if (first && last) run(first_in, last_store);
    else if (first) run(first_in, tile_store);
    else if (last) run(tile_in, last_store);
    else run(tile_in, tile_store);
    if (!last) __syncthreads();
    log2_span -= bits;
  }
}

__device__ void fill_roots(float2* roots, const Split& sp, float sign) {
  for (int q = threadIdx.x; q < root_entries(sp); q += blockDim.x) roots[q] = unit_root(q, sp.s, sign);
}

// A block's twist tables (TwistTables): first, then second.
struct Twist {
  const float2 *first, *second;
  TwistTables layout;
};

// Fills the tables of the columns tau0 + c (no barrier).
__device__ Twist fill_twist(float2* tables, int64_t tau0, const Split& sp, float sign) {
  const TwistTables& t = sp.twist;
  for (int e = threadIdx.x; e < twist_entries(sp); e += blockDim.x) {
    // Columns past m get roots too (q may exceed n there); they are never used.
    int64_t q;
    if (e < t.first_entries) {
      const int64_t column = static_cast<int64_t>(e & ((1 << t.first_shift) - 1)) << t.first_column_shift;
      q = (e >> t.first_shift) * (tau0 + column);
    } else {
      const int i = e - t.first_entries;
      q = static_cast<int64_t>((i >> t.second_shift) << t.second_row_shift) *
          ((t.second_from_tau0 ? tau0 : 0) + (i & t.second_column_mask));
    }
    tables[e] = unit_root(q, sp.n, sign);
  }
  return {tables, tables + t.first_entries, t};
}

// value times w_n^(sign r tau) for row r and column tau = tau0 + c of the block.
__device__ __forceinline__ float2 twisted(float2 value, const Twist& tw, int r, int c) {
  const TwistTables& t = tw.layout;
  const float2 first = tw.first[((r & t.first_row_mask) << t.first_shift) + (c >> t.first_column_shift)];
  const float2 second = tw.second[((r >> t.second_row_shift) << t.second_shift) + (c & t.second_column_mask)];
  return cmul(value, cmul(first, second));
}

// A column pass's shared memory (column_pass_bytes): roots, twist tables, tile (neither
// roots nor tile, and `roots` and `tile` not to be used, when the transform has one stage).
struct ColumnShared {
  float2 *roots, *twist, *tile;
};

__device__ __forceinline__ ColumnShared column_shared(float2* base, const Split& sp) {
  return {base, base + root_entries(sp), base + root_entries(sp) + twist_entries(sp)};
}

// Column tau0 + c of a block, clamped to the last column: reads past m stay in the row; the
// columns they feed are transformed on their own and never stored.
__device__ __forceinline__ int64_t read_column(int64_t tau0, int c, const Split& sp) {
  return std::min<int64_t>(tau0 + c, sp.m - 1);
}

// First-stage inputs of the forward column pass (see column_stage): element t = tau + j m of
// packed row `row` of a chunk's zero-padded transform inputs (pad_kernel's rows), zero past
// column m. Where the row comes from is worked out once. Its reads branch (zeros are not
// read) and are finished in fetch: made branch-free like TwistedRowsInput's, this pass
// measured slower (1.90 against 1.52 ms per chunk at L 2^20 on the H200), its extra
// registers leaving two blocks per SM instead of three.
template <typename T>
class PaddedRowInput {
 public:
  __device__ PaddedRowInput(const PadSources<T>& src, const Chunk& chunk, int64_t row, int64_t tau0, const Split& sp)
      : src_(src), length_(chunk.length), tau0_(tau0), m_(sp.m),
        activation_(row < src.tensors * chunk.activation_rows()) {
    const int64_t activation_rows = chunk.activation_rows();
    if (activation_) {
      const ActivationPair pair = activation_pair(chunk, row % activation_rows);
      real_ = (row < activation_rows ? src.first : src.second) + pair.global_row * length_;
      has_second_ = pair.has_second;
    } else {
      const PairChannels pair = pair_channels(chunk, row - src.tensors * activation_rows);
      channel_ = pair.channel;
      has_second_ = pair.has_second;
    }
  }

  __device__ __forceinline__ float2 fetch(int j, int c) const {
    const int64_t tau = tau0_ + c;
    return tau < m_ ? at(tau + j * m_) : float2{0.0f, 0.0f};
  }
  __device__ __forceinline__ float2 finish(int, int, float2 value) const { return value; }

 private:
  // Element t < 2L.
  __device__ __forceinline__ float2 at(int64_t t) const {
    if (activation_) {
      if (t >= length_) return {0.0f, 0.0f};
      return {to_float(real_[t]), has_second_ ? to_float(real_[length_ + t]) : 0.0f};
    }
    const float first = kernel_group<1>(src_.k_fwd, src_.k_bwd, channel_, length_, t).v[0];
    return {first, has_second_ ? kernel_group<1>(src_.k_fwd, src_.k_bwd, channel_ + 1, length_, t).v[0] : 0.0f};
  }

  PadSources<T> src_;
  int64_t length_, tau0_;
  int64_t m_;
  bool activation_;
  const T* real_ = nullptr;  // activation row: the pair's first channel
  int64_t channel_ = 0;      // kernel row: the pair's first channel
  bool has_second_ = false;
};

// Grid column_grid(chunk packed rows): the forward column pass. Row r of packed row p
// (transform row p s + r) gets w_n^(r tau) sum_j x_p[tau + j m] w_s^(r j) at tau. The
// 16-point instance is held to 64 registers (4 blocks per SM; 8 bytes spilled): against 80
// and 3 blocks, at L 2^14 / 2^17 / 2^20 on the H200 the forward took 0.133-0.137 /
// 0.937-0.952 / 9.31-9.34 ms against 0.140-0.141 / 0.956-0.964 / 9.34-9.35 (with the
// inverse pass's three blocks below).
template <typename T, int MaxRadix>
__global__ void __launch_bounds__(kThreads, 4)
    split_columns_kernel(PadSources<T> src, float2* rows, Chunk chunk, Split sp) {
  extern __shared__ float2 column_memory[];
  const ColumnShared shared = column_shared(column_memory, sp);
  const ColumnBlock block = column_block(sp);
  const int64_t row = block.row, tau0 = block.tau0;
  fill_roots(shared.roots, sp, -1.0f);
  const Twist tw = fill_twist(shared.twist, tau0, sp, -1.0f);
  __syncthreads();
  const auto store_row = [&](int position, int c, float2 value) {
    const int64_t tau = tau0 + c;
    if (tau >= sp.m) return;
    const int r = bit_reversed(position, sp.log2_s);
    rows[(row * sp.s + r) * sp.m + tau] = twisted(value, tw, r, c);
  };
  transform_columns<MaxRadix>(shared.tile, shared.roots, -1.0f, sp, PaddedRowInput<T>(src, chunk, row, tau0, sp),
                              store_row);
}

// Grid (chunk pairs, bin tiles over k < m, rows r = 0 .. s / 2): Y[b, q] = U[b, q] (K[q] + D) / n
// for each of the pair's two channels and every batch entry b, written over U's packed rows
// (split layout). Bin (r, k) is f = s k + r; n - f is (0, (m - k) mod m) for r = 0, else
// (s - r, m - 1 - k): each pair of bins is handled once, at the lower position.
__global__ void multiply_kernel(float2* spectra, const float* D, Chunk chunk, Split sp, float scale) {
  const int64_t q = blockIdx.x, r = blockIdx.z, n = sp.n;
  const float2* kernels = spectra + (chunk.activation_rows() + q) * n;
  for (int64_t k = row_start(); k < sp.m; k += row_stride()) {
    const int64_t f = r * sp.m + k, g = r == 0 ? mirror(k, sp.m) : (sp.s - r) * sp.m + sp.m - 1 - k;
    if (g < f) continue;
    const PairSpectra kernel = kernel_spectra(kernels[f], kernels[g], D, chunk, q);
    for (int64_t b = 0; b < chunk.batch; ++b) {
      float2* row = spectra + (b * chunk.pairs() + q) * n;
      const PairSpectra u = unpack(row[f], row[g]);
      store_bins(row, f, g, pack(scaled(cmul(u.a, kernel.a), scale), scaled(cmul(u.b, kernel.b), scale)));
    }
  }
}

// First-stage inputs of the inverse column pass: rows z_r of a packed row, read at column
// tau (clamped) and twisted by w_n^(-r tau) in finish.
struct TwistedRowsInput {
  const float2* rows;  // the packed row's first transform row
  Twist tw;
  int64_t tau0;
  Split sp;
  __device__ __forceinline__ float2 fetch(int r, int c) const { return rows[r * sp.m + read_column(tau0, c, sp)]; }
  __device__ __forceinline__ float2 finish(int r, int c, float2 v) const {
    return twisted(v, tw, r, c);
  }
};

// Grid column_grid(chunk packed activation rows): the inverse column pass. Column tau of
// the inverse-transformed rows z_r, twisted by w_n^(-r tau), transformed back over r gives
// the outputs t = tau + j m; those with t < L are unpacked into both channels and converted.
// Three blocks per multiprocessor at least (80 registers, no spills): left free, the
// 16-point instance takes 148 registers, which leaves room for one, and held to two blocks,
// 128.
template <typename T, int MaxRadix>
__global__ void __launch_bounds__(kThreads, MaxRadix == kLargeRadix ? 3 : 6)
    split_crop_kernel(const float2* rows, T* out, Chunk chunk, Split sp) {
  extern __shared__ float2 column_memory[];
  const ColumnShared shared = column_shared(column_memory, sp);
  const ColumnBlock block = column_block(sp);
  const int64_t row = block.row, tau0 = block.tau0, L = chunk.length;
  fill_roots(shared.roots, sp, 1.0f);
  const Twist tw = fill_twist(shared.twist, tau0, sp, 1.0f);
  __syncthreads();
  const ActivationPair pair = activation_pair(chunk, row);
  T* real = out + pair.global_row * L;
  const auto store_output = [&](int position, int c, float2 value) {
    const int64_t tau = tau0 + c, t = tau + bit_reversed(position, sp.log2_s) * sp.m;
    if (tau >= sp.m || t >= L) return;
    real[t] = from_float<T>(value.x);
    if (pair.has_second) real[L + t] = from_float<T>(value.y);
  };
  transform_columns<MaxRadix>(shared.tile, shared.roots, 1.0f, sp,
                              TwistedRowsInput{rows + row * sp.s * sp.m, tw, tau0, sp}, store_output);
}

// ---------------------------------------------------------------------------------------
// Transforms in shared memory, used by two forwards: rows of the split transform
// (FftConvPath::own_rows) and whole rows (FftConvPath::one_block).
//
// A transform of 2^Log2Points points is the radix-2 one with its steps grouped into
// register stages (RowStage: the first of 16 points, the others of 16 or 32, the last taking
// the bits that remain: 16, 16, 8 for own rows of 2,048 points; 16, 32, 32 for the one-block
// forward's halves of 16,384), as in the column passes: decimation in frequency, so
// position p ends holding bin bit_reversed(p); products work in that order and the inverse
// runs the stages backwards (decimation in time), so it ends in natural order and needs no
// reordering either way. Lengths and stages are compile-time constants, so that every
// access of a butterfly is a constant offset from its first point.

// A row in shared memory has one unused slot after every 16 values and one more after every
// 256. With the stages below, no two threads of a half-warp then share a bank in any stage
// from 2^10 to 2^14 points (nor in the products' accesses below, but for the even half's
// mirrors, 1.5-way); unpadded, a last stage of 8 or 16 points has 8- or 16-way conflicts,
// and without the second slot a last stage of 32 points 2-way ones.
__host__ __device__ constexpr int padded(int p) { return p + (p >> 4) + (p >> 8); }

// The roots w^e = e^(-2 pi i e / 2^Log2Points), e < 2^Log2Points, from two tables:
// w^e = low[e % 64] high[e / 64].
template <int Log2Points>
struct RootTable {
  static constexpr int low_entries = 64, high_entries = (1 << Log2Points) / low_entries;
  static constexpr int entries = low_entries + high_entries;
  const float2 *low, *high;
  __device__ __forceinline__ float2 operator()(int e) const { return cmul(low[e & (low_entries - 1)], high[e >> 6]); }
};

// Fills the tables at `memory` (RootTable::entries values); no barrier.
template <int Log2Points>
__device__ RootTable<Log2Points> fill_root_table(float2* memory) {
  using Table = RootTable<Log2Points>;
  for (int e = threadIdx.x; e < Table::entries; e += blockDim.x) {
    const int exponent = e < Table::low_entries ? e : (e - Table::low_entries) * Table::low_entries;
    memory[e] = unit_root(exponent, int64_t{1} << Log2Points, -1.0f);
  }
  return {memory, memory + Table::low_entries};
}

// The roots of a transform of half the table's points: w_(N/2)^e = w_N^(2e).
template <int Log2Points>
struct HalfRoots {
  RootTable<Log2Points + 1> table;
  __device__ __forceinline__ float2 operator()(int e) const { return table(2 * e); }
};

// Two rows, or two pointers to them, picked by a run-time index without a local array.
template <typename P>
struct TwoRows {
  P first, second;
  __device__ __forceinline__ P operator[](int row) const { return row == 0 ? first : second; }
};

__host__ __device__ constexpr int bit_reversed_constant(int i, int bits) {
  int r = 0;
  for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
}

// R-point inverse transform of v in registers (R <= 32; radix 2, decimation in time; sign +1): v[p]
// holding bin bit_reversed(p) on entry, v[t] holds value t on exit, times R.
template <int R>
__device__ __forceinline__ void inverse_transform_registers(float2 (&v)[R]) {
#pragma unroll
  for (int h = 1; h < R; h *= 2) {
#pragma unroll
    for (int a = 0; a < R; ++a) {
      if (a & h) continue;
      const int k = (a & (h - 1)) * (16 / h);  // w_(2h)^-(a mod h) = conj(w_32^k)
      const float2 x = v[a], y = times_root32(v[a + h], k, 1.0f);
      v[a] = {x.x + y.x, x.y + y.y};
      v[a + h] = {x.x - y.x, x.y - y.y};
    }
  }
}

// Stages of a transform of 2^Log2Points points: the first of 16 points, the others of
// 2^LaterBits (16 or 32), the last taking the bits that remain.
__host__ __device__ constexpr int row_stages(int log2_points, int later_bits) {
  return 1 + (log2_points - 4 + later_bits - 1) / later_bits;
}

// Stage `Stage` of a transform of 2^Log2Points points (forward order): radix 2^bits over
// spans of 2^log2_span points, the butterfly's points at steps of 2^log2_step.
template <int Log2Points, int Stage, int LaterBits = 4>
struct RowStage {
  static constexpr int log2_span = Stage == 0 ? Log2Points : Log2Points - 4 - (Stage - 1) * LaterBits;
  static constexpr int max_bits = Stage == 0 ? 4 : LaterBits, bits = log2_span < max_bits ? log2_span : max_bits;
  static constexpr int log2_step = log2_span - bits, per_row = Log2Points - bits, radix = 1 << bits;
  // The shared-memory offset of point q from the butterfly's first (padded) point: within a
  // butterfly the pad slots passed depend on q only.
  static __device__ __forceinline__ int offset(int q) { return padded(q << log2_step); }
  // Output q of butterfly i is multiplied by w_span^(i bit_reversed(q)): the power
  // bit_reversed(q) of w^base_exponent(i), w over 2^Log2Points points.
  static __device__ __forceinline__ int base_exponent(int i) { return i << (Log2Points - log2_span); }
};

// The powers w^0 .. w^(R-1) of a root w, each the product of two lower ones (the highest
// power of two in the exponent and the rest), so at most log2(R) products deep: a butterfly
// reads one root from the tables instead of R - 1, each of those two reads and a product.
template <int R>
struct RootPowers {
  float2 power[R];
  __device__ __forceinline__ explicit RootPowers(float2 w) {
    power[0] = {1.0f, 0.0f};
    power[1] = w;
#pragma unroll
    for (int e = 2; e < R; ++e) {
      const int high = 1 << (31 - __clz(e));
      power[e] = high == e ? cmul(power[e / 2], power[e / 2]) : cmul(power[high], power[e - high]);
    }
  }
};

// Calls f(std::integral_constant<int, S>) for S = First .. Last - 1 in order, or in reverse.
template <int First, int Last, typename F>
__device__ __forceinline__ void for_stages(F&& f) {
  if constexpr (First < Last) {
    f(std::integral_constant<int, First>{});
    for_stages<First + 1, Last>(f);
  }
}
template <int First, int Last, typename F>
__device__ __forceinline__ void for_stages_reversed(F&& f) {
  if constexpr (First < Last) {
    f(std::integral_constant<int, Last - 1>{});
    for_stages_reversed<First, Last - 1>(f);
  }
}

// Butterfly b of a stage: its row, first point, and its index i within the span.
struct Butterfly {
  int row, first, i;
};

template <int Log2Points, int Stage, int LaterBits>
__device__ __forceinline__ Butterfly row_butterfly(int b) {
  using S = RowStage<Log2Points, Stage, LaterBits>;
  const int w = b & ((1 << S::per_row) - 1), i = w & ((1 << S::log2_step) - 1);
  return {b >> S::per_row, ((w >> S::log2_step) << S::log2_span) + i, i};
}

// One forward stage over `count` rows: load(row, first, q) gives the inputs; outputs go to
// the shared rows in place, times w_span^(i bit_reversed(q)) (roots(e) = w^e over
// 2^Log2Points points; none in the last stage, where every butterfly has i = 0).
template <int Log2Points, int Stage, int LaterBits, typename Roots, typename Load>
__device__ __forceinline__ void forward_row_stage(int count, const Roots& roots, const Load& load,
                                                  const TwoRows<float2*>& rows) {
  using S = RowStage<Log2Points, Stage, LaterBits>;
  for (int b = threadIdx.x; b < count << S::per_row; b += blockDim.x) {
    const Butterfly f = row_butterfly<Log2Points, Stage, LaterBits>(b);
    float2 v[S::radix];
#pragma unroll
    for (int q = 0; q < S::radix; ++q) v[q] = load(f.row, f.first, q);
    transform_registers<S::radix>(v, -1.0f);
    if constexpr (S::log2_step > 0) {
      const RootPowers<S::radix> w(roots(S::base_exponent(f.i)));
#pragma unroll
      for (int q = 1; q < S::radix; ++q) v[q] = cmul(v[q], w.power[bit_reversed_constant(q, S::bits)]);
    }
    float2* const out = rows[f.row] + padded(f.first);
#pragma unroll
    for (int q = 0; q < S::radix; ++q) out[S::offset(q)] = v[q];
  }
}

// The forward stage undone (conjugate roots): reads the shared rows; store(row, first, q,
// value) takes the outputs.
template <int Log2Points, int Stage, int LaterBits, typename Roots, typename Store>
__device__ __forceinline__ void inverse_row_stage(int count, const Roots& roots, const TwoRows<float2*>& rows,
                                                  const Store& store) {
  using S = RowStage<Log2Points, Stage, LaterBits>;
  for (int b = threadIdx.x; b < count << S::per_row; b += blockDim.x) {
    const Butterfly f = row_butterfly<Log2Points, Stage, LaterBits>(b);
    const float2* const in = rows[f.row] + padded(f.first);
    float2 v[S::radix];
#pragma unroll
    for (int q = 0; q < S::radix; ++q) v[q] = in[S::offset(q)];
    if constexpr (S::log2_step > 0) {
      const RootPowers<S::radix> w(roots(S::base_exponent(f.i)));
#pragma unroll
      for (int q = 1; q < S::radix; ++q) v[q] = cmul_conj(w.power[bit_reversed_constant(q, S::bits)], v[q]);
    }
    inverse_transform_registers<S::radix>(v);
#pragma unroll
    for (int q = 0; q < S::radix; ++q) store(f.row, f.first, q, v[q]);
  }
}

// Forward stages 1 .. last of the shared rows, in place, each followed by a barrier.
template <int Log2Points, int LaterBits, typename Roots>
__device__ void forward_shared_stages(int count, const Roots& roots, const TwoRows<float2*>& rows) {
  for_stages<1, row_stages(Log2Points, LaterBits)>([&](auto stage) {
    constexpr int kStage = decltype(stage)::value;
    using S = RowStage<Log2Points, kStage, LaterBits>;
    forward_row_stage<Log2Points, kStage, LaterBits>(
        count, roots, [&](int row, int first, int q) { return rows[row][padded(first) + S::offset(q)]; }, rows);
    __syncthreads();
  });
}

// Inverse stages last .. 1 of the shared rows, in place, each followed by a barrier.
template <int Log2Points, int LaterBits, typename Roots>
__device__ void inverse_shared_stages(int count, const Roots& roots, const TwoRows<float2*>& rows) {
  for_stages_reversed<1, row_stages(Log2Points, LaterBits)>([&](auto stage) {
    constexpr int kStage = decltype(stage)::value;
    using S = RowStage<Log2Points, kStage, LaterBits>;
    inverse_row_stage<Log2Points, kStage, LaterBits>(
        count, roots, rows, [&](int row, int first, int q, float2 v) { rows[row][padded(first) + S::offset(q)] = v; });
    __syncthreads();
  });
}

// ---------------------------------------------------------------------------------------
// The forward's rows transformed here instead of by cuFFT (FftConvPath::own_rows), for
// n = s m a power of two with rows of m = 2,048 points (s >= 16): one block per pair of
// mirrored rows {r, s - r} of a packed pair (the bins f and n - f of one product are in
// them) takes the kernel's two rows and, for every batch entry, the signal's two rows
// through shared memory: transform, product, inverse, in place in the column pass's output.
// cuFFT's forward output, the product's reads and writes and the inverse's input (at L 2^14
// about 190 of the 430 MB the cuFFT path moves) never reach memory.
constexpr int kLog2OwnRow = 11, kOwnRowPoints = 1 << kLog2OwnRow;
using OwnRowRoots = RootTable<kLog2OwnRow>;

__host__ __device__ constexpr int own_rows_split(int64_t n) { return static_cast<int>(n / kOwnRowPoints); }

constexpr int kPaddedRow = padded(kOwnRowPoints);

// Rows of the group (kernel and signal, two each), then the root tables.
constexpr size_t kOwnRowsBytes = (4 * kPaddedRow + OwnRowRoots::entries) * sizeof(float2);

// Transforms `count` rows src[row] (global memory) into the shared rows; ends with a barrier.
__device__ void forward_rows(int count, const OwnRowRoots& roots, const TwoRows<const float2*>& src,
                             const TwoRows<float2*>& rows) {
  using First = RowStage<kLog2OwnRow, 0>;
  forward_row_stage<kLog2OwnRow, 0, 4>(
      count, roots, [&](int row, int first, int q) { return src[row][first + (q << First::log2_step)]; }, rows);
  __syncthreads();
  forward_shared_stages<kLog2OwnRow, 4>(count, roots, rows);
}

// Transforms the shared rows back into dst[row] (global memory), unnormalized.
__device__ void inverse_rows(int count, const OwnRowRoots& roots, const TwoRows<float2*>& rows,
                             const TwoRows<float2*>& dst) {
  inverse_shared_stages<kLog2OwnRow, 4>(count, roots, rows);
  inverse_row_stage<kLog2OwnRow, 0, 4>(count, roots, rows, [&](int row, int first, int q, float2 v) {
    dst[row][first + (q << RowStage<kLog2OwnRow, 0>::log2_step)] = v;
  });
}

// Grid (chunk pairs, groups g = 0 .. s / 2): rows r = g and s - g (one row when they are the
// same, g = 0 or s / 2) of pair q's kernel row, then of each batch entry's signal row, which
// ends holding the inverse-transformed product Y = U (K + D) / n. Bin (r, k) sits at
// position bit_reversed(k); its mirror n - f at (0, (m - k) mod m) for r = 0, else at
// (s - r, m - 1 - k), which is position m - 1 - p of row s - r.
__global__ void __launch_bounds__(kThreads, 3)
    own_rows_kernel(float2* rows, const float* D, Chunk chunk, Split sp, float scale) {
  extern __shared__ float2 row_memory[];
  constexpr int m = kOwnRowPoints;
  const int64_t q = blockIdx.x;
  const int g = blockIdx.y, mirror_row = g == 0 ? 0 : sp.s - g, count = mirror_row == g ? 1 : 2;
  const TwoRows<float2*> kernel{row_memory, row_memory + kPaddedRow};
  const TwoRows<float2*> signal{row_memory + 2 * kPaddedRow, row_memory + 3 * kPaddedRow};
  const OwnRowRoots roots = fill_root_table<kLog2OwnRow>(row_memory + 4 * kPaddedRow);
  __syncthreads();
  // Rows g and mirror_row of a packed row of the chunk, in the column pass's output.
  const auto group_rows = [&](int64_t packed) {
    float2* const first = rows + packed * sp.s * m;
    return TwoRows<float2*>{first + g * m, first + mirror_row * m};
  };
  const TwoRows<float2*> kernel_global = group_rows(chunk.activation_rows() + q);
  forward_rows(count, roots, {kernel_global.first, kernel_global.second}, kernel);
  const int other = count - 1;  // the mirror's row in the set
  const int entries = g == 0 ? m / 2 + 1 : count == 1 ? m / 2 : m;
  for (int64_t b = 0; b < chunk.batch; ++b) {
    const TwoRows<float2*> signal_global = group_rows(b * chunk.pairs() + q);
    forward_rows(count, roots, {signal_global.first, signal_global.second}, signal);
    for (int e = threadIdx.x; e < entries; e += blockDim.x) {
      const int p = g == 0 ? bit_reversed(e, kLog2OwnRow) : e;
      const int p_mirror = g == 0 ? bit_reversed((m - e) & (m - 1), kLog2OwnRow) : m - 1 - e;
      const PairSpectra k = kernel_spectra(kernel[0][padded(p)], kernel[other][padded(p_mirror)], D, chunk, q);
      const PairSpectra u = unpack(signal[0][padded(p)], signal[other][padded(p_mirror)]);
      const PackedBins y = pack(scaled(cmul(u.a, k.a), scale), scaled(cmul(u.b, k.b), scale));
      signal[0][padded(p)] = y.at_f;
      if (other == 1 || p_mirror != p) signal[other][padded(p_mirror)] = y.at_g;
    }
    __syncthreads();
    inverse_rows(count, roots, signal, signal_global);
    __syncthreads();
  }
}

// ---------------------------------------------------------------------------------------
// A whole row's transforms in one block (FftConvPath::one_block), for L = 2^Log2Length from
// 2^10 to 2^14 (n = 2L). Two real rows a and b of L values, zero-padded to n, are packed into
// one complex row z = a + i b, whose transform holds both spectra, told apart at f and n - f
// as for channel pairs. At 2^14, n complex points take more shared memory than a
// multiprocessor has, so the transform is done in two halves of M = L points, the even bins
// and then the odd bins (the first step of decimation in frequency):
//   Z[2k]     = sum_(j<M) (z[j] + z[j + M])        w_M^(jk)
//   Z[2k + 1] = sum_(j<M) (z[j] - z[j + M]) w_n^j w_M^(jk)
// The mirror n - f of every bin f of a half is in the same half (2k and 2(M - k), 2k + 1 and
// 2(M - 1 - k) + 1), so each half forms its products on its own, and a real result r of n
// points is, for t < M,
//   r[t] = P[t] + Q[t],   r[t + M] = P[t] - Q[t],
//   P[t] = sum_k R[2k] w_M^(-tk),   Q[t] = w_n^(-t) sum_k R[2k + 1] w_M^(-tk),
// P (real) from the even half waiting for Q from the odd half. Nothing but inputs and
// outputs reaches memory, and there is no workspace.
// - Forward, one block per activation row (b, c): a = u, b = channel c's two-sided kernel
//   k2; Y = U (K + D) / n; y = r[:L].
// - Backward's du, the same kernel: a = dy, b = k2; DU = DY conj(K + D) / n; du = r[:L].
// - Backward's kernel gradient, one block per channel: a = dy_b, b = u_b for each batch entry
//   in turn, G = sum_b conj(U_b) DY_b / n summed in order in shared memory (half the bins of
//   a half: G is Hermitian), then dk2 = r: dk_fwd[t] = r[t], dk_bwd[L - 1 - t] = r[t + L].
//
// The twist w_n^j of input j = i + q M/16 of the first stage is w_n^i w_32^q: w_32^q
// multiplies the inputs and w_n^i, common to the butterfly, joins its output roots; the
// inverse's last stage does the same backwards.
template <int Log2Length>
struct OneBlock {
  static constexpr int points = 1 << Log2Length;  // M = L, the points of a half
  static constexpr int threads = points / 32;     // a thread takes 32 points of each stage
  static constexpr int pairs = points / 2 + 1;    // bin pairs {f, n - f} of a half, at most
  using Roots = RootTable<Log2Length + 1>;       // w_n
  // Stages after the first of 32 points where that saves one (2^13, 2^14); at 2^12 and below
  // a stage of 32 points would come to a step of 8 and 2-way bank conflicts.
  static constexpr int later_bits = Log2Length > 12 ? 5 : 4;
  using First = RowStage<Log2Length, 0, later_bits>;
  static constexpr int first_step = 1 << First::log2_step;
  // The row, the root tables, then P of the forward (M floats) or G of the kernel gradient
  // (pairs complex values).
  static constexpr size_t bytes = (padded(points) + Roots::entries + pairs) * sizeof(float2);
  static_assert(First::bits == 4, "the first stage has 16 points");
};

// The roots by which the outputs of first-stage butterfly i are multiplied: w_M^(i
// bit_reversed(q)) = (w_n^2i)^bit_reversed(q), times w_n^i in the odd half.
template <bool Odd, int Log2Points>
__device__ __forceinline__ RootPowers<16> first_stage_roots(const RootTable<Log2Points>& table, int i) {
  RootPowers<16> w(table(2 * i));
  if constexpr (Odd) {
    const float2 twist = table(i);
#pragma unroll
    for (int e = 0; e < 16; ++e) w.power[e] = cmul(w.power[e], twist);
  }
  return w;
}

// z[j] and z[j + M] of a packed row.
struct PackedPoints {
  float2 low, high;
};

// A half's first stage, from global memory: points(j) gives z[j] and z[j + M] for j < M.
// Ends with a barrier.
template <int Log2Length, bool Odd, typename Points>
__device__ __forceinline__ void first_stage(float2* row, const typename OneBlock<Log2Length>::Roots& table,
                                            const Points& points) {
  using B = OneBlock<Log2Length>;
  using First = typename B::First;
  constexpr int step = B::first_step, radix = First::radix;
  for (int i = threadIdx.x; i < (1 << First::per_row); i += blockDim.x) {
    float2 v[radix];
#pragma unroll
    for (int q = 0; q < radix; ++q) {
      const PackedPoints z = points(i + q * step);
      v[q] = Odd ? times_root32({z.low.x - z.high.x, z.low.y - z.high.y}, q, -1.0f)
                 : float2{z.low.x + z.high.x, z.low.y + z.high.y};
    }
    transform_registers<radix>(v, -1.0f);
    const RootPowers<radix> w = first_stage_roots<Odd>(table, i);
#pragma unroll
    for (int q = Odd ? 0 : 1; q < radix; ++q) v[q] = cmul(v[q], w.power[bit_reversed_constant(q, First::bits)]);
    float2* const out = row + padded(i);
#pragma unroll
    for (int q = 0; q < radix; ++q) out[First::offset(q)] = v[q];
  }
  __syncthreads();
}

// A half's last inverse stage: out(t, part) takes P[t] (even half) or Q[t] (odd half), t < M.
template <int Log2Length, bool Odd, typename Out>
__device__ __forceinline__ void last_stage(const float2* row, const typename OneBlock<Log2Length>::Roots& table,
                                           const Out& out) {
  using B = OneBlock<Log2Length>;
  using First = typename B::First;
  constexpr int step = B::first_step, radix = First::radix;
  for (int i = threadIdx.x; i < (1 << First::per_row); i += blockDim.x) {
    const float2* const in = row + padded(i);
    float2 v[radix];
#pragma unroll
    for (int q = 0; q < radix; ++q) v[q] = in[First::offset(q)];
    const RootPowers<radix> w = first_stage_roots<Odd>(table, i);
#pragma unroll
    for (int q = Odd ? 0 : 1; q < radix; ++q) v[q] = cmul_conj(w.power[bit_reversed_constant(q, First::bits)], v[q]);
    inverse_transform_registers<radix>(v);
#pragma unroll
    for (int t = 0; t < radix; ++t) out(i + t * step, Odd ? times_root32(v[t], t, 1.0f).x : v[t].x);
  }
}

// The bin pairs of a half in the shared row (bin k at position bit_reversed(k)): pair e sits
// at positions p and mirror. Even half: bin k = bit_reversed(p) with p even is below M / 2,
// so even positions and p = 1 (bin M / 2) take each pair once; odd half: bins k and
// M - 1 - k sit at positions p and M - 1 - p.
struct BinPair {
  int p, mirror;
};

template <int Log2Length, bool Odd>
__device__ __forceinline__ int bin_pairs() {
  return Odd ? (1 << Log2Length) / 2 : (1 << Log2Length) / 2 + 1;
}

template <int Log2Length, bool Odd>
__device__ __forceinline__ BinPair bin_pair(int e) {
  constexpr int M = 1 << Log2Length;
  if constexpr (Odd) return {e, M - 1 - e};
  const int p = e < M / 2 ? 2 * e : 1;
  return {p, bit_reversed((M - bit_reversed(p, Log2Length)) & (M - 1), Log2Length)};
}

// Stores a Hermitian product: value at p, its conjugate at the mirror.
__device__ __forceinline__ void store_hermitian(float2* row, BinPair pair, float2 value) {
  row[padded(pair.p)] = value;
  if (pair.mirror != pair.p) row[padded(pair.mirror)] = {value.x, -value.y};
}

// Y = A (B + D) / n, or A conj(B + D) / n (Conjugate), over the bins of a half in place (A
// from the real part, B from the imaginary part); ends with a barrier.
template <int Log2Length, bool Odd, bool Conjugate>
__device__ __forceinline__ void multiply_half(float2* row, float d, float scale) {
  for (int e = threadIdx.x; e < bin_pairs<Log2Length, Odd>(); e += blockDim.x) {
    const BinPair pair = bin_pair<Log2Length, Odd>(e);
    const PairSpectra s = unpack(row[padded(pair.p)], row[padded(pair.mirror)]);
    const float2 kernel{s.b.x + d, s.b.y};
    store_hermitian(row, pair, scaled(Conjugate ? cmul_conj(kernel, s.a) : cmul(s.a, kernel), scale));
  }
  __syncthreads();
}

// Shared memory of a one-block kernel: the row, the root tables, P or G.
template <int Log2Length>
struct OneBlockShared {
  float2* row;
  typename OneBlock<Log2Length>::Roots table;
  float2* rest;
};

// Fills the tables; ends with a barrier.
template <int Log2Length>
__device__ OneBlockShared<Log2Length> one_block_shared(float2* memory) {
  using Roots = typename OneBlock<Log2Length>::Roots;
  constexpr int padded_row = padded(1 << Log2Length);
  const Roots table = fill_root_table<Log2Length + 1>(memory + padded_row);
  __syncthreads();
  return {memory, table, memory + padded_row + Roots::entries};
}

// half(std::false_type) for the even bins, then half(std::true_type) for the odd bins, which
// rewrites the row.
template <typename Half>
__device__ __forceinline__ void for_both_halves(const Half& half) {
  half(std::false_type{});
  __syncthreads();
  half(std::true_type{});
}

// Grid (batch x channels rows): out = r[:L] of row (b, c) for the forward (Gradient false:
// in = u, out = y) or the backward's du (in = dy, out = du), as above.
template <typename T, int Log2Length, bool Gradient>
__global__ void __launch_bounds__(OneBlock<Log2Length>::threads)
    one_block_kernel(const T* in, const float* k_fwd, const float* k_bwd, const float* D, T* out, int64_t channels,
                     float scale) {
  constexpr int M = 1 << Log2Length;
  extern __shared__ float2 one_block_memory[];
  const OneBlockShared<Log2Length> shared = one_block_shared<Log2Length>(one_block_memory);
  float* const even_sums = reinterpret_cast<float*>(shared.rest);
  const HalfRoots<Log2Length> roots{shared.table};
  const TwoRows<float2*> rows{shared.row, shared.row};
  const int64_t c = blockIdx.x % channels;
  const T* const in_row = in + static_cast<int64_t>(blockIdx.x) * M;
  const float* const forward_kernel = k_fwd + c * M;
  const float* const backward_kernel = k_bwd ? k_bwd + c * M : nullptr;
  const float d = D ? D[c] : 0.0f;
  T* const out_row = out + static_cast<int64_t>(blockIdx.x) * M;
  // z[j] = in[j] + i k_fwd[j], z[j + M] = i k_bwd[L - 1 - j].
  const auto points = [&](int j) {
    return PackedPoints{{to_float(in_row[j]), forward_kernel[j]},
                        {0.0f, backward_kernel ? backward_kernel[M - 1 - j] : 0.0f}};
  };
  const auto half = [&](auto odd_constant) {
    constexpr bool odd = decltype(odd_constant)::value;
    first_stage<Log2Length, odd>(shared.row, shared.table, points);
    forward_shared_stages<Log2Length, OneBlock<Log2Length>::later_bits>(1, roots, rows);
    multiply_half<Log2Length, odd, Gradient>(shared.row, d, scale);
    inverse_shared_stages<Log2Length, OneBlock<Log2Length>::later_bits>(1, roots, rows);
    // Each thread reads back only the P values it wrote.
    last_stage<Log2Length, odd>(shared.row, shared.table, [&](int t, float part) {
      if constexpr (odd) {
        out_row[t] = from_float<T>(even_sums[t] + part);
      } else {
        even_sums[t] = part;
      }
    });
  };
  for_both_halves(half);
}

// Grid (channels): the kernel gradient of channel c, as above (dk_bwd null: causal).
template <typename T, int Log2Length>
__global__ void __launch_bounds__(OneBlock<Log2Length>::threads)
    one_block_kernel_gradient_kernel(const T* u, const T* dy, float* dk_fwd, float* dk_bwd, int64_t batch,
                                     int64_t channels, float scale) {
  constexpr int M = 1 << Log2Length;
  extern __shared__ float2 one_block_memory[];
  const OneBlockShared<Log2Length> shared = one_block_shared<Log2Length>(one_block_memory);
  float2* const sums = shared.rest;  // G at the half's bin pairs
  const HalfRoots<Log2Length> roots{shared.table};
  const TwoRows<float2*> rows{shared.row, shared.row};
  const int64_t c = blockIdx.x;
  float* const forward_gradient = dk_fwd + c * M;
  float* const backward_gradient = dk_bwd ? dk_bwd + c * M : nullptr;
  const auto half = [&](auto odd_constant) {
    constexpr bool odd = decltype(odd_constant)::value;
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t row = (b * channels + c) * M;
      // z[j] = dy[j] + i u[j]; both are zero past L.
      first_stage<Log2Length, odd>(shared.row, shared.table, [&](int j) {
        return PackedPoints{{to_float(dy[row + j]), to_float(u[row + j])}, {0.0f, 0.0f}};
      });
      forward_shared_stages<Log2Length, OneBlock<Log2Length>::later_bits>(1, roots, rows);
      // Each thread owns its pairs' sums: no barrier for them.
      for (int e = threadIdx.x; e < bin_pairs<Log2Length, odd>(); e += blockDim.x) {
        const BinPair pair = bin_pair<Log2Length, odd>(e);
        const PairSpectra s = unpack(shared.row[padded(pair.p)], shared.row[padded(pair.mirror)]);  // a: dy, b: u
        const float2 term = cmul_conj(s.b, s.a);
        sums[e] = b == 0 ? term : float2{sums[e].x + term.x, sums[e].y + term.y};
      }
      __syncthreads();  // the row is rewritten
    }
    for (int e = threadIdx.x; e < bin_pairs<Log2Length, odd>(); e += blockDim.x) {
      store_hermitian(shared.row, bin_pair<Log2Length, odd>(e), scaled(sums[e], scale));
    }
    __syncthreads();
    inverse_shared_stages<Log2Length, OneBlock<Log2Length>::later_bits>(1, roots, rows);
    // P goes to dk_fwd first; the odd half reads back the values its thread wrote there.
    last_stage<Log2Length, odd>(shared.row, shared.table, [&](int t, float part) {
      if constexpr (odd) {
        const float even = forward_gradient[t];
        forward_gradient[t] = even + part;
        if (backward_gradient) backward_gradient[M - 1 - t] = even - part;
      } else {
        forward_gradient[t] = part;
      }
    });
  };
  for_both_halves(half);
}

template <int Log2Length, typename Kernel>
void allow_one_block_memory(Kernel kernel) {
  SPINDLE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(OneBlock<Log2Length>::bytes)));
}

template <typename T, int Log2Length>
void launch_one_block_forward(const T* u, const float* k_fwd, const float* k_bwd, const float* D, T* y,
                              FftConvShape shape, float scale, cudaStream_t stream) {
  using B = OneBlock<Log2Length>;
  const auto kernel = one_block_kernel<T, Log2Length, false>;
  allow_one_block_memory<Log2Length>(kernel);
  kernel<<<static_cast<unsigned>(shape.batch * shape.channels), B::threads, B::bytes, stream>>>(u, k_fwd, k_bwd, D, y,
                                                                                                 shape.channels, scale);
  check_launch("one_block_kernel");
}

template <typename T, int Log2Length>
void launch_one_block_backward(const T* u, const float* k_fwd, const float* k_bwd, const float* D, const T* dy, T* du,
                               float* dk_fwd, float* dk_bwd, FftConvShape shape, float scale, cudaStream_t stream) {
  using B = OneBlock<Log2Length>;
  const auto input_gradient = one_block_kernel<T, Log2Length, true>;
  allow_one_block_memory<Log2Length>(input_gradient);
  input_gradient<<<static_cast<unsigned>(shape.batch * shape.channels), B::threads, B::bytes, stream>>>(
      dy, k_fwd, k_bwd, D, du, shape.channels, scale);
  check_launch("one_block_kernel (du)");
  const auto kernel_gradient = one_block_kernel_gradient_kernel<T, Log2Length>;
  allow_one_block_memory<Log2Length>(kernel_gradient);
  kernel_gradient<<<static_cast<unsigned>(shape.channels), B::threads, B::bytes, stream>>>(
      u, dy, dk_fwd, dk_bwd, shape.batch, shape.channels, scale);
  check_launch("one_block_kernel_gradient_kernel");
}

// Calls f(std::integral_constant<int, log2 L>) for a length one_block supports.
template <typename F>
void with_one_block_length(int64_t length, F&& f) {
  switch (log2_of(static_cast<int>(length))) {
    case 10: f(std::integral_constant<int, 10>{}); break;
    case 11: f(std::integral_constant<int, 11>{}); break;
    case 12: f(std::integral_constant<int, 12>{}); break;
    case 13: f(std::integral_constant<int, 13>{}); break;
    default: f(std::integral_constant<int, 14>{}); break;
  }
}

// Grid (chunk pairs, time tiles): for both channels of the pair, dk_fwd = dk2[:L] and
// dk_bwd[m] = dk2[2L - 1 - m].
__global__ void kernel_gradient_kernel(const float2* dk2, float* dk_fwd, float* dk_bwd, Chunk chunk) {
  const int64_t q = blockIdx.x, L = chunk.length;
  const PairChannels pair = pair_channels(chunk, q);
  const float2* in = dk2 + q * chunk.n();
  for (int64_t t = row_start(); t < L; t += row_stride()) {
    const float2 forward = in[t];
    dk_fwd[pair.channel * L + t] = forward.x;
    if (pair.has_second) dk_fwd[(pair.channel + 1) * L + t] = forward.y;
    if (!dk_bwd) continue;
    const float2 backward = in[2 * L - 1 - t];
    dk_bwd[pair.channel * L + t] = backward.x;
    if (pair.has_second) dk_bwd[(pair.channel + 1) * L + t] = backward.y;
  }
}

constexpr int kReduceThreads = 1024;

// One block per channel: dD[c] += sum over batch and time of dy * u, in a fixed order.
template <typename T>
__global__ void skip_gradient_kernel(const T* u, const T* dy, float* dD, int64_t batch, int64_t channels,
                                     int64_t length) {
  const int64_t c = blockIdx.x;
  float sum = 0.0f;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t row = (b * channels + c) * length;
    for (int64_t t = threadIdx.x; t < length; t += blockDim.x) sum += to_float(dy[row + t]) * to_float(u[row + t]);
  }
  const float total = block_sum(sum);
  if (threadIdx.x == 0) dD[c] += total;
}

template <typename T> using Device = typename DeviceType<T>::type;

// How a pass splits the channels: `tensors` activation tensors are transformed per chunk
// (forward: u; backward: dy and u) beside the kernels; the activation block, plus the kernel
// block in the backward pass (`inverse_kernels`), come back through the inverse.
struct Pass {
  int tensors;
  bool inverse_kernels;
  bool split;  // transforms split into a column pass and cuFFT rows (Split); else whole n-point rows
};
constexpr Pass kForwardPass{1, false, true};
constexpr Pass kBackwardPass{2, true, false};

// Whether both passes run one block per row (one_block_kernel; with no batch entries the
// backward's kernel gradient is zero, which the chunked path writes).
bool one_block(FftConvShape s) { return s.batch > 0 && fft_conv_path(s) == FftConvPath::one_block; }

// Whether a forward transforms its split rows itself (own_rows_kernel) rather than with cuFFT.
bool own_rows(FftConvShape s, Pass pass) { return pass.split && fft_conv_path(s) == FftConvPath::own_rows; }

Split forward_split(FftConvShape s) {
  const int64_t n = 2 * s.length;
  return own_rows(s, kForwardPass) ? split_into(n, own_rows_split(n)) : split_of(n);
}

// Packed rows of a chunk of `count` channels through the forward and the inverse transform.
int64_t transform_rows(FftConvShape s, Pass pass, int64_t count) {
  return (pass.tensors * s.batch + 1) * pairs_of(count);
}
int64_t inverse_rows(FftConvShape s, Pass pass, int64_t count) {
  return (s.batch + (pass.inverse_kernels ? 1 : 0)) * pairs_of(count);
}

// Time rows (transform inputs and inverse outputs) and spectra: n = 2L complex values each.
size_t rows_bytes(FftConvShape s, int64_t rows) {
  return align_up(static_cast<size_t>(rows * 2 * s.length) * sizeof(float2));
}

// Channels per chunk: even (whole pairs) unless the chunk holds every channel.
int64_t chunk_channels(FftConvShape s, Pass pass) {
  if (s.channels_per_chunk > 0) return std::min(s.channels_per_chunk, s.channels);
  const size_t per_pair = 2 * rows_bytes(s, transform_rows(s, pass, 2));
  return std::min(2 * std::max<int64_t>(static_cast<int64_t>(kChunkBytes / per_pair), 1), s.channels);
}

// What cuFFT transforms in a pass: rows of `points` values, `per_packed` of them per packed row.
struct RowTransform {
  int64_t points, per_packed;
};
RowTransform row_transform(FftConvShape s, Pass pass) {
  if (!pass.split) return {2 * s.length, 1};
  const Split sp = forward_split(s);
  return {sp.m, sp.s};
}

size_t work_bytes(FftConvShape s, Pass pass, int64_t count) {
  const RowTransform t = row_transform(s, pass);
  return std::max(
      fft_work_bytes(fft_plan(FftDirection::forward, t.points, transform_rows(s, pass, count) * t.per_packed)),
      fft_work_bytes(fft_plan(FftDirection::inverse, t.points, inverse_rows(s, pass, count) * t.per_packed)));
}

// Workspace: spectra, then time rows, then the cuFFT work area, for the largest chunk (a
// shorter last chunk's plans may ask for a different work area: the larger one is kept).
// Own rows need the time rows only.
size_t workspace_bytes(FftConvShape s, Pass pass) {
  if (s.length == 0 || s.channels == 0 || one_block(s)) return 0;
  const int64_t count = chunk_channels(s, pass), last = s.channels % count;
  if (own_rows(s, pass)) return rows_bytes(s, transform_rows(s, pass, count));
  size_t work = work_bytes(s, pass, count);
  if (last != 0) work = std::max(work, work_bytes(s, pass, last));
  return 2 * rows_bytes(s, transform_rows(s, pass, count)) + work;
}

struct Scratch {
  float2* spectra;
  float2* rows;
  void* work_area;
};

Scratch split(void* workspace, FftConvShape s, Pass pass) {
  if (own_rows(s, pass)) return {nullptr, static_cast<float2*>(workspace), nullptr};
  const size_t bytes = rows_bytes(s, transform_rows(s, pass, chunk_channels(s, pass)));
  char* base = static_cast<char*>(workspace);
  return {reinterpret_cast<float2*>(base), reinterpret_cast<float2*>(base + bytes), base + 2 * bytes};
}

// Calls f(chunk) for every chunk of channels, in order.
template <typename F>
void for_each_chunk(FftConvShape s, Pass pass, F&& f) {
  const int64_t count = chunk_channels(s, pass);
  for (int64_t first = 0; first < s.channels; first += count) {
    f(Chunk{s.length, s.batch, s.channels, first, std::min(count, s.channels - first)});
  }
}

}  // namespace

size_t fft_conv_forward_workspace_bytes(FftConvShape shape) { return workspace_bytes(shape, kForwardPass); }
size_t fft_conv_backward_workspace_bytes(FftConvShape shape) { return workspace_bytes(shape, kBackwardPass); }

template <typename T>
void fft_conv_forward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, T* y,
                           FftConvShape shape, void* workspace, cudaStream_t stream) {
  if (shape.length == 0 || shape.channels == 0 || shape.batch == 0) return;
  const auto* u_device = reinterpret_cast<const Device<T>*>(u);
  const float* k_bwd_used = shape.bidirectional ? k_bwd : nullptr;
  const float scale = 1.0f / static_cast<float>(2 * shape.length);
  if (one_block(shape)) {
    with_one_block_length(shape.length, [&](auto log2_length) {
      launch_one_block_forward<Device<T>, decltype(log2_length)::value>(
          u_device, k_fwd, k_bwd_used, D, reinterpret_cast<Device<T>*>(y), shape, scale, stream);
    });
    return;
  }
  const Scratch scratch = split(workspace, shape, kForwardPass);
  const Split sp = forward_split(shape);
  const bool own = own_rows(shape, kForwardPass);
  const bool small = max_radix(sp) <= kSmallRadix;
  const auto columns_kernel = small ? split_columns_kernel<Device<T>, kSmallRadix>
                                    : split_columns_kernel<Device<T>, kLargeRadix>;
  const auto crop_kernel = small ? split_crop_kernel<Device<T>, kSmallRadix>
                                 : split_crop_kernel<Device<T>, kLargeRadix>;
  for_each_chunk(shape, kForwardPass, [&](const Chunk chunk) {
    const int64_t rows = transform_rows(shape, kForwardPass, chunk.count), activation_rows = chunk.activation_rows();
    columns_kernel<<<column_grid(rows, sp), kThreads, column_pass_bytes(sp), stream>>>(
        PadSources<Device<T>>{u_device, nullptr, 1, k_fwd, k_bwd_used}, scratch.rows, chunk, sp);
    check_launch("split_columns_kernel");
    if (own) {
      SPINDLE_CUDA_CHECK(cudaFuncSetAttribute(own_rows_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(kOwnRowsBytes)));
      own_rows_kernel<<<dim3(static_cast<unsigned>(chunk.pairs()), static_cast<unsigned>(sp.s / 2 + 1)), kThreads,
                        kOwnRowsBytes, stream>>>(scratch.rows, D, chunk, sp, scale);
      check_launch("own_rows_kernel");
    } else {
      fft_execute(fft_plan(FftDirection::forward, sp.m, rows * sp.s), scratch.rows, scratch.spectra,
                  scratch.work_area, stream);
      dim3 bins = row_grid(chunk.pairs(), sp.m);
      bins.z = static_cast<unsigned>(sp.s / 2 + 1);
      multiply_kernel<<<bins, kThreads, 0, stream>>>(scratch.spectra, D, chunk, sp, scale);
      check_launch("multiply_kernel");
      fft_execute(fft_plan(FftDirection::inverse, sp.m, activation_rows * sp.s), scratch.spectra, scratch.rows,
                  scratch.work_area, stream);
    }
    crop_kernel<<<column_grid(activation_rows, sp), kThreads, column_pass_bytes(sp), stream>>>(
        scratch.rows, reinterpret_cast<Device<T>*>(y), chunk, sp);
    check_launch("split_crop_kernel");
  });
}

template <typename T>
void fft_conv_backward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, const T* dy, T* du,
                            float* dk_fwd, float* dk_bwd, float* dD, FftConvShape shape, void* workspace,
                            cudaStream_t stream) {
  if (shape.length == 0 || shape.channels == 0) return;
  const auto* u_device = reinterpret_cast<const Device<T>*>(u);
  const auto* dy_device = reinterpret_cast<const Device<T>*>(dy);
  auto* du_device = reinterpret_cast<Device<T>*>(du);
  const float* k_bwd_used = shape.bidirectional ? k_bwd : nullptr;
  float* dk_bwd_used = shape.bidirectional ? dk_bwd : nullptr;
  const float scale = 1.0f / static_cast<float>(2 * shape.length);
  if (one_block(shape)) {
    with_one_block_length(shape.length, [&](auto log2_length) {
      launch_one_block_backward<Device<T>, decltype(log2_length)::value>(
          u_device, k_fwd, k_bwd_used, D, dy_device, du_device, dk_fwd, dk_bwd_used, shape, scale, stream);
    });
  } else {
    const Scratch scratch = split(workspace, shape, kBackwardPass);
    const int width = vector_width(shape.length, {u, dy, du, k_fwd, k_bwd_used});
    for_each_chunk(shape, kBackwardPass, [&](const Chunk chunk) {
      const int64_t rows = transform_rows(shape, kBackwardPass, chunk.count), block = chunk.activation_rows();
      const int64_t n = chunk.n();
      launch_pad(PadSources<Device<T>>{dy_device, u_device, 2, k_fwd, k_bwd_used}, scratch.rows, chunk, rows, width,
                 stream);
      fft_execute(fft_plan(FftDirection::forward, n, rows), scratch.rows, scratch.spectra, scratch.work_area, stream);
      backward_spectra_kernel<<<row_grid(chunk.pairs(), chunk.length + 1), kThreads, 0, stream>>>(scratch.spectra,
                                                                                                  D, chunk, scale);
      check_launch("backward_spectra_kernel");
      // du's and dk2's spectra (the u and kernel blocks) are adjacent: one inverse for both,
      // into the same rows of the time buffer.
      fft_execute(fft_plan(FftDirection::inverse, n, block + chunk.pairs()), scratch.spectra + block * n,
                  scratch.rows + block * n, scratch.work_area, stream);
      if (block > 0) launch_crop(scratch.rows + block * n, du_device, chunk, block, width, stream);
      kernel_gradient_kernel<<<row_grid(chunk.pairs(), chunk.length), kThreads, 0, stream>>>(
          scratch.rows + 2 * block * n, dk_fwd, dk_bwd_used, chunk);
      check_launch("kernel_gradient_kernel");
    });
  }
  if (dD && shape.batch > 0) {
    skip_gradient_kernel<<<static_cast<unsigned>(shape.channels), kReduceThreads, 0, stream>>>(
        u_device, dy_device, dD, shape.batch, shape.channels, shape.length);
    check_launch("skip_gradient_kernel");
  }
}

#define SPINDLE_INSTANTIATE(T)                                                                                   \
  template void fft_conv_forward_cuda<T>(const T*, const float*, const float*, const float*, T*, FftConvShape,   \
                                         void*, cudaStream_t);                                                   \
  template void fft_conv_backward_cuda<T>(const T*, const float*, const float*, const float*, const T*, T*,      \
                                          float*, float*, float*, FftConvShape, void*, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
