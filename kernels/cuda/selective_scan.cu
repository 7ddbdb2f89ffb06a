// Chunked selective scan on CUDA (see kernels/selective_scan.h for the math and phases).
//
// Forward: phase 1 scans each segment (consecutive chunks of kChunk steps) from a zero state
// (ForwardLayout: two threads per channel at d_state 16, each with a run of consecutive
// states in registers; the next chunk's inputs are staged in shared memory while one is
// scanned); phase 2 folds the segment summaries in order into each segment's true start
// state (a warp scan over segments per channel and state); phase 3 rescans each segment
// from its start state and writes the output, and where asked saves the state before every
// kScanSavedChunks-th chunk. Backward, over segments of kScanSavedChunks chunks: per segment
// the adjoint back from a zero carry at its end (kept for every chunk), a fold of the
// segments' from the other end, then per segment a rescan from the saved state (the next
// chunk's inputs staged in shared memory meanwhile) for every gradient; without saved states
// the forward runs first for them.
// All sums run in a fixed order: results are identical run to run.
#include <cuda_bf16.h>

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/cuda/scratch.h"
#include "kernels/selective_scan.h"

namespace spindle::kernels {
namespace {

constexpr int kChunk = kScanChunk;
constexpr int kRow = kChunk + 1;  // padded tile row: threads reading one column hit distinct banks
constexpr int kChannelsPerBlock = 64;
constexpr int kSplit = 4;  // threads per channel in the per-channel kernels, each with 1/kSplit of the states
constexpr int kChannelThreads = kChannelsPerBlock * kSplit;
// The forward's kernels (phases 1 and 3) give a thread 8 of a channel's states (all of them
// up to 8, a quarter at 64): at d_state 16 two threads per channel, half the backward's
// kSplit, so y's reduce-scatter takes one shuffle per two steps and the B and C a thread
// loads per step serve 8 states. On the H200 this forward is 8-10% faster than with kSplit;
// one thread per channel (16 states) was 38% slower: its registers and shared memory let too
// few warps onto a multiprocessor (docs/performance.md, scan attempt 17). The backward's
// kernels hold more per state and keep kSplit.
template <int kN>
struct ForwardLayout {
  static constexpr int kPer = kN <= 8 ? kN : (kN <= 32 ? 8 : kN / 4);
  static constexpr int kSplit = kN / kPer;
  static constexpr int kThreads = kChannelsPerBlock * kSplit;
};
constexpr float kLog2e = 1.4426950408889634f;
constexpr const char* kWorkspace = "selective scan workspace";

template <typename T> using Dev = typename DeviceType<T>::type;

// 2^x on the special-function unit, results below the normal range flushed to zero (a decay
// that small is zero to float precision anyway); exp2f adds denormal handling around it.
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// 1 / x on the special-function unit (0 for x = inf), without __fdividef's range handling.
__device__ __forceinline__ float fast_reciprocal(float x) {
  float y;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
// sigmoid(x) = 1 / (1 + 2^(-x log2 e)): 0 where the exponential overflows, 1 where it flushes.
// The same as fast_sigmoid but below x = -87, where both are under 1e-37, and without its
// branches for the range.
__device__ __forceinline__ float sigmoid_approx(float x) { return fast_reciprocal(1.0f + fast_exp2(-x * kLog2e)); }

// softplus(x) = max(x, 0) + log(1 + v), v = e^-|x| in (0, 1]: the exponential on the
// special-function unit, log(1 + v) = v P(v) on the FMA pipes with P a degree-7 minimax fit of
// log(1 + v) / v on [0, 1] (relative error under 4e-7 in float). Taking log2(1 + v) from the
// unit as well would occupy it twice per element, and the forward's phases are bound by it.
__device__ __forceinline__ float softplus(float x) {
  const float v = fast_exp2(-fabsf(x) * kLog2e);
  float p = -8.538512513e-03f;
  p = fmaf(p, v, 4.408692941e-02f);
  p = fmaf(p, v, -1.076775193e-01f);
  p = fmaf(p, v, 1.774491072e-01f);
  p = fmaf(p, v, -2.449532300e-01f);
  p = fmaf(p, v, 3.327544928e-01f);
  p = fmaf(p, v, -4.999740124e-01f);
  p = fmaf(p, v, 9.999998212e-01f);
  return fmaf(v, p, fmaxf(x, 0.0f));
}
// d softplus(x) / dx = sigmoid(x) = 1 - e^-softplus(x), from dt = softplus(x): below dt = 1/16
// a series (truncation under 2e-9 relative; 1 - e^-dt would lose bits there).
__device__ __forceinline__ float softplus_slope(float dt) {
  const float series = dt * (1.0f - dt * (0.5f - dt * (1.0f / 6.0f - dt * (1.0f / 24.0f - dt * (1.0f / 120.0f)))));
  return dt < 0.0625f ? series : 1.0f - __expf(-dt);
}
// A step's dt from its raw value delta + delta_bias.
__device__ __forceinline__ float dt_of(float raw, bool use_softplus) { return use_softplus ? softplus(raw) : raw; }

// The steps of chunk c occupy the contiguous times [first, first + count). In reverse
// direction step i of the chunk is time first + count - 1 - i.
//
// In shared-memory tiles step t of a chunk sits in column t (kChunk - 1 - t in reverse), so
// that every column is a compile-time constant in the unrolled step loops: time first + i is
// column shift + i, and the columns of steps past a short chunk's end hold zeros (dt = 0
// leaves a state unchanged, and zero inputs add nothing), so no step needs a bounds check.
struct Chunk {
  int64_t first;
  int count;
  int shift;  // tile column of time `first`
};

__device__ __forceinline__ Chunk chunk_of(int64_t c, int64_t length, bool reverse) {
  const int64_t s0 = c * kChunk, s1 = min(length, s0 + kChunk);
  const int count = static_cast<int>(s1 - s0);
  return {reverse ? length - s1 : s0, count, reverse ? kChunk - count : 0};
}

template <bool kReverse>
__device__ __forceinline__ constexpr int step_column(int step) {
  return kReverse ? kChunk - 1 - step : step;
}

// The time offset (from first) of tile column `column`, or -1 past the chunk's end.
__device__ __forceinline__ int column_time(int column, Chunk ch) {
  const int i = column - ch.shift;
  return i >= 0 && i < ch.count ? i : -1;
}

// Calls f(r, column) for every tile entry holding chunk data (rows r < rows), spread over
// the block's threads; the index split is by constants.
template <typename F>
__device__ __forceinline__ void for_each_data_entry(int rows, Chunk ch, F f) {
  for (int k = threadIdx.x; k < rows * kChunk; k += blockDim.x) {
    const int column = k % kChunk;
    if (column_time(column, ch) >= 0) f(k / kChunk, column);
  }
}

// Whether a full chunk of every row can move in 16-byte vectors.
template <typename T>
__device__ __forceinline__ bool vector_rows(const T* x, int64_t length, Chunk ch) {
  constexpr int kVec = 16 / sizeof(T);
  return ch.count == kChunk && length % kVec == 0 && ch.first % kVec == 0 &&
         reinterpret_cast<uintptr_t>(x) % 16 == 0;
}

// tile[r][shift + i] = x[row0 + r][first + i] for r < rows (zero beyond `valid` rows and in
// the columns past the chunk's end).
template <typename T>
__device__ void load_rows(float* tile, const T* x, int64_t row0, int rows, int valid, int64_t length, Chunk ch) {
  constexpr int kVec = 16 / sizeof(T), kPerRow = kChunk / kVec;
  if (vector_rows(x, length, ch)) {
    for (int k = threadIdx.x; k < rows * kPerRow; k += blockDim.x) {
      const int r = k / kPerRow, v = k % kPerRow;
      uint4 raw = make_uint4(0, 0, 0, 0);
      if (r < valid) raw = *reinterpret_cast<const uint4*>(x + (row0 + r) * length + ch.first + v * kVec);
      const T* parts = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int e = 0; e < kVec; ++e) tile[r * kRow + v * kVec + e] = to_float(parts[e]);
    }
    return;
  }
  for (int k = threadIdx.x; k < rows * kChunk; k += blockDim.x) {
    const int r = k / kChunk, column = k % kChunk, i = column_time(column, ch);
    tile[r * kRow + column] = r < valid && i >= 0 ? to_float(x[(row0 + r) * length + ch.first + i]) : 0.0f;
  }
}

// x[row0 + r][first + i] = value(r, shift + i) (row, tile column) for rows r < valid of a
// chunk, in 16-byte vectors where the chunk allows.
template <typename T, typename Value>
__device__ void store_chunk_rows(T* x, int64_t row0, int valid, int64_t length, Chunk ch, Value value) {
  constexpr int kVec = 16 / sizeof(T), kPerRow = kChunk / kVec;
  if (vector_rows(x, length, ch)) {
    for (int k = threadIdx.x; k < valid * kPerRow; k += blockDim.x) {
      const int r = k / kPerRow, v = k % kPerRow;
      uint4 raw;
      T* parts = reinterpret_cast<T*>(&raw);
#pragma unroll
      for (int e = 0; e < kVec; ++e) parts[e] = from_float<T>(value(r, v * kVec + e));
      *reinterpret_cast<uint4*>(x + (row0 + r) * length + ch.first + v * kVec) = raw;
    }
    return;
  }
  for_each_data_entry(valid, ch, [&](int r, int column) {
    x[(row0 + r) * length + ch.first + column - ch.shift] = from_float<T>(value(r, column));
  });
}

template <typename T>
__device__ void store_rows(const float* tile, T* x, int64_t row0, int valid, int64_t length, Chunk ch,
                           int stride = kRow) {
  store_chunk_rows(x, row0, valid, length, ch,
                   [tile, stride](int r, int column) { return tile[r * stride + column]; });
}

// bc[shift + i][n] = x[b][n][first + i] (time-major, so every channel thread reads it by
// broadcast). Rows n >= state and columns past the chunk's end are zero: threads computing
// padding states then contribute nothing.
template <typename T, int kN>
__device__ void load_state_inputs(float* bc, const T* x, int64_t b, int64_t state, int64_t length, Chunk ch) {
  for (int k = threadIdx.x; k < kN * kChunk; k += blockDim.x) {
    const int n = k / kChunk, column = k % kChunk, i = column_time(column, ch);
    bc[column * kN + n] = n < state && i >= 0 ? to_float(x[(b * state + n) * length + ch.first + i]) : 0.0f;
  }
}

// v[k] = run[k] for k < kCount, in 16- or 8-byte shared-memory loads where kCount allows
// (the per-channel kernels place every run at a multiple of its vector width).
template <int kCount>
__device__ __forceinline__ void load_run(float (&v)[kCount], const float* run) {
  if constexpr (kCount % 4 == 0) {
#pragma unroll
    for (int k = 0; k < kCount; k += 4) {
      const float4 x = *reinterpret_cast<const float4*>(run + k);
      v[k] = x.x, v[k + 1] = x.y, v[k + 2] = x.z, v[k + 3] = x.w;
    }
  } else if constexpr (kCount % 2 == 0) {
#pragma unroll
    for (int k = 0; k < kCount; k += 2) {
      const float2 x = *reinterpret_cast<const float2*>(run + k);
      v[k] = x.x, v[k + 1] = x.y;
    }
  } else {
#pragma unroll
    for (int k = 0; k < kCount; ++k) v[k] = run[k];
  }
}

// Shared memory of the per-channel kernels: `tiles` channel tiles and `state_tiles`
// time-major state tiles (B, C) of kN columns. Every tile starts at a multiple of 16 bytes.
template <int kN>
constexpr size_t channel_kernel_bytes(int tiles, int state_tiles) {
  static_assert(kChannelsPerBlock * kRow % 4 == 0 && kN % 4 == 0, "16-byte aligned tiles");
  return (static_cast<size_t>(tiles) * kChannelsPerBlock * kRow + static_cast<size_t>(state_tiles) * kChunk * kN) *
         sizeof(float);
}
// chunk_adjoints' (dt, dout, z; C), for the launch and the occupancy query alike.
template <int kN> constexpr size_t kChunkAdjointsBytes = channel_kernel_bytes<kN>(3, 1);

// dt tile from delta: softplus(delta + bias) where asked (columns past the chunk's end stay
// zero).
__device__ void delta_to_dt(float* tile, int rows, Chunk ch, const float* bias, int64_t d0, int64_t channels,
                            bool use_softplus) {
  for_each_data_entry(rows, ch, [&](int r, int column) {
    if (d0 + r >= channels) return;
    const int at = r * kRow + column;
    tile[at] = dt_of(tile[at] + (bias ? bias[d0 + r] : 0.0f), use_softplus);
  });
}

// Summaries per segment of segment_chunks consecutive chunks (the backward's: the adjoint
// flowing out of the segment).
struct Workspace {
  float* chunk_state;  // [batch][chunks][channels][state]: state (adjoint) reached over the segment from zero
  float* chunk_dt;     // [batch][chunks][channels]: sum of dt over the segment
  int64_t chunks;      // segments
  int64_t segment_chunks = 1;
  float* dt_rows = nullptr;  // forward, [batch][channels][length]: dt from phase 1 for phase 3 (null: one segment)
};

// The chunks [first, end) of segment `segment`, in scan order.
struct SegmentChunks {
  int64_t first, end;
};

__device__ __forceinline__ SegmentChunks segment_chunks(int64_t segment, const Workspace& w, int64_t length) {
  const int64_t chunks = selective_scan_chunks(length), first = segment * w.segment_chunks;
  return {first, min(chunks, first + w.segment_chunks)};
}

__device__ __forceinline__ int64_t chunk_index(int64_t b, int64_t c, int64_t d, const ScanShape& s, int64_t chunks) {
  return (b * chunks + c) * s.channels + d;
}

// Where a per-channel kernel's block and thread sit: the block walks the chunks of segment
// `segment` (of w) for channels d0 .. d0 + valid - 1 of batch entry b (rows row0 ..); the
// thread holds run `part` (of kSplitOf) of the states of tile row r, channel d. Inactive
// threads (r >= valid) take channel d0 and still load tiles, meet the barriers and join the
// shuffles. Taken apart with a structured binding at each kernel's start.
struct ChannelBlock {
  int64_t segment, d0, b;
  SegmentChunks chunks;
  int valid;
  int64_t row0;
  int r, part;
  bool active;
  int64_t d;
};

__device__ __forceinline__ ChannelBlock channel_block(const Workspace& w, const ScanShape& s, int split) {
  const int64_t segment = blockIdx.x, d0 = static_cast<int64_t>(blockIdx.y) * kChannelsPerBlock, b = blockIdx.z;
  const int valid = static_cast<int>(min(static_cast<int64_t>(kChannelsPerBlock), s.channels - d0));
  const int r = threadIdx.x / split;
  return {segment, d0, b, segment_chunks(segment, w, s.length), valid, b * s.channels + d0, r,
          static_cast<int>(threadIdx.x) % split, r < valid, d0 + (r < valid ? r : 0)};
}

// Thread `part` of a channel in the per-channel kernels holds states part * kPer .. + kPer - 1
// (consecutive: B and C come in vector loads). Their A (scaled for exp2) and, from `from`
// (zero when null), their values.
template <int kPer>
__device__ __forceinline__ void load_channel_states(float (&A)[kPer], float (&values)[kPer], const float* A_in,
                                                    const float* from, int64_t d, int part, const ScanShape& s) {
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    const int n = part * kPer + k;
    A[k] = n < s.state ? A_in[d * s.state + n] * kLog2e : 0.0f;
    values[k] = from && n < s.state ? from[n] : 0.0f;
  }
}

template <int kPer>
__device__ __forceinline__ void store_channel_states(const float (&values)[kPer], float* to, int part,
                                                     const ScanShape& s) {
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    const int n = part * kPer + k;
    if (n < s.state) to[n] = values[k];
  }
}

// 16-byte asynchronous copy from global to shared memory (cp.async, through L2 only); with
// src_bytes 0 nothing is read and the 16 bytes are zero-filled.
__device__ __forceinline__ void copy_async_16(void* shared_dst, const void* src, int src_bytes) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void commit_async_copies() { asm volatile("cp.async.commit_group;" ::: "memory"); }
// This thread's committed copies have landed (and are visible to it).
__device__ __forceinline__ void wait_async_copies() { asm volatile("cp.async.wait_group 0;" ::: "memory"); }

// Programmatic dependent launch: a kernel launched by launch_after_previous may start while
// the previous kernel on its stream is still running, and waits here before reading anything
// that kernel or an earlier one wrote (a no-op in a kernel launched plainly). allow_dependents
// lets the next such kernel start early: its blocks take what multiprocessors this kernel's
// last blocks leave free, and still wait for this kernel to finish. Before sm_90 there is no
// such launch: both are no-ops there, and the launch attribute is ignored.
__device__ __forceinline__ void wait_for_previous_grid() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_dependents() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

// One chunk's inputs staged in shared memory while the previous chunk is scanned: kTiles
// per-channel tiles (64 channels x kChunk steps) and kStateTiles B/C tiles (kN x kChunk), in
// 16-byte vectors, spread over kThreads threads. Only chunks whose every row moves in vectors
// (vector_rows) take this path; the others load synchronously. stage issues asynchronous
// copies, each thread into its own slots; unstage (after wait_async_copies) reads each
// thread's back into registers, so no barrier is needed; store converts them into the tiles.
template <typename T, int kN, int kTiles, int kStateTiles, int kThreads = kChannelThreads>
struct ChunkPrefetch {
  static constexpr int kVec = 16 / sizeof(T), kPerRow = kChunk / kVec;
  static constexpr int kRowVectors = kChannelsPerBlock * kPerRow / kThreads;
  static constexpr int kStateVectors = (kN * kPerRow + kThreads - 1) / kThreads;
  static_assert(kChannelsPerBlock * kPerRow % kThreads == 0, "whole vectors per thread");
  static_assert(kTiles >= 1 && kStateTiles >= 1, "dt and B at least");
  uint4 rows[kTiles][kRowVectors];
  uint4 states[kStateTiles][kStateVectors];
  // Shared-memory slots for stage / unstage: per tile, one per (row, vector); per B/C tile, one
  // per (state, vector).
  static constexpr int row_slots() { return kChannelsPerBlock * kPerRow; }
  static constexpr int state_slots() { return kN * kPerRow; }
  static constexpr size_t staged_bytes() {
    return (static_cast<size_t>(kTiles) * row_slots() + kStateTiles * state_slots()) * sizeof(uint4);
  }

  __device__ static void stage(uint4* slots, const T* const (&tiles)[kTiles],
                               const T* const (&state_tiles)[kStateTiles], int64_t row0, int valid, int64_t b,
                               int64_t state, int64_t length, Chunk ch) {
    const T* any = state_tiles[0];  // a valid address for the zero-filled copies (nothing read)
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kRowVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, r = q / kPerRow, v = q % kPerRow;
        const bool real = tiles[t] && r < valid;
        copy_async_16(slots + t * row_slots() + q, real ? tiles[t] + (row0 + r) * length + ch.first + v * kVec : any,
                      real ? 16 : 0);
      }
    }
#pragma unroll
    for (int t = 0; t < kStateTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kStateVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, n = q / kPerRow, v = q % kPerRow;
        if (q >= state_slots()) continue;
        const bool real = n < state;
        copy_async_16(slots + kTiles * row_slots() + t * state_slots() + q,
                      real ? state_tiles[t] + (b * state + n) * length + ch.first + v * kVec : any, real ? 16 : 0);
      }
    }
  }

  __device__ void unstage(const uint4* slots) {
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kRowVectors; ++m) rows[t][m] = slots[t * row_slots() + threadIdx.x + m * kThreads];
    }
#pragma unroll
    for (int t = 0; t < kStateTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kStateVectors; ++m) {
        const int q = threadIdx.x + m * kThreads;
        states[t][m] = q < state_slots() ? slots[kTiles * row_slots() + t * state_slots() + q] : make_uint4(0, 0, 0, 0);
      }
    }
  }

  // Writes the loaded chunk into the float tiles (per-channel tiles: row stride kRow; B/C
  // tiles time-major); tile 0 is delta and becomes dt = softplus(delta + bias), also written
  // to dt_rows (row r at dt_rows + r * length: the chunk's start in its first row) when given.
  // kDtBySelect: delta -> dt by a select, softplus evaluated in every row, instead of a branch
  // per element. Phase 1 at d_state 16 (bf16) takes it: 3% fewer instructions, no spill, 1-2%
  // faster (docs/performance.md, scan attempt 27). Elsewhere it costs registers: 72 -> 107 in
  // chunk_outputs_kernel (four blocks per multiprocessor, not five), 130 -> 180 in phase 1 at
  // d_state 8.
  template <bool kDtBySelect = false>
  __device__ void store(float* const (&tile)[kTiles], float* const (&state_tile)[kStateTiles], const float* bias,
                        int64_t d0, int64_t channels, bool use_softplus, float* dt_rows = nullptr,
                        int64_t length = 0) const {
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kRowVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, r = q / kPerRow, v = q % kPerRow;
        const T* parts = reinterpret_cast<const T*>(&rows[t][m]);
        const bool to_dt = t == 0 && d0 + r < channels, soften = to_dt && use_softplus;
        const float add = to_dt && bias ? bias[d0 + r] : 0.0f;
        float x[kVec];
#pragma unroll
        for (int e = 0; e < kVec; ++e) {
          x[e] = to_float(parts[e]);
          if (kDtBySelect && t == 0) {  // rows past the channels keep delta (add is 0 there)
            const float raw = x[e] + add, soft = softplus(raw);
            x[e] = soften ? soft : raw;
          } else if (to_dt) {
            x[e] = dt_of(x[e] + add, use_softplus);
          }
          tile[t][r * kRow + v * kVec + e] = x[e];
        }
        if (to_dt && dt_rows) {
          float4* row = reinterpret_cast<float4*>(dt_rows + r * length + v * kVec);
#pragma unroll
          for (int e = 0; e < kVec; e += 4) row[e / 4] = make_float4(x[e], x[e + 1], x[e + 2], x[e + 3]);
        }
      }
    }
#pragma unroll
    for (int t = 0; t < kStateTiles; ++t) {
#pragma unroll
      for (int m = 0; m < kStateVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, n = q / kPerRow, v = q % kPerRow;
        if (q >= kN * kPerRow) continue;
        const T* parts = reinterpret_cast<const T*>(&states[t][m]);
#pragma unroll
        for (int e = 0; e < kVec; ++e) state_tile[t][(v * kVec + e) * kN + n] = to_float(parts[e]);
      }
    }
  }
};

// Whether chunk ch of every given input moves in 16-byte vectors.
template <typename T, int kCount>
__device__ __forceinline__ bool vector_chunk(const T* const (&inputs)[kCount], int64_t length, Chunk ch) {
  bool all = true;
#pragma unroll
  for (int k = 0; k < kCount; ++k) all = all && (inputs[k] == nullptr || vector_rows(inputs[k], length, ch));
  return all;
}

// Advances a thread's kPer states (run `part`, A scaled for exp2) over one chunk of tiles:
// h = e^(dt A) h + dt u B per step. dt_row and u_row are the channel's tile rows. Returns the
// chunk's dt sum.
template <int kN, int kPer, bool kReverse>
__device__ __forceinline__ float advance_over_chunk(float (&h)[kPer], const float (&A)[kPer], const float* dt_row,
                                                    const float* u_row, const float* b_tile, int part) {
  float dt_sum = 0.0f;
#pragma unroll
  for (int t = 0; t < kChunk; ++t) {
    const int j = step_column<kReverse>(t);
    const float dt = dt_row[j], dtu = dt * u_row[j];
    float Bn[kPer];
    load_run(Bn, b_tile + j * kN + part * kPer);
    dt_sum += dt;
#pragma unroll
    for (int k = 0; k < kPer; ++k) h[k] = fast_exp2(dt * A[k]) * h[k] + dtu * Bn[k];
  }
  return dt_sum;
}

// One step of a thread's kPer states (A scaled for exp2; B and C runs in shared memory):
// h = e^(dt A) h + dt u B; returns their share of y = C h.
template <int kPer>
__device__ __forceinline__ float advance_step(float (&h)[kPer], const float (&A)[kPer], float dt, float dtu,
                                              const float* b_run, const float* c_run) {
  float Bn[kPer], Cn[kPer];
  load_run(Bn, b_run);
  load_run(Cn, c_run);
  float y = 0.0f;
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    h[k] = fast_exp2(dt * A[k]) * h[k] + dtu * Bn[k];
    y += Cn[k] * h[k];
  }
  return y;
}

// The forward kernels' next chunk, staged in shared memory by asynchronous copies while one
// is scanned (each thread copies and later reads back its own slots: no barrier for the
// staging); a chunk that cannot move in vectors is loaded when its turn comes.
template <typename T, int kN, int kTiles, int kStateTiles>
struct ForwardStaging {
  using Staged = ChunkPrefetch<T, kN, kTiles, kStateTiles, ForwardLayout<kN>::kThreads>;
  const T* const (&tiles)[kTiles];
  const T* const (&state_tiles)[kStateTiles];
  uint4* slots;
  bool staged = false;

  __device__ void fetch(int64_t c, const ScanShape& s, const ScanOptions& o, int64_t row0, int valid, int64_t b) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    staged = vector_chunk(tiles, s.length, ch) && vector_chunk(state_tiles, s.length, ch);
    if (!staged) return;
    Staged::stage(slots, tiles, state_tiles, row0, valid, b, s.state, s.length, ch);
    commit_async_copies();
  }

  // Fills the tiles with chunk ch (dt from delta), from the staged copies where fetch made
  // them; the caller synchronizes the block afterwards.
  template <bool kDtBySelect = false>
  __device__ void fill(float* const (&tile_of)[kTiles], float* const (&state_tile_of)[kStateTiles], Chunk ch,
                       const ScanCudaInputs<T>& in, const ScanShape& s, const ScanOptions& o, int64_t d0,
                       int64_t row0, int valid, int64_t b, float* dt_rows = nullptr) const {
    if (staged) {
      wait_async_copies();
      Staged chunk;
      chunk.unstage(slots);
      chunk.template store<kDtBySelect>(tile_of, state_tile_of, in.delta_bias, d0, s.channels, o.softplus,
                                        dt_rows ? dt_rows + row0 * s.length + ch.first : nullptr, s.length);
      return;
    }
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
      if (tiles[t]) load_rows(tile_of[t], tiles[t], row0, kChannelsPerBlock, valid, s.length, ch);
    }
#pragma unroll
    for (int t = 0; t < kStateTiles; ++t) {
      load_state_inputs<T, kN>(state_tile_of[t], state_tiles[t], b, s.state, s.length, ch);
    }
    __syncthreads();
    delta_to_dt(tile_of[0], kChannelsPerBlock, ch, in.delta_bias, d0, s.channels, o.softplus);
  }
};

// Shared memory of the forward kernels: their tiles, then the staged next chunk. chunk_states
// (dt, u; B), chunk_outputs (dt, u, z; B, C).
template <typename T, int kN>
constexpr size_t kChunkStatesBytes =
    channel_kernel_bytes<kN>(2, 1) + ForwardStaging<T, kN, 2, 1>::Staged::staged_bytes();
template <typename T, int kN>
constexpr size_t kChunkOutputsBytes =
    channel_kernel_bytes<kN>(3, 2) + ForwardStaging<T, kN, 3, 2>::Staged::staged_bytes();

// Phase 1: the state each channel reaches over each segment from zero, and the segment's dt
// sum; with w.dt_rows, each step's dt for phase 3. At d_state 16 (bf16) registers are held to eight
// blocks per multiprocessor, which the shared memory allows (unbounded, writing dt takes 71:
// seven; held at 64 it spilled one value per chunk until delta -> dt became a select there).
template <typename T, int kN, bool kReverse>
__global__ void __launch_bounds__(ForwardLayout<kN>::kThreads, kN == 16 && sizeof(T) == 2 ? 8 : 0)
    chunk_states_kernel(ScanCudaInputs<T> in, ScanShape s, ScanOptions o, Workspace w) {
  using Layout = ForwardLayout<kN>;
  constexpr int kPer = Layout::kPer;
  extern __shared__ float shared[];
  float* dt_tile = shared;
  float* u_tile = dt_tile + kChannelsPerBlock * kRow;
  float* b_tile = u_tile + kChannelsPerBlock * kRow;
  const T* const tiles[2] = {in.delta, in.u};
  const T* const state_tiles[1] = {in.B};
  float* const tile_of[2] = {dt_tile, u_tile};
  float* const state_tile_of[1] = {b_tile};
  ForwardStaging<T, kN, 2, 1> next{tiles, state_tiles, reinterpret_cast<uint4*>(b_tile + kChunk * kN)};
  const auto [segment, d0, b, chunks, valid, row0, r, part, active, d] = channel_block(w, s, Layout::kSplit);
  allow_dependents();  // the fold's blocks may wait on multiprocessors this kernel's last blocks leave
  float A[kPer], h[kPer];
  load_channel_states(A, h, in.A, nullptr, d, part, s);
  float dt_sum = 0.0f;
  next.fetch(chunks.first, s, o, row0, valid, b);
  for (int64_t c = chunks.first; c < chunks.end; ++c) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    __syncthreads();  // the previous chunk's tiles are no longer read
    const bool staged = next.staged;  // a staged chunk writes its dt rows as it converts them
    next.template fill<kN == 16 && sizeof(T) == 2>(tile_of, state_tile_of, ch, in, s, o, d0, row0, valid, b, w.dt_rows);
    if (c + 1 < chunks.end) next.fetch(c + 1, s, o, row0, valid, b);
    __syncthreads();
    if (w.dt_rows && !staged) store_rows(dt_tile, w.dt_rows, row0, valid, s.length, ch);
    if (!active) continue;
    dt_sum += advance_over_chunk<kN, kPer, kReverse>(h, A, dt_tile + r * kRow, u_tile + r * kRow, b_tile, part);
  }
  if (!active) return;
  const int64_t at = chunk_index(b, segment, d, s, w.chunks);
  if (part == 0) w.chunk_dt[at] = dt_sum;
  store_channel_states(h, w.chunk_state + at * s.state, part, s);
}

// What a fold writes: the value after the last chunk and the product of every chunk's
// multiplier, exp(A x the whole dt sum) (each when not null); with write_back, each chunk's
// summary replaced by the value before the chunk (without, the summaries stay for another
// fold).
struct FoldOutputs {
  float* final_value = nullptr;
  float* final_decay = nullptr;
  bool write_back = true;
};

constexpr int kFoldRuns = 16;   // warps per fold block, each over its own run of chunks
constexpr int kFoldBatch = 8;   // chunks whose loads are issued together
constexpr int kFoldThreads = 32 * kFoldRuns;

// The maps of kFoldBatch consecutive chunks of a fold run (the identity past the first n
// unless kWhole): multiplier 2^(a dt sum) (a is A log2 e) and summary, from the chunks'
// summaries at q_at and dt sums at dt_at, each the given step apart. Whole batches, the rule,
// carry no predicate, and each address is the previous one plus the step.
template <bool kWhole>
__device__ __forceinline__ void load_fold_batch(const float* q_at, int64_t q_step, const float* dt_at,
                                                int64_t dt_step, float a, int n, float (&p)[kFoldBatch],
                                                float (&q)[kFoldBatch]) {
#pragma unroll
  for (int k = 0; k < kFoldBatch; ++k, q_at += q_step, dt_at += dt_step) {
    const bool in_run = kWhole || k < n;
    p[k] = in_run ? fast_exp2(a * *dt_at) : 1.0f;
    q[k] = in_run ? *q_at : 0.0f;
  }
}

// Phases 2 and B2: folds the chunk summaries in chunk order (from the last chunk with
// from_end). Chunk c maps the running value x to exp(A dt_sum_c) x + summary_c; the value
// starts at `initial` (zero when null); `out` says what is written. Forward this turns
// states from zero into true start states (h0 -> h_final); backward, adjoint outflows into
// the adjoint flowing into each chunk (dh_final -> dh0).
// One block per 32 (channel, state) pairs of one batch entry (a warp's lanes: a chunk's
// summaries of them are one 128-byte row); its kFoldRuns warps split the chunks into runs
// of consecutive ones (in fold order). Each thread composes its run's maps, the runs'
// compositions are applied from `initial` in run order through shared memory, and each thread
// walks its run again from that start, writing the value before each chunk, with kFoldBatch
// loads in flight ahead of the chain through the value. At L 131,072 (512 segments) about 1.2
// warp instructions per (pair, chunk) (2.1 with a predicate and an address product per load),
// against 3.5 for a warp-wide scan per pair (ncu, H100).
__global__ void __launch_bounds__(kFoldThreads, 2) fold_chunks_kernel(const float* A, const float* initial,
                                                                      ScanShape s, Workspace w, bool from_end,
                                                                      FoldOutputs out) {
  __shared__ float run_p[kFoldRuns][32], run_q[kFoldRuns][32];
  const int64_t pairs = s.channels * s.state, b = blockIdx.y;
  const int lane = threadIdx.x % 32, run = threadIdx.x / 32;
  const int64_t pair = static_cast<int64_t>(blockIdx.x) * 32 + lane;
  const bool real = pair < pairs;
  const int64_t per_run = (w.chunks + kFoldRuns - 1) / kFoldRuns, first = run * per_run;
  const int count = real ? static_cast<int>(max(min(first + per_run, w.chunks) - first, int64_t{0})) : 0;
  // The run's first chunk (in fold order) and the steps to the next one in the summaries
  // ([chunk][pair]) and the dt sums ([chunk][channel]).
  const int64_t c0 = count == 0 ? 0 : from_end ? w.chunks - 1 - first : first, direction = from_end ? -1 : 1;
  float* const summaries = w.chunk_state + (b * w.chunks + c0) * pairs + (real ? pair : 0);
  const float* const dt_sums = w.chunk_dt + (b * w.chunks + c0) * s.channels + (real ? pair / s.state : 0);
  const int64_t q_step = direction * pairs, dt_step = direction * s.channels;
  wait_for_previous_grid();
  allow_dependents();
  const float a = real ? A[pair] * kLog2e : 0.0f;
  // The multipliers and summaries of the run's chunks i0 .. i0 + kFoldBatch - 1 (the identity
  // map past its end).
  auto load_batch = [&](int i0, float (&p)[kFoldBatch], float (&q)[kFoldBatch]) {
    const float* q_at = summaries + i0 * q_step;
    const float* dt_at = dt_sums + i0 * dt_step;
    if (count - i0 >= kFoldBatch) {
      load_fold_batch<true>(q_at, q_step, dt_at, dt_step, a, kFoldBatch, p, q);
    } else {
      load_fold_batch<false>(q_at, q_step, dt_at, dt_step, a, count - i0, p, q);
    }
  };
  float P = 1.0f, Q = 0.0f;  // the run's map x -> P x + Q
  for (int i0 = 0; i0 < count; i0 += kFoldBatch) {
    float p[kFoldBatch], q[kFoldBatch];
    load_batch(i0, p, q);
#pragma unroll
    for (int k = 0; k < kFoldBatch; ++k) Q = p[k] * Q + q[k], P *= p[k];
  }
  run_p[run][lane] = P, run_q[run][lane] = Q;
  float h = initial && real ? initial[b * pairs + pair] : 0.0f;  // before the barrier: initial may be final_value
  __syncthreads();
  for (int k = 0; k < run; ++k) h = run_p[k][lane] * h + run_q[k][lane];
  if (run == kFoldRuns - 1 && real) {
    if (out.final_value) out.final_value[b * pairs + pair] = P * h + Q;
    if (out.final_decay) {
      float decay = 1.0f;
      for (int k = 0; k < kFoldRuns; ++k) decay *= run_p[k][lane];
      out.final_decay[b * pairs + pair] = decay;
    }
  }
  if (!out.write_back) return;
  for (int i0 = 0; i0 < count; i0 += kFoldBatch) {
    float p[kFoldBatch], q[kFoldBatch];
    load_batch(i0, p, q);
    float* at = summaries + i0 * q_step;
#pragma unroll
    for (int k = 0; k < kFoldBatch; ++k, at += q_step) {
      if (i0 + k < count) *at = h;
      h = p[k] * h + q[k];
    }
  }
}

// One level of a reduce-scatter between lanes `offset` apart over v[0..kCount): the lane with
// the offset bit set keeps the upper half, its partner the lower, and each adds the partner's
// copy of its half into v[0..kCount / 2). With one value left it is a plain sum.
template <int kCount, int kSize>
__device__ __forceinline__ void exchange_halves(float (&v)[kSize], int offset, bool upper) {
  if constexpr (kCount == 1) {
    v[0] += __shfl_xor_sync(0xffffffffu, v[0], offset);
  } else {
#pragma unroll
    for (int k = 0; k < kCount / 2; ++k) {
      const float keep = upper ? v[k + kCount / 2] : v[k], send = upper ? v[k] : v[k + kCount / 2];
      v[k] = keep + __shfl_xor_sync(0xffffffffu, send, offset);
    }
  }
}

// The step (of kSplitOf) whose whole sum reduce_scatter_steps leaves thread `part`.
template <int kSplitOf>
__device__ __forceinline__ constexpr int scattered_step(int part, int offset = 1) {
  if constexpr (kSplitOf == 1) {
    return 0;
  } else {
    return (part & offset ? kSplitOf / 2 : 0) + scattered_step<kSplitOf / 2>(part, 2 * offset);
  }
}

// The kSplit threads of a channel (consecutive lanes) each hold partial sums y[0..kSplit) of
// kSplit steps; afterwards y[0] of thread `part` is the full sum of one of the steps, whose
// index (scattered_step) is returned: log2(kSplit) levels of halving exchanges, kSplit - 1
// shuffles in all instead of log2(kSplit) per step. `offset` is the lane distance of the
// current level.
template <int kSplitOf, int kSize>
__device__ __forceinline__ int reduce_scatter_steps(float (&y)[kSize], int part, int offset = 1) {
  if constexpr (kSplitOf > 1) {
    exchange_halves<kSplitOf>(y, offset, part & offset);
    reduce_scatter_steps<kSplitOf / 2>(y, part, 2 * offset);
  }
  return scattered_step<kSplitOf>(part, offset);
}

// Output rows of a chunk from the tiles: (y + D u) * silu(z) (z optional), converted to T.
template <typename T>
__device__ void store_outputs(const float* y_tile, const float* u_tile, const float* z_tile, const float* D, int64_t d0,
                              T* out, int64_t row0, int valid, int64_t length, Chunk ch) {
  store_chunk_rows(out, row0, valid, length, ch, [=](int r, int column) {
    const int at = r * kRow + column;
    float y = y_tile[at] + (D ? D[d0 + r] : 0.0f) * u_tile[at];
    if (z_tile) {
      const float z = z_tile[at];
      y *= z * fast_sigmoid(z);
    }
    return y;
  });
}

// Phase 3 of a forward in one segment (no phase 1): scans the sequence from h0 (or zero),
// turning delta into dt itself, writes out (when not null) and the state after the last step
// to h_final (when not null). With `saved`, the state before every kScanSavedChunks-th chunk
// is kept there for the backward.
template <typename T, int kN, bool kReverse>
__global__ void __launch_bounds__(ForwardLayout<kN>::kThreads) chunk_outputs_kernel(ScanCudaInputs<T> in, ScanShape s,
                                                                                     ScanOptions o, Workspace w,
                                                                                     Dev<T>* out, float* h_final,
                                                                                     float* saved) {
  using Layout = ForwardLayout<kN>;
  constexpr int kPer = Layout::kPer, kSplitOf = Layout::kSplit;
  extern __shared__ float shared[];
  float* dt_tile = shared;
  float* u_tile = dt_tile + kChannelsPerBlock * kRow;
  float* z_tile = u_tile + kChannelsPerBlock * kRow;
  float* b_tile = z_tile + kChannelsPerBlock * kRow;
  float* c_tile = b_tile + kChunk * kN;
  const T* const tiles[3] = {in.delta, in.u, in.z};
  const T* const state_tiles[2] = {in.B, in.C};
  float* const tile_of[3] = {dt_tile, u_tile, z_tile};
  float* const state_tile_of[2] = {b_tile, c_tile};
  ForwardStaging<T, kN, 3, 2> next{tiles, state_tiles, reinterpret_cast<uint4*>(c_tile + kChunk * kN)};
  const auto [segment, d0, b, chunks, valid, row0, r, part, active, d] = channel_block(w, s, kSplitOf);
  float A[kPer], h[kPer];
  load_channel_states(A, h, in.A, in.h0 ? in.h0 + (b * s.channels + d) * s.state : nullptr, d, part, s);
  next.fetch(chunks.first, s, o, row0, valid, b);
  for (int64_t c = chunks.first; c < chunks.end; ++c) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    if (saved && c % kScanSavedChunks == 0 && active) {
      const int64_t at = chunk_index(b, c / kScanSavedChunks, d, s, selective_scan_saved_segments(s.length));
      store_channel_states(h, saved + at * s.state, part, s);
    }
    __syncthreads();  // the previous chunk's output is stored and its tiles no longer read
    next.fill(tile_of, state_tile_of, ch, in, s, o, d0, row0, valid, b);
    if (c + 1 < chunks.end) next.fetch(c + 1, s, o, row0, valid, b);
    __syncthreads();
    // kSplitOf steps at a time: each of a channel's threads sums its states' share of y for
    // them, then a reduce-scatter among the channel's threads leaves each the whole y of one
    // step, which it writes over dt (read by then).
#pragma unroll
    for (int i0 = 0; i0 < kChunk; i0 += kSplitOf) {
      float y[kSplitOf];
#pragma unroll
      for (int q = 0; q < kSplitOf; ++q) {
        const int j = step_column<kReverse>(i0 + q);
        const float dt = dt_tile[r * kRow + j], dtu = dt * u_tile[r * kRow + j];
        y[q] = advance_step(h, A, dt, dtu, b_tile + j * kN + part * kPer, c_tile + j * kN + part * kPer);
      }
      const int step = reduce_scatter_steps<kSplitOf>(y, part);
      if (active) dt_tile[r * kRow + step_column<kReverse>(i0 + step)] = y[0];
    }
    __syncthreads();
    if (out) store_outputs(dt_tile, u_tile, in.z ? z_tile : nullptr, in.D, d0, out, row0, valid, s.length, ch);
  }
  if (h_final && active) store_channel_states(h, h_final + (b * s.channels + d) * s.state, part, s);
}

// Phase 3 of a forward in segments reads the dt that phase 1 computed (a float per input
// element, Workspace::dt_rows) instead of evaluating softplus again, and moves its per-channel
// rows (dt, u, z) by cp.async straight into double-buffered tiles without a conversion pass.
// A tile row is a chunk padded by 16 bytes (an odd number of 16-byte units), so a thread
// loads 4 steps of its channel in one vector and a warp's 16 channels spread over the banks.
// Measured on the H100 in session 29 (docs/performance.md, scan attempt 23): the forward 10%
// faster at L 131,072 and 11% at 1,048,576.
template <typename T>
constexpr int kPaddedRow = static_cast<int>((kChunk * sizeof(T) + 16) / sizeof(T));

template <typename T, int kN>
struct DtOutputsTiles {
  static constexpr int kDtRow = kPaddedRow<float>, kRowT = kPaddedRow<T>;
  static constexpr size_t kDtBytes = kChannelsPerBlock * kDtRow * sizeof(float);
  static constexpr size_t kRowBytes = kChannelsPerBlock * kRowT * sizeof(T);
  static constexpr size_t kBufferBytes = kDtBytes + 2 * kRowBytes;  // dt, u, z
  static constexpr size_t kStateBytes = 2 * kChunk * kN * sizeof(float);  // B, C time-major
  static constexpr size_t kSlotBytes = 2 * kN * (kChunk * sizeof(T) / 16) * sizeof(uint4);
  static constexpr size_t kBytes = 2 * kBufferBytes + kStateBytes + kSlotBytes;
  static_assert(kDtBytes % 16 == 0 && kRowBytes % 16 == 0, "16-byte aligned tiles");
};

// A thread's share of moving the kChannelsPerBlock rows of a block between global memory
// (elements X, rows of `length`) and a tile, 16 bytes at a time: rows first_row() + m *
// kRowsPerPass (m < kVectors) at tile column column(). Its row addresses are found once; a
// chunk only adds its first time.
template <typename X, int kThreads>
struct RowVectors {
  static constexpr int kVec = 16 / sizeof(X), kPerRow = kChunk / kVec;
  static constexpr int kRowsPerPass = kThreads / kPerRow, kVectors = kChannelsPerBlock / kRowsPerPass;
  static_assert(kThreads % kPerRow == 0 && kChannelsPerBlock % kRowsPerPass == 0, "whole vectors per thread");
  X* at;         // this thread's first row, at its column of time 0
  int64_t pass;  // elements from one of its rows to the next

  __device__ RowVectors(X* x, int64_t row0, int64_t length)
      : at(x ? x + (row0 + first_row()) * length + column() : nullptr), pass(kRowsPerPass * length) {}
  __device__ static int first_row() { return threadIdx.x / kPerRow; }
  __device__ static int column() { return threadIdx.x % kPerRow * kVec; }

  // cp.async of chunk ch (whole, vector-aligned) into tile (rows of `stride` elements); rows
  // from `valid` on are zero-filled.
  __device__ void stage(std::remove_const_t<X>* tile, int stride, int valid, Chunk ch) const {
    const X* source = at + ch.first;
#pragma unroll
    for (int m = 0; m < kVectors; ++m, source += pass) {
      const int r = first_row() + m * kRowsPerPass;
      copy_async_16(tile + r * stride + column(), r < valid ? source : at, r < valid ? 16 : 0);
    }
  }

  // Chunk ch (whole, vector-aligned) of rows below `valid` from a float tile (rows of `stride`).
  __device__ void store(const float* tile, int stride, int valid, Chunk ch) const {
    X* target = at + ch.first;
#pragma unroll
    for (int m = 0; m < kVectors; ++m, target += pass) {
      const int r = first_row() + m * kRowsPerPass;
      if (r >= valid) continue;
      uint4 raw;
      X* parts = reinterpret_cast<X*>(&raw);
      const float4* values = reinterpret_cast<const float4*>(tile + r * stride + column());
#pragma unroll
      for (int e = 0; e < kVec; e += 4) {
        const float4 v = values[e / 4];
        parts[e] = from_float<X>(v.x), parts[e + 1] = from_float<X>(v.y);
        parts[e + 2] = from_float<X>(v.z), parts[e + 3] = from_float<X>(v.w);
      }
      *reinterpret_cast<uint4*>(target) = raw;
    }
  }
};

// Rows row0 .. row0 + kChannelsPerBlock - 1 of x (valid of them real) at chunk ch into tile
// (rows of `stride` elements, column = time offset + ch.shift), with zeros past the chunk and
// the valid rows: the synchronous path of chunks that do not move in vectors.
template <int kThreads, typename X>
__device__ void load_padded_rows(X* tile, int stride, const X* x, int64_t row0, int valid, int64_t length, Chunk ch) {
  for (int k = threadIdx.x; k < kChannelsPerBlock * kChunk; k += kThreads) {
    const int r = k / kChunk, column = k % kChunk, i = column_time(column, ch);
    tile[r * stride + column] = r < valid && i >= 0 ? x[(row0 + r) * length + ch.first + i] : from_float<X>(0.0f);
  }
}

// B and C of the next chunk staged by cp.async into each thread's own slots (its vectors'
// addresses found once), then turned into the time-major float tiles.
template <typename T, int kN, int kThreads>
struct StateVectors {
  static constexpr int kVec = 16 / sizeof(T), kPerRow = kChunk / kVec, kSlots = kN * kPerRow;
  static constexpr int kVectors = (kSlots + kThreads - 1) / kThreads;
  const T* at[2][kVectors];  // B, C: this thread's vectors at time 0 (null: a zero-filled slot or none)
  const T* any;              // a valid address for the zero-filled copies (nothing is read)

  __device__ StateVectors(const T* B, const T* C, int64_t b, int64_t state, int64_t length) : any(B) {
    const T* const inputs[2] = {B, C};
#pragma unroll
    for (int t = 0; t < 2; ++t) {
#pragma unroll
      for (int m = 0; m < kVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, n = q / kPerRow, k = q % kPerRow;
        at[t][m] = q < kSlots && n < state ? inputs[t] + (b * state + n) * length + k * kVec : nullptr;
      }
    }
  }
  __device__ void stage(uint4* slots, Chunk ch) const {
#pragma unroll
    for (int t = 0; t < 2; ++t) {
#pragma unroll
      for (int m = 0; m < kVectors; ++m) {
        const int q = threadIdx.x + m * kThreads;
        if (q >= kSlots) continue;
        const T* source = at[t][m];
        copy_async_16(slots + t * kSlots + q, source ? source + ch.first : any, source ? 16 : 0);
      }
    }
  }
};

// The staged B and C of one chunk, from a thread's own slots into registers, then into the tiles.
template <typename T, int kN, int kThreads>
struct StateTiles {
  using Vectors = StateVectors<T, kN, kThreads>;
  uint4 v[2][Vectors::kVectors];

  __device__ void unstage(const uint4* slots) {
#pragma unroll
    for (int t = 0; t < 2; ++t) {
#pragma unroll
      for (int m = 0; m < Vectors::kVectors; ++m) {
        const int q = threadIdx.x + m * kThreads;
        v[t][m] = q < Vectors::kSlots ? slots[t * Vectors::kSlots + q] : make_uint4(0, 0, 0, 0);
      }
    }
  }
  __device__ void store(float* b_tile, float* c_tile) const {
    float* const tiles[2] = {b_tile, c_tile};
#pragma unroll
    for (int t = 0; t < 2; ++t) {
#pragma unroll
      for (int m = 0; m < Vectors::kVectors; ++m) {
        const int q = threadIdx.x + m * kThreads, n = q / Vectors::kPerRow, k = q % Vectors::kPerRow;
        if (q >= Vectors::kSlots) continue;
        const T* parts = reinterpret_cast<const T*>(&v[t][m]);
#pragma unroll
        for (int e = 0; e < Vectors::kVec; ++e) tiles[t][(k * Vectors::kVec + e) * kN + n] = to_float(parts[e]);
      }
    }
  }
};

// Four consecutive tile columns as floats (16-byte aligned for float, 8 for bf16).
__device__ __forceinline__ void load_columns4(float (&v)[4], const float* p) {
  const float4 x = *reinterpret_cast<const float4*>(p);
  v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
}
__device__ __forceinline__ void load_columns4(float (&v)[4], const __nv_bfloat16* p) {
  const uint2 x = *reinterpret_cast<const uint2*>(p);
  v[0] = __uint_as_float(x.x << 16), v[1] = __uint_as_float(x.x & 0xffff0000u);
  v[2] = __uint_as_float(x.y << 16), v[3] = __uint_as_float(x.y & 0xffff0000u);
}

// Phase 3 of a forward in segments: rescans each segment from its start state (phase 2's)
// with dt from phase 1, writes out (when not null) and, with `saved`, the state before every
// kScanSavedChunks-th chunk. Each thread gates the output of the step its reduce-scatter
// leaves it (kGated: z given and out written) and writes it over dt in the tile; the block
// then stores the chunk's rows. At d_state 16 (bf16) registers are held to five blocks per
// multiprocessor, which the shared memory allows (unbounded, ptxas takes 104-128: four).
template <typename T, int kN, bool kReverse, bool kGated>
__global__ void __launch_bounds__(ForwardLayout<kN>::kThreads, kN == 16 && sizeof(T) == 2 ? 5 : 0) chunk_outputs_from_dt_kernel(
    ScanCudaInputs<T> in, ScanShape s, ScanOptions o, Workspace w, Dev<T>* out, float* saved) {
  using Layout = ForwardLayout<kN>;
  using Tiles = DtOutputsTiles<T, kN>;
  constexpr int kPer = Layout::kPer, kSplitOf = Layout::kSplit, kThreads = Layout::kThreads;
  static_assert(4 % kSplitOf == 0, "a channel's threads split groups of 4 steps");
  extern __shared__ float shared[];
  unsigned char* const bytes = reinterpret_cast<unsigned char*>(shared);
  auto dt_tile = [&](int k) { return reinterpret_cast<float*>(bytes + k * Tiles::kBufferBytes); };
  auto u_tile = [&](int k) { return reinterpret_cast<T*>(bytes + k * Tiles::kBufferBytes + Tiles::kDtBytes); };
  auto z_tile = [&](int k) {
    return reinterpret_cast<T*>(bytes + k * Tiles::kBufferBytes + Tiles::kDtBytes + Tiles::kRowBytes);
  };
  float* const b_tile = reinterpret_cast<float*>(bytes + 2 * Tiles::kBufferBytes);
  float* const c_tile = b_tile + kChunk * kN;
  uint4* const slots = reinterpret_cast<uint4*>(c_tile + kChunk * kN);

  const auto [segment, d0, b, chunks, valid, row0, r, part, active, d] = channel_block(w, s, kSplitOf);
  const RowVectors<const float, kThreads> dt_vectors(w.dt_rows, row0, s.length);
  const RowVectors<const T, kThreads> u_vectors(in.u, row0, s.length), z_vectors(in.z, row0, s.length);
  const RowVectors<T, kThreads> out_vectors(out, row0, s.length);
  const StateVectors<T, kN, kThreads> bc_vectors(in.B, in.C, b, s.state, s.length);
  wait_for_previous_grid();  // the fold's start states
  float A[kPer], h[kPer];
  load_channel_states(A, h, in.A, w.chunk_state + chunk_index(b, segment, d, s, w.chunks) * s.state, d, part, s);
  const float D = in.D ? in.D[d] : 0.0f;
  // The step of each kSplitOf whose y the reduce-scatter leaves this thread, as a tile column
  // offset (down the columns in reverse).
  const int own_column = kReverse ? -scattered_step<kSplitOf>(part) : scattered_step<kSplitOf>(part);
  // Whole chunks move in vectors when every row starts 16-byte aligned (time offsets of whole
  // chunks are multiples of 8 then).
  const bool aligned = vector_rows(w.dt_rows, s.length, {0, kChunk, 0}) && vector_rows(in.u, s.length, {0, kChunk, 0}) &&
                       (!kGated || vector_rows(in.z, s.length, {0, kChunk, 0})) &&
                       vector_rows(in.B, s.length, {0, kChunk, 0}) && vector_rows(in.C, s.length, {0, kChunk, 0}) &&
                       (!out || vector_rows(out, s.length, {0, kChunk, 0}));

  // Issues the copies of chunk c into buffer k; false when the chunk does not move in vectors
  // (it is then loaded when its turn comes).
  auto fetch = [&](int64_t c, int k) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    if (!aligned || ch.count != kChunk) return false;
    dt_vectors.stage(dt_tile(k), Tiles::kDtRow, valid, ch);
    u_vectors.stage(u_tile(k), Tiles::kRowT, valid, ch);
    if constexpr (kGated) z_vectors.stage(z_tile(k), Tiles::kRowT, valid, ch);
    bc_vectors.stage(slots, ch);
    commit_async_copies();
    return true;
  };

  bool staged = fetch(chunks.first, 0);
  for (int64_t c = chunks.first; c < chunks.end; ++c) {
    const int k = static_cast<int>((c - chunks.first) & 1);
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    if (saved && c % kScanSavedChunks == 0 && active) {
      const int64_t at = chunk_index(b, c / kScanSavedChunks, d, s, selective_scan_saved_segments(s.length));
      store_channel_states(h, saved + at * s.state, part, s);
    }
    const bool vectors = staged;
    StateTiles<T, kN, kThreads> bc;
    if (vectors) {
      wait_async_copies();
      bc.unstage(slots);
    }
    __syncthreads();  // chunk c's rows have landed; chunk c - 1's B and C and output are no longer read
    float* const dt = dt_tile(k);
    if (vectors) {
      bc.store(b_tile, c_tile);
    } else {
      load_padded_rows<kThreads>(dt, Tiles::kDtRow, w.dt_rows, row0, valid, s.length, ch);
      load_padded_rows<kThreads>(u_tile(k), Tiles::kRowT, in.u, row0, valid, s.length, ch);
      if constexpr (kGated) load_padded_rows<kThreads>(z_tile(k), Tiles::kRowT, in.z, row0, valid, s.length, ch);
      load_state_inputs<T, kN>(b_tile, in.B, b, s.state, s.length, ch);
      load_state_inputs<T, kN>(c_tile, in.C, b, s.state, s.length, ch);
    }
    staged = c + 1 < chunks.end && fetch(c + 1, k ^ 1);
    __syncthreads();
    float* const dt_row = dt + r * Tiles::kDtRow;
    const T* const u_row = u_tile(k) + r * Tiles::kRowT;
    // z and y of the thread's own step in each group of 4: a per-chunk base and a constant
    // offset, no index arithmetic per output.
    float* const out_at = dt_row + own_column;
    const T* const z_at = z_tile(k) + r * Tiles::kRowT + own_column;
#pragma unroll
    for (int g = 0; g < kChunk; g += 4) {
      const int column0 = kReverse ? kChunk - 4 - g : g;  // step g + i is column column0 + (3 - i) in reverse
      float dt4[4], u4[4];
      load_columns4(dt4, dt_row + column0);
      load_columns4(u4, u_row + column0);
#pragma unroll
      for (int i0 = 0; i0 < 4; i0 += kSplitOf) {
        float y[kSplitOf];
#pragma unroll
        for (int q = 0; q < kSplitOf; ++q) {
          const int e = kReverse ? 3 - (i0 + q) : i0 + q, j = column0 + e;
          y[q] = advance_step(h, A, dt4[e], dt4[e] * u4[e], b_tile + j * kN + part * kPer,
                              c_tile + j * kN + part * kPer);
        }
        reduce_scatter_steps<kSplitOf>(y, part);
        const int group_column = kReverse ? 3 - i0 : i0;  // of the step, less own_column
        const int e = group_column + own_column;
        float u_step = 0.0f;  // u4[e] by selects: a dynamic index would put u4 in local memory
#pragma unroll
        for (int q = 0; q < 4; ++q) u_step = q == e ? u4[q] : u_step;
        // Inactive threads write their unused tile row: no branch.
        float value = y[0] + D * u_step;
        if constexpr (kGated) {
          const float z = to_float(z_at[column0 + group_column]);
          value *= z * sigmoid_approx(z);
        }
        out_at[column0 + group_column] = value;  // over dt, read by now
      }
    }
    __syncthreads();
    if (!out) continue;
    if (vectors) {
      out_vectors.store(dt, Tiles::kDtRow, valid, ch);
    } else {
      store_rows(dt, out, row0, valid, s.length, ch, Tiles::kDtRow);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Backward.

// The backward's per (channel, step) factors, once per tile entry instead of in every state
// thread: delta -> dt where dt_tile is given (null: it holds dt already); with z, dout ->
// dL/dy = dout * silu(z) and, with gate_gradient, z -> dout * silu'(z). Columns past the
// chunk's end are left as they are.
__device__ void backward_step_factors(float* dt_tile, float* g_tile, float* z_tile, bool gate_gradient, int valid,
                                      Chunk ch, const float* bias, int64_t d0, const ScanOptions& o) {
  if (!dt_tile && !z_tile) return;
  for_each_data_entry(valid, ch, [&](int row, int column) {
    const int at = row * kRow + column;
    if (dt_tile) dt_tile[at] = dt_of(dt_tile[at] + (bias ? bias[d0 + row] : 0.0f), o.softplus);
    const float dout_t = g_tile[at];
    if (z_tile) {
      const float z = z_tile[at], sz = fast_sigmoid(z);
      g_tile[at] = dout_t * z * sz;
      if (gate_gradient) z_tile[at] = dout_t * sz * (1.0f + z * (1.0f - sz));
    }
  });
}

// The backward's adjoints within segments of kScanSavedChunks chunks: for every chunk, the
// adjoint reaching its end from the later chunks of its segment when none reaches the
// segment's end (a zero carry there), and the dt sum of those later chunks. With the
// adjoint reaching the segment's end (the fold's), the chunk's true one is
// carry + exp(A later_dt) x that.
struct ChunkAdjoints {
  float* carry;     // [batch][chunks][channels][state]
  float* later_dt;  // [batch][chunks][channels]
  int64_t chunks;
};

// Phase B1: per segment, walked back chunk by chunk from a zero carry at its end: the chunks'
// ChunkAdjoints, and the segment's summary (the adjoint flowing out of its first step
// towards the previous segment, and its dt sum) for the fold.
template <typename T, int kN, bool kReverse>
__global__ void __launch_bounds__(kChannelThreads) chunk_adjoints_kernel(ScanCudaInputs<T> in, const T* dout,
                                                                          ScanShape s, ScanOptions o,
                                                                          ChunkAdjoints within, Workspace segments) {
  constexpr int kPer = kN / kSplit;
  extern __shared__ float shared[];
  float* dt_tile = shared;
  float* g_tile = dt_tile + kChannelsPerBlock * kRow;
  float* z_tile = g_tile + kChannelsPerBlock * kRow;
  float* c_tile = z_tile + kChannelsPerBlock * kRow;
  const auto [segment, d0, b, chunks, valid, row0, r, part, active, d] = channel_block(segments, s, kSplit);
  float A[kPer], carry[kPer];
  load_channel_states(A, carry, in.A, nullptr, d, part, s);
  float dt_sum = 0.0f;
  for (int64_t c = chunks.end - 1; c >= chunks.first; --c) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    __syncthreads();  // the previous chunk's tiles are no longer read
    load_rows(dt_tile, in.delta, row0, kChannelsPerBlock, valid, s.length, ch);
    load_rows(g_tile, dout, row0, kChannelsPerBlock, valid, s.length, ch);
    if (in.z) load_rows(z_tile, in.z, row0, kChannelsPerBlock, valid, s.length, ch);
    load_state_inputs<T, kN>(c_tile, in.C, b, s.state, s.length, ch);
    __syncthreads();
    backward_step_factors(dt_tile, g_tile, in.z ? z_tile : nullptr, false, valid, ch, in.delta_bias, d0, o);
    __syncthreads();
    if (!active) continue;
    const int64_t at = chunk_index(b, c, d, s, within.chunks);
    if (part == 0) within.later_dt[at] = dt_sum;
    store_channel_states(carry, within.carry + at * s.state, part, s);
#pragma unroll
    for (int t = kChunk - 1; t >= 0; --t) {
      const int j = step_column<kReverse>(t);
      const float dt = dt_tile[r * kRow + j];
      const float g = g_tile[r * kRow + j];
      float Cn[kPer];
      load_run(Cn, c_tile + j * kN + part * kPer);
      dt_sum += dt;
#pragma unroll
      for (int k = 0; k < kPer; ++k) carry[k] = fast_exp2(dt * A[k]) * (carry[k] + Cn[k] * g);
    }
  }
  if (!active) return;
  const int64_t at = chunk_index(b, segment, d, s, segments.chunks);
  if (part == 0) segments.chunk_dt[at] = dt_sum;
  store_channel_states(carry, segments.chunk_state + at * s.state, part, s);
}

// Phase B3: rescans each chunk from its start state and runs the adjoint back through it,
// producing every gradient. One block per segment of kScanSavedChunks chunks and 64
// channels walks its chunks in scan order from the state the forward saved, each chunk's
// end state being the next one's start. The layout is the forward's: kSplit threads per channel, each
// with kPer consecutive states. A thread keeps its states in registers for a sub-chunk of
// kSub steps at a time: a first pass notes the state at each sub-chunk's start, then the
// sub-chunks are visited last to first, each recomputed and walked backwards (the decays
// are evaluated again there rather than kept: fewer registers, three blocks per
// multiprocessor, measured faster on the H200).
// Sums over a channel's states (for du, ddelta, y) are reduce-scatters among its kSplit
// threads, four steps at a time; sums over channels (dB, dC) are reduce-scatters over the
// warp's channels per step, then over the block's warps in shared memory after each
// sub-chunk, giving one share per block of channels, summed over blocks by
// reduce_state_gradients_kernel; sums over a segment's steps (dA, dD, ddelta_bias) are
// written per segment and summed over segments by add_ordered_row_sums_cuda. Every sum has a
// fixed order.
struct GradientPartials {
  float* dA;           // [batch][saved segments][channels][state]
  float* dD;           // [batch][saved segments][channels]
  float* ddelta_bias;  // [batch][saved segments][channels]
};

constexpr int kChannelsPerWarp = 32 / kSplit;
constexpr int kChannelWarps = kChannelThreads / 32;

// Steps per sub-chunk with kPer states per thread: about 32 states in registers per thread,
// and at least the four steps a reduce-scatter takes.
constexpr int gradient_sub_steps(int per) { return per >= 8 ? 4 : kChunk / per; }

template <typename T, int kN>
struct GradientLayout {
  static constexpr int kTiles = 4;            // dt, u, dout * gate, dout * gate'(z)
  static constexpr int kSumRow = 2 * kN + 1;  // one warp's dB then dC terms of one step, padded
  // The next chunk's delta, u, dout, z; B, C, copied in while one is walked.
  using Staged = ChunkPrefetch<T, kN, 4, 2>;
  // Tiles, then the B and C tiles (time-major), then the warps' dB/dC sums per step of a
  // sub-chunk, then each thread's states at the chunk's end (the next chunk's start: kept
  // here rather than in registers through the walk back, which would spill), then the
  // staged next chunk.
  static constexpr size_t kSumsFloats = static_cast<size_t>(kChannelWarps) * gradient_sub_steps(kN / kSplit) * kSumRow;
  static constexpr size_t kFloats = static_cast<size_t>(kTiles) * kChannelsPerBlock * kRow + 2 * kChunk * kN +
                                    kSumsFloats + static_cast<size_t>(kChannelThreads) * (kN / kSplit);
  static_assert(kFloats % 4 == 0, "the staged chunk's slots start 16-byte aligned");
  static constexpr size_t kBytes = kFloats * sizeof(float) + Staged::staged_bytes();
};

// Which of a thread's values it holds summed over the warp's channels: v[m] is value first + m.
// Lanes that are not owners hold a copy some owner also holds.
struct ChannelShare {
  int first = 0;
  bool owner = true;
};

template <int kCount, int kSize>
__device__ __forceinline__ void channel_level(float (&v)[kSize], int offset, int lane, ChannelShare& share) {
  const bool upper = lane & offset;
  exchange_halves<kCount>(v, offset, upper);
  if constexpr (kCount > 1) {
    if (upper) share.first += kCount / 2;
  } else {
    share.owner = share.owner && !upper;
  }
}

// Sums v over the warp's kChannelsPerWarp channels (lanes kSplit, 2 kSplit and 4 kSplit
// apart): afterwards v[0..max(kSize / 8, 1)) holds sums.
template <int kSize>
__device__ __forceinline__ ChannelShare sum_over_warp_channels(float (&v)[kSize], int lane) {
  static_assert(kChannelsPerWarp == 8, "three levels");
  constexpr int kHalf = kSize / 2 > 1 ? kSize / 2 : 1, kQuarter = kSize / 4 > 1 ? kSize / 4 : 1;
  ChannelShare share;
  channel_level<kSize>(v, kSplit, lane, share);
  channel_level<kHalf>(v, 2 * kSplit, lane, share);
  channel_level<kQuarter>(v, 4 * kSplit, lane, share);
  return share;
}

template <typename T, int kN, bool kReverse>
__global__ void __launch_bounds__(kChannelThreads, kN <= 16 ? 3 : 1) chunk_gradients_kernel(ScanCudaInputs<T> in, const T* dout,
                                                                              ScanCudaGradients<T> grad, ScanShape s,
                                                                              ScanOptions o, const float* saved,
                                                                              ChunkAdjoints within,
                                                                              Workspace adjoints,
                                                                              GradientPartials partials,
                                                                              float* state_grads) {
  constexpr int kPer = kN / kSplit, kSub = gradient_sub_steps(kPer), kSubs = kChunk / kSub;
  constexpr int kValues = 2 * kPer;  // a thread's dB then dC terms of one step
  constexpr int kHeld = kValues > kChannelsPerWarp ? kValues / kChannelsPerWarp : 1;
  using Layout = GradientLayout<T, kN>;
  constexpr int kSumRow = Layout::kSumRow;
  static_assert(kChunk % kSub == 0 && kSub % 4 == 0, "whole sub-chunks of four-step groups");
  extern __shared__ float shared[];
  float* dt_tile = shared;                             // delta -> dt; then ddelta
  float* u_tile = dt_tile + kChannelsPerBlock * kRow;  // u; then du
  float* g_tile = u_tile + kChannelsPerBlock * kRow;   // dout -> dL/dy = dout * silu(z)
  float* z_tile = g_tile + kChannelsPerBlock * kRow;   // z -> dout * silu'(z); then dz
  float* b_tile = z_tile + kChannelsPerBlock * kRow;
  float* c_tile = b_tile + kChunk * kN;
  float* warp_sums = c_tile + kChunk * kN;  // [warp][step of the sub-chunk][dB states, dC states]
  float* chunk_end = warp_sums + Layout::kSumsFloats;  // [state k of the thread][thread]
  uint4* staged_slots = reinterpret_cast<uint4*>(shared + Layout::kFloats);
  const int64_t segment = blockIdx.x, d0 = static_cast<int64_t>(blockIdx.y) * kChannelsPerBlock, b = blockIdx.z;
  const int64_t segments = selective_scan_saved_segments(s.length);
  const int64_t first_chunk = segment * kScanSavedChunks;
  const int64_t end_chunk = min(selective_scan_chunks(s.length), first_chunk + kScanSavedChunks);
  const int valid = static_cast<int>(min(static_cast<int64_t>(kChannelsPerBlock), s.channels - d0));
  const int64_t row0 = b * s.channels + d0;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int r = threadIdx.x / kSplit, part = threadIdx.x % kSplit;
  const bool active = r < valid;  // inactive threads still join the shuffles
  const int64_t d = d0 + (active ? r : 0);
  const float skip = active && in.D ? in.D[d] : 0.0f;
  float A2[kPer], h[kPer];  // A scaled for exp2: sums of A x terms are scaled back once per step
  load_channel_states(A2, h, in.A, active ? saved + chunk_index(b, segment, d, s, segments) * s.state : nullptr, d,
                      part, s);
  // The inputs of step t (in scan order); past the chunk's end they are zero.
  struct Step {
    float dt, u, g, B[kPer];
  };
  auto step_at = [&](int t) {
    const int j = step_column<kReverse>(t);
    Step st{dt_tile[r * kRow + j], u_tile[r * kRow + j], g_tile[r * kRow + j], {}};
    load_run(st.B, b_tile + j * kN + part * kPer);
    return st;
  };
  // h after step t from h before it.
  auto advance = [&](int t, float (&h)[kPer]) {
    const Step st = step_at(t);
    const float dtu = st.dt * st.u;
#pragma unroll
    for (int k = 0; k < kPer; ++k) h[k] = fast_exp2(st.dt * A2[k]) * h[k] + dtu * st.B[k];
  };
  float dA[kPer] = {}, dD = 0.0f, dbias = 0.0f;
  const int64_t blocks = gridDim.y;
  float* db_out = state_grads + ((b * blocks + blockIdx.y) * 2) * s.state * s.length;
  const T* const tiles[4] = {in.delta, in.u, dout, in.z};
  const T* const state_tiles[2] = {in.B, in.C};
  float* const tile_of[4] = {dt_tile, u_tile, g_tile, z_tile};
  float* const state_tile_of[2] = {b_tile, c_tile};
  bool next_staged = false;
  auto fetch = [&](int64_t c) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    next_staged = vector_chunk(tiles, s.length, ch) && vector_chunk(state_tiles, s.length, ch);
    if (next_staged) {
      Layout::Staged::stage(staged_slots, tiles, state_tiles, row0, valid, b, s.state, s.length, ch);
      commit_async_copies();
    }
  };
  fetch(first_chunk);
  for (int64_t c = first_chunk; c < end_chunk; ++c) {
    const Chunk ch = chunk_of(c, s.length, o.reverse);
    if (c > first_chunk) __syncthreads();  // the previous chunk's gradients are stored
    const bool staged = next_staged;
    if (staged) {
      wait_async_copies();
      typename Layout::Staged chunk;
      chunk.unstage(staged_slots);
      chunk.store(tile_of, state_tile_of, in.delta_bias, d0, s.channels, o.softplus);
    } else {
      load_rows(dt_tile, in.delta, row0, kChannelsPerBlock, valid, s.length, ch);
      load_rows(u_tile, in.u, row0, kChannelsPerBlock, valid, s.length, ch);
      load_rows(g_tile, dout, row0, kChannelsPerBlock, valid, s.length, ch);
      if (in.z) load_rows(z_tile, in.z, row0, kChannelsPerBlock, valid, s.length, ch);
      load_state_inputs<T, kN>(b_tile, in.B, b, s.state, s.length, ch);
      load_state_inputs<T, kN>(c_tile, in.C, b, s.state, s.length, ch);
    }
    // Each thread's slots are free once it has unstaged them: the next chunk's copies run
    // while this one is walked.
    if (c + 1 < end_chunk) fetch(c + 1);
    __syncthreads();
    // Rows past `valid` stay zero: their threads walk the chunk with nothing to add.
    backward_step_factors(staged ? nullptr : dt_tile, g_tile, in.z ? z_tile : nullptr, true, valid, ch,
                          in.delta_bias, d0, o);
    __syncthreads();
    if (c > first_chunk) {
#pragma unroll
      for (int k = 0; k < kPer; ++k) h[k] = chunk_end[k * kChannelThreads + threadIdx.x];
    }
    float starts[kSubs][kPer];  // the states before each sub-chunk
#pragma unroll
    for (int q = 0; q < kSubs; ++q) {
#pragma unroll
      for (int k = 0; k < kPer; ++k) starts[q][k] = h[k];
      if (q + 1 == kSubs) break;
#pragma unroll
      for (int i = 0; i < kSub; ++i) advance(q * kSub + i, h);
    }
    // The adjoint reaching the chunk's end: from the segment's later chunks, and from the
    // later segments (folded) decayed over those chunks.
    const int64_t at_chunk = chunk_index(b, c, d, s, within.chunks);
    const float* later = within.carry + at_chunk * s.state;
    const float* segment_end = adjoints.chunk_state + chunk_index(b, segment, d, s, adjoints.chunks) * s.state;
    const float later_dt = active ? within.later_dt[at_chunk] : 0.0f;
    float carry[kPer];
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      const int n = part * kPer + k;
      carry[k] = active && n < s.state ? later[n] + fast_exp2(later_dt * A2[k]) * segment_end[n] : 0.0f;
    }
#pragma unroll
    for (int q = kSubs - 1; q >= 0; --q) {
      float after[kSub][kPer];  // each step's state
#pragma unroll
      for (int i = 0; i < kSub; ++i) {
#pragma unroll
        for (int k = 0; k < kPer; ++k) after[i][k] = i > 0 ? after[i - 1][k] : starts[q][k];
        advance(q * kSub + i, after[i]);
      }
      if (q == kSubs - 1) {  // the chunk's end state starts the next chunk
#pragma unroll
        for (int k = 0; k < kPer; ++k) chunk_end[k * kChannelThreads + threadIdx.x] = after[kSub - 1][k];
      }
#pragma unroll
      for (int i0 = kSub - 4; i0 >= 0; i0 -= 4) {
        // Per step, this thread's states' shares of sum lambda A a h_prev, sum lambda B and y.
        float state_terms[4], input_terms[4], y[4];
#pragma unroll
        for (int e = 3; e >= 0; --e) {
          const int i = i0 + e, t = q * kSub + i;
          const Step st = step_at(t);
          const float dtu = st.dt * st.u;
          float Cn[kPer], terms[kValues];
          load_run(Cn, c_tile + step_column<kReverse>(t) * kN + part * kPer);
          state_terms[e] = input_terms[e] = y[e] = 0.0f;
#pragma unroll
          for (int k = 0; k < kPer; ++k) {
            const float lambda = carry[k] + Cn[k] * st.g;
            const float decay = fast_exp2(st.dt * A2[k]);
            const float decayed = lambda * decay * (i > 0 ? after[i - 1][k] : starts[q][k]);
            state_terms[e] += A2[k] * decayed;
            dA[k] += st.dt * decayed;
            input_terms[e] += lambda * st.B[k];
            y[e] += Cn[k] * after[i][k];
            carry[k] = lambda * decay;
            terms[k] = lambda * dtu;               // dB
            terms[kPer + k] = st.g * after[i][k];  // dC
          }
          const ChannelShare share = sum_over_warp_channels(terms, lane);
          if (share.owner) {
#pragma unroll
            for (int m = 0; m < kHeld; ++m) {
              const int value = share.first + m, kind = value / kPer;
              warp_sums[(warp * kSub + i) * kSumRow + kind * kN + part * kPer + value % kPer] = terms[m];
            }
          }
        }
        // Each of the channel's threads now finishes one of the four steps: the others have
        // read that step's tile entries, so they become its gradients.
        const int step = reduce_scatter_steps<kSplit>(state_terms, part);
        reduce_scatter_steps<kSplit>(input_terms, part);
        if (in.z) reduce_scatter_steps<kSplit>(y, part);
        const int t = q * kSub + i0 + step;
        if (active && t < ch.count) {
          const int at_step = r * kRow + step_column<kReverse>(t);
          const float dt = dt_tile[at_step], u = u_tile[at_step], g = g_tile[at_step];
          const float slope = o.softplus ? softplus_slope(dt) : 1.0f;  // d dt / d delta
          const float draw = (state_terms[0] * (1.0f / kLog2e) + u * input_terms[0]) * slope;
          dD += g * u;
          dbias += draw;
          u_tile[at_step] = dt * input_terms[0] + skip * g;
          dt_tile[at_step] = draw;
          if (in.z) z_tile[at_step] *= y[0] + skip * u;
        }
      }
      __syncthreads();
      for (int k = threadIdx.x; k < 2 * kN * kSub; k += blockDim.x) {
        const int row = k / kSub, i = k % kSub, n = row % kN, column = step_column<kReverse>(q * kSub + i);
        const int time = column_time(column, ch);
        if (n >= s.state || time < 0) continue;
        float sum = 0.0f;
#pragma unroll
        for (int w = 0; w < kChannelWarps; ++w) sum += warp_sums[(w * kSub + i) * kSumRow + row];
        db_out[((row / kN) * s.state + n) * s.length + ch.first + time] = sum;
      }
      __syncthreads();
    }
    store_rows(u_tile, grad.du, row0, valid, s.length, ch);
    store_rows(dt_tile, grad.ddelta, row0, valid, s.length, ch);
    if (in.z) store_rows(z_tile, grad.dz, row0, valid, s.length, ch);
  }
#pragma unroll
  for (int offset = 1; offset < kSplit; offset *= 2) {
    dD += __shfl_xor_sync(0xffffffffu, dD, offset);
    dbias += __shfl_xor_sync(0xffffffffu, dbias, offset);
  }
  if (active) {
    const int64_t at_segment = chunk_index(b, segment, d, s, segments);
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      const int n = part * kPer + k;
      if (n < s.state) partials.dA[at_segment * s.state + n] = dA[k];
    }
    if (part == 0) {
      partials.dD[at_segment] = dD;
      partials.ddelta_bias[at_segment] = dbias;
    }
  }
}

// dB, dC = the channel groups' shares summed in group order.
template <typename T>
__global__ void reduce_state_gradients_kernel(const float* state_grads, int64_t groups, ScanShape s, T* dB, T* dC) {
  const int64_t per_batch = s.state * s.length;
  for (int64_t idx = grid_index(); idx < s.batch * per_batch; idx += grid_stride()) {
    const int64_t b = idx / per_batch, offset = idx % per_batch;
    float db = 0.0f, dc = 0.0f;
    for (int64_t g = 0; g < groups; ++g) {
      const float* share = state_grads + ((b * groups + g) * 2) * per_batch;
      db += share[offset];
      dc += share[per_batch + offset];
    }
    dB[idx] = from_float<T>(db);
    dC[idx] = from_float<T>(dc);
  }
}

template <typename T>
ScanCudaInputs<Dev<T>> device_inputs(const ScanCudaInputs<T>& in) {
  return {reinterpret_cast<const Dev<T>*>(in.u), reinterpret_cast<const Dev<T>*>(in.delta), in.A,
          reinterpret_cast<const Dev<T>*>(in.B), reinterpret_cast<const Dev<T>*>(in.C), in.D,
          reinterpret_cast<const Dev<T>*>(in.z), in.delta_bias, in.h0};
}

// Lets `kernel` take `bytes` of dynamic shared memory (above the default 48 KB where needed).
template <typename... Params>
void allow_shared_bytes(void (*kernel)(Params...), size_t bytes) {
  SPINDLE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

// Launches a per-channel kernel of `threads` per block with `bytes` of dynamic shared memory.
template <typename... Params, typename... Args>
void launch_channel_kernel(void (*kernel)(Params...), dim3 grid, int threads, size_t bytes, cudaStream_t stream,
                           Args&&... args) {
  allow_shared_bytes(kernel, bytes);
  kernel<<<grid, threads, bytes, stream>>>(std::forward<Args>(args)...);
}

// Launches a kernel that may start while the previous kernel on `stream` finishes
// (programmatic dependent launch): it calls wait_for_previous_grid before reading or writing
// anything the stream's earlier work touches. A kernel above 48 KB of dynamic shared memory
// needs allow_shared_bytes first.
template <typename... Params, typename... Args>
void launch_after_previous(void (*kernel)(Params...), dim3 grid, int threads, size_t bytes, cudaStream_t stream,
                           Args&&... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = dim3(static_cast<unsigned>(threads));
  config.dynamicSmemBytes = bytes;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  SPINDLE_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

template <typename... Params>
int blocks_per_multiprocessor(void (*kernel)(Params...), int threads, size_t bytes) {
  allow_shared_bytes(kernel, bytes);
  int blocks = 0;
  SPINDLE_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, threads, bytes));
  return blocks;
}

void launch_fold(const float* A, const float* initial, const ScanShape& s, const Workspace& w, bool from_end,
                 FoldOutputs out, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((s.channels * s.state + 31) / 32), static_cast<unsigned>(s.batch));
  launch_after_previous(fold_chunks_kernel, grid, kFoldThreads, 0, stream, A, initial, s, w, from_end, out);
  check_launch("fold_chunks_kernel");
}

void check_shape(const ScanShape& s) {
  SPINDLE_CHECK(s.state >= 1 && s.state <= kScanMaxState, "selective_scan (CUDA)",
                "state size " + std::to_string(s.state), "1.." + std::to_string(kScanMaxState));
  SPINDLE_CHECK(s.batch <= 65535, "selective_scan (CUDA)", "batch " + std::to_string(s.batch), "at most 65535");
}

// Runs `launch` with the register-array size kN fitting `state` and the scan direction as
// compile-time constants (integral_constant<int, kN>, bool_constant<kReverse>).
template <typename Launch>
void with_kernel_variant(int64_t state, bool reverse, Launch&& launch) {
  auto with_direction = [&](auto capacity) {
    if (reverse) return launch(capacity, std::true_type{});
    return launch(capacity, std::false_type{});
  };
  if (state <= 4) return with_direction(std::integral_constant<int, 4>{});
  if (state <= 8) return with_direction(std::integral_constant<int, 8>{});
  if (state <= 16) return with_direction(std::integral_constant<int, 16>{});
  if (state <= 32) return with_direction(std::integral_constant<int, 32>{});
  return with_direction(std::integral_constant<int, 64>{});
}

dim3 channel_grid(const ScanShape& s, int64_t segments) {
  const int64_t channel_groups = (s.channels + kChannelsPerBlock - 1) / kChannelsPerBlock;
  return {static_cast<unsigned>(segments), static_cast<unsigned>(channel_groups), static_cast<unsigned>(s.batch)};
}

// Phase 1: the state every segment of `w` reaches from zero, and its dt sum.
template <typename T>
void launch_chunk_states(const ScanCudaInputs<Dev<T>>& in, const ScanShape& s, const ScanOptions& o, const Workspace& w,
                         cudaStream_t stream) {
  with_kernel_variant(s.state, o.reverse, [&](auto capacity, auto reverse) {
    constexpr int kN = decltype(capacity)::value;
    constexpr bool kReverse = decltype(reverse)::value;
    launch_channel_kernel(chunk_states_kernel<Dev<T>, kN, kReverse>, channel_grid(s, w.chunks),
                          ForwardLayout<kN>::kThreads, kChunkStatesBytes<Dev<T>, kN>, stream, in, s, o, w);
  });
  check_launch("chunk_states_kernel");
}

// Phase 3: every segment rescanned from its start state (in.h0 when there is one segment,
// which also writes h_final) to write the output (when not null) and the saved states (when
// not null).
template <typename T>
void launch_chunk_outputs(const ScanCudaInputs<Dev<T>>& in, const ScanShape& s, const ScanOptions& o,
                          const Workspace& w, Dev<T>* out, float* h_final, float* saved, cudaStream_t stream) {
  with_kernel_variant(s.state, o.reverse, [&](auto capacity, auto reverse) {
    constexpr int kN = decltype(capacity)::value;
    constexpr bool kReverse = decltype(reverse)::value;
    if (w.dt_rows) {
      auto kernel = in.z && out ? chunk_outputs_from_dt_kernel<Dev<T>, kN, kReverse, true>
                         : chunk_outputs_from_dt_kernel<Dev<T>, kN, kReverse, false>;
      allow_shared_bytes(kernel, DtOutputsTiles<Dev<T>, kN>::kBytes);
      launch_after_previous(kernel, channel_grid(s, w.chunks), ForwardLayout<kN>::kThreads,
                            DtOutputsTiles<Dev<T>, kN>::kBytes, stream, in, s, o, w, out, saved);
      return;
    }
    launch_channel_kernel(chunk_outputs_kernel<Dev<T>, kN, kReverse>, channel_grid(s, w.chunks),
                          ForwardLayout<kN>::kThreads, kChunkOutputsBytes<Dev<T>, kN>, stream, in, s, o, w, out,
                          h_final, saved);
  });
  check_launch("chunk_outputs_kernel");
}

// Phase B1: per segment, its chunks' adjoints from a zero carry at its end and its summary.
template <typename T>
void launch_chunk_adjoints(const ScanCudaInputs<Dev<T>>& in, const Dev<T>* dout, const ScanShape& s,
                           const ScanOptions& o, const ChunkAdjoints& within, const Workspace& segments,
                           cudaStream_t stream) {
  with_kernel_variant(s.state, o.reverse, [&](auto capacity, auto reverse) {
    constexpr int kN = decltype(capacity)::value;
    constexpr bool kReverse = decltype(reverse)::value;
    launch_channel_kernel(chunk_adjoints_kernel<Dev<T>, kN, kReverse>, channel_grid(s, segments.chunks),
                          kChannelThreads, kChunkAdjointsBytes<kN>, stream, in, dout, s, o, within, segments);
  });
  check_launch("chunk_adjoints_kernel");
}

// Forward segments. One segment (a single pass, half the exponentials) when batch x channel
// groups alone give every multiprocessor a block and a half; otherwise about
// kForwardBlocksPerSm blocks per multiprocessor (of ForwardLayout<16>'s 128 threads), as
// measured best on the H200 (docs/performance.md), unless options ask for a count.
constexpr int64_t kForwardBlocksPerSm = 32;

int64_t forward_segments(const ScanShape& s, const ScanOptions& o, int64_t chunks) {
  if (o.forward_segments > 0) return std::min(o.forward_segments, chunks);
  const int64_t multiprocessors = multiprocessor_count();
  const int64_t blocks = s.batch * ((s.channels + kChannelsPerBlock - 1) / kChannelsPerBlock);
  if (2 * blocks >= 3 * multiprocessors) return 1;
  const int64_t wanted = kForwardBlocksPerSm * multiprocessors;
  return std::clamp<int64_t>((wanted + blocks - 1) / blocks, 1, chunks);
}

// The forward's segments and the phase-1 summaries they need, in stream-ordered scratch; with
// more than one segment also phase 1's dt for phase 3 (a float per input element).
class ForwardWorkspace {
 public:
  ForwardWorkspace(const ScanShape& s, const ScanOptions& o, cudaStream_t stream)
      : segment_chunks_(per_segment(s, o)),
        segments_((selective_scan_chunks(s.length) + segment_chunks_ - 1) / segment_chunks_),
        state_(s.batch * segments_ * s.channels * s.state * sizeof(float), stream, kWorkspace),
        dt_(s.batch * segments_ * s.channels * sizeof(float), stream, kWorkspace) {
    if (segments_ > 1) dt_rows_.emplace(s.batch * s.channels * s.length * sizeof(float), stream, kWorkspace);
  }
  Workspace get() const {
    return {state_.get(), dt_.get(), segments_, segment_chunks_, dt_rows_ ? dt_rows_->get() : nullptr};
  }

 private:
  static int64_t per_segment(const ScanShape& s, const ScanOptions& o) {
    const int64_t chunks = selective_scan_chunks(s.length), wanted = forward_segments(s, o, chunks);
    return (chunks + wanted - 1) / wanted;
  }
  int64_t segment_chunks_, segments_;
  Scratch state_, dt_;
  std::optional<Scratch> dt_rows_;
};

// The backward's adjoints within segments, per-segment adjoint summaries and per-segment
// parameter-gradient partials, in stream-ordered scratch. Its segments are the forward's
// saved ones (kScanSavedChunks chunks).
class BackwardWorkspace {
 public:
  BackwardWorkspace(const ScanShape& s, cudaStream_t stream)
      : chunks_(selective_scan_chunks(s.length)),
        segments_(selective_scan_saved_segments(s.length)),
        per_chunk_(s.batch * chunks_ * s.channels),
        per_segment_(s.batch * segments_ * s.channels),
        carry_(per_chunk_ * s.state * sizeof(float), stream, kWorkspace),
        later_dt_(per_chunk_ * sizeof(float), stream, kWorkspace),
        adjoint_state_(per_segment_ * s.state * sizeof(float), stream, kWorkspace),
        dt_(per_segment_ * sizeof(float), stream, kWorkspace),
        dA_partial_(per_segment_ * s.state * sizeof(float), stream, kWorkspace),
        dD_partial_(per_segment_ * sizeof(float), stream, kWorkspace),
        bias_partial_(per_segment_ * sizeof(float), stream, kWorkspace) {}
  ChunkAdjoints within() const { return {carry_.get(), later_dt_.get(), chunks_}; }
  Workspace adjoints() const { return {adjoint_state_.get(), dt_.get(), segments_, kScanSavedChunks}; }
  GradientPartials partials() const { return {dA_partial_.get(), dD_partial_.get(), bias_partial_.get()}; }

 private:
  int64_t chunks_, segments_, per_chunk_, per_segment_;
  Scratch carry_, later_dt_, adjoint_state_, dt_, dA_partial_, dD_partial_, bias_partial_;
};

// Phases B3 on: with the adjoints folded, each saved segment rescanned from its saved state
// for every gradient; then the ordered sums over channel groups (dB, dC) and segments (dA,
// dD, ddelta_bias).
template <typename T>
void run_gradient_phase(const ScanCudaInputs<Dev<T>>& in, const Dev<T>* dout, const ScanCudaGradients<T>& grad,
                        const ScanShape& s, const ScanOptions& o, const float* saved,
                        const BackwardWorkspace& workspace, cudaStream_t stream) {
  const GradientPartials part = workspace.partials();
  const ScanCudaGradients<Dev<T>> g{reinterpret_cast<Dev<T>*>(grad.du), reinterpret_cast<Dev<T>*>(grad.ddelta),
                                    grad.dA,                             reinterpret_cast<Dev<T>*>(grad.dB),
                                    reinterpret_cast<Dev<T>*>(grad.dC),  grad.dD,
                                    reinterpret_cast<Dev<T>*>(grad.dz),  grad.ddelta_bias,
                                    grad.dh0};
  const int64_t segments = selective_scan_saved_segments(s.length);
  const int64_t groups = (s.channels + kChannelsPerBlock - 1) / kChannelsPerBlock;
  Scratch state_grads(s.batch * groups * 2 * s.state * s.length * sizeof(float), stream, kWorkspace);
  with_kernel_variant(s.state, o.reverse, [&](auto capacity, auto reverse) {
    constexpr int kN = decltype(capacity)::value;
    constexpr bool kReverse = decltype(reverse)::value;
    launch_channel_kernel(chunk_gradients_kernel<Dev<T>, kN, kReverse>, channel_grid(s, segments), kChannelThreads,
                          GradientLayout<Dev<T>, kN>::kBytes, stream, in, dout, g, s, o, saved,
                          workspace.within(), workspace.adjoints(), part, state_grads.get());
  });
  check_launch("chunk_gradients_kernel");
  reduce_state_gradients_kernel<<<grid_for(s.batch * s.state * s.length), kThreadsPerBlock, 0, stream>>>(
      state_grads.get(), groups, s, g.dB, g.dC);
  check_launch("reduce_state_gradients_kernel");
  const int64_t partial_rows = s.batch * segments;  // row b * segments + segment
  add_ordered_row_sums_cuda(part.dA, partial_rows, s.channels * s.state, grad.dA, stream);
  if (grad.dD) add_ordered_row_sums_cuda(part.dD, partial_rows, s.channels, grad.dD, stream);
  if (grad.ddelta_bias) add_ordered_row_sums_cuda(part.ddelta_bias, partial_rows, s.channels, grad.ddelta_bias, stream);
}

// Phases 2-3 from in.h0 over phase 1's segment summaries (skipped with one segment, where
// phase 3 runs from in.h0 and writes h_final itself). out, h_final and saved may each be null.
template <typename T>
void finish_forward(const ScanCudaInputs<Dev<T>>& in, T* out, float* h_final, float* saved, const Workspace& w,
                    const ScanShape& s, const ScanOptions& o, cudaStream_t stream) {
  const bool segmented = w.chunks > 1;
  if (segmented) launch_fold(in.A, in.h0, s, w, false, {h_final}, stream);
  launch_chunk_outputs<T>(in, s, o, w, reinterpret_cast<Dev<T>*>(out), segmented ? nullptr : h_final, saved, stream);
}

bool empty_scan(const ScanShape& s) {
  check_shape(s);
  return s.batch * s.channels * s.length == 0;
}

template <typename T>
void scan_forward(const ScanCudaInputs<T>& in_host_types, T* out, float* h_final, float* saved, ScanShape s,
                  ScanOptions o, cudaStream_t stream) {
  if (empty_scan(s)) return;
  const ScanCudaInputs<Dev<T>> in = device_inputs(in_host_types);
  const ForwardWorkspace workspace(s, o, stream);
  const Workspace w = workspace.get();
  if (w.chunks > 1) launch_chunk_states<T>(in, s, o, w, stream);
  finish_forward<T>(in, out, h_final, saved, w, s, o, stream);
}

// What both exchanging passes keep between their calls: the first call's shape and stream,
// which the second must repeat (the workspace is sized for the shape and freed on the
// stream).
struct ExchangeCall : ScanExchangeWork {
  ExchangeCall(const ScanShape& s, cudaStream_t stream) : shape(s), stream(stream) {}
  void check_repeated(const char* call, const ScanShape& s, cudaStream_t on) const {
    SPINDLE_CHECK(s == shape && on == stream, call, "a shape or stream other than its first call's",
                  "the first call's shape and stream");
  }
  ScanShape shape;
  cudaStream_t stream;
};

// The exchanging forward between its calls: phase 1's segment summaries, which the fold for
// `reached` only read.
struct ForwardExchangeWork final : ExchangeCall {
  ForwardExchangeWork(const ScanShape& s, const ScanOptions& o, cudaStream_t stream)
      : ExchangeCall(s, stream), workspace(s, o, stream) {}
  ForwardWorkspace workspace;
};

// The exchanging backward between its calls: the states the gradient phase starts from
// (the forward's, or recomputed here) and the adjoint summaries, which the fold for
// dh0_alone only read. The workspace is taken after any recomputation, whose forward
// workspace is free by then.
struct BackwardExchangeWork final : ExchangeCall {
  using ExchangeCall::ExchangeCall;
  std::optional<Scratch> recomputed;
  const float* saved = nullptr;
  std::optional<BackwardWorkspace> workspace;
};

// The forward's saved states, or (saved null) a forward from in.h0 without output that
// saves them into `recomputed`.
template <typename T>
const float* states_for_backward(const ScanCudaInputs<T>& in_host_types, const float* saved, const ScanShape& s,
                                 const ScanOptions& o, std::optional<Scratch>& recomputed, cudaStream_t stream) {
  if (saved) return saved;
  recomputed.emplace(selective_scan_saved_floats(s) * sizeof(float), stream, kWorkspace);
  scan_forward<T>(in_host_types, nullptr, nullptr, recomputed->get(), s, o, stream);
  return recomputed->get();
}

template <typename T>
void scan_backward(const ScanCudaInputs<T>& in_host_types, const T* dout, const float* dh_final, const float* saved,
                   const ScanCudaGradients<T>& grad, ScanShape s, ScanOptions o, cudaStream_t stream) {
  if (empty_scan(s)) return;
  const ScanCudaInputs<Dev<T>> in = device_inputs(in_host_types);
  const auto* dout_device = reinterpret_cast<const Dev<T>*>(dout);
  std::optional<Scratch> recomputed;
  saved = states_for_backward(in_host_types, saved, s, o, recomputed, stream);
  const BackwardWorkspace workspace(s, stream);
  launch_chunk_adjoints<T>(in, dout_device, s, o, workspace.within(), workspace.adjoints(), stream);
  launch_fold(in.A, dh_final, s, workspace.adjoints(), true, {grad.dh0}, stream);
  run_gradient_phase<T>(in, dout_device, grad, s, o, saved, workspace, stream);
}

}  // namespace

ScanOccupancy selective_scan_occupancy_cuda(int64_t state) {
  check_shape({1, 1, 1, state});
  using T = Dev<bfloat16>;
  ScanOccupancy o;
  with_kernel_variant(state, false, [&](auto capacity, auto) {
    constexpr int kN = decltype(capacity)::value;
    o.chunk_states = blocks_per_multiprocessor(chunk_states_kernel<T, kN, false>, ForwardLayout<kN>::kThreads,
                                               kChunkStatesBytes<T, kN>);
    o.fold = blocks_per_multiprocessor(fold_chunks_kernel, kFoldThreads, 0);
    o.chunk_outputs = blocks_per_multiprocessor(chunk_outputs_kernel<T, kN, false>, ForwardLayout<kN>::kThreads,
                                                kChunkOutputsBytes<T, kN>);
    o.chunk_outputs_from_dt = blocks_per_multiprocessor(chunk_outputs_from_dt_kernel<T, kN, false, true>,
                                                        ForwardLayout<kN>::kThreads, DtOutputsTiles<T, kN>::kBytes);
    o.chunk_adjoints =
        blocks_per_multiprocessor(chunk_adjoints_kernel<T, kN, false>, kChannelThreads, kChunkAdjointsBytes<kN>);
    o.chunk_gradients =
        blocks_per_multiprocessor(chunk_gradients_kernel<T, kN, false>, kChannelThreads, GradientLayout<T, kN>::kBytes);
  });
  return o;
}

template <typename T>
void selective_scan_forward_cuda(const ScanCudaInputs<T>& in, T* out, float* h_final, float* saved, ScanShape s,
                                 ScanOptions o, cudaStream_t stream) {
  scan_forward(in, out, h_final, saved, s, o, stream);
}

template <typename T>
void selective_scan_backward_cuda(const ScanCudaInputs<T>& in, const T* dout, const float* dh_final,
                                  const float* saved, const ScanCudaGradients<T>& grad, ScanShape s, ScanOptions o,
                                  cudaStream_t stream) {
  scan_backward(in, dout, dh_final, saved, grad, s, o, stream);
}

template <typename T>
std::unique_ptr<ScanExchangeWork> selective_scan_forward_begin_cuda(const ScanCudaInputs<T>& in_host_types,
                                                                    float* reached, float* decay, ScanShape s,
                                                                    ScanOptions o, cudaStream_t stream) {
  if (empty_scan(s)) return std::make_unique<ScanExchangeWork>();
  auto work = std::make_unique<ForwardExchangeWork>(s, o, stream);
  const ScanCudaInputs<Dev<T>> in = device_inputs(in_host_types);
  const Workspace w = work->workspace.get();
  launch_chunk_states<T>(in, s, o, w, stream);
  launch_fold(in.A, nullptr, s, w, false, {reached, decay, false}, stream);
  return work;
}

template <typename T>
void selective_scan_forward_finish_cuda(ScanExchangeWork& work, const ScanCudaInputs<T>& in, T* out, float* saved,
                                        ScanShape s, ScanOptions o, cudaStream_t stream) {
  if (empty_scan(s)) return;
  const auto& forward = dynamic_cast<ForwardExchangeWork&>(work);
  forward.check_repeated("selective_scan_forward_finish_cuda", s, stream);
  const Workspace w = forward.workspace.get();
  finish_forward<T>(device_inputs(in), out, nullptr, saved, w, s, o, stream);
}

template <typename T>
std::unique_ptr<ScanExchangeWork> selective_scan_backward_begin_cuda(const ScanCudaInputs<T>& in_host_types,
                                                                     const T* dout, float* dh0_alone,
                                                                     const float* saved, ScanShape s, ScanOptions o,
                                                                     cudaStream_t stream) {
  if (empty_scan(s)) return std::make_unique<ScanExchangeWork>();
  auto work = std::make_unique<BackwardExchangeWork>(s, stream);
  const ScanCudaInputs<Dev<T>> in = device_inputs(in_host_types);
  work->saved = states_for_backward(in_host_types, saved, s, o, work->recomputed, stream);
  const BackwardWorkspace& workspace = work->workspace.emplace(s, stream);
  launch_chunk_adjoints<T>(in, reinterpret_cast<const Dev<T>*>(dout), s, o, workspace.within(), workspace.adjoints(),
                           stream);
  launch_fold(in.A, nullptr, s, workspace.adjoints(), true, {dh0_alone, nullptr, false}, stream);
  return work;
}

template <typename T>
void selective_scan_backward_finish_cuda(ScanExchangeWork& work, const ScanCudaInputs<T>& in_host_types,
                                         const T* dout, const float* dh_final, const ScanCudaGradients<T>& grad,
                                         ScanShape s, ScanOptions o, cudaStream_t stream) {
  if (empty_scan(s)) return;
  const auto& backward = dynamic_cast<BackwardExchangeWork&>(work);
  backward.check_repeated("selective_scan_backward_finish_cuda", s, stream);
  const ScanCudaInputs<Dev<T>> in = device_inputs(in_host_types);
  launch_fold(in.A, dh_final, s, backward.workspace->adjoints(), true, {grad.dh0}, stream);
  run_gradient_phase<T>(in, reinterpret_cast<const Dev<T>*>(dout), grad, s, o, backward.saved, *backward.workspace,
                        stream);
}

#define SPINDLE_INSTANTIATE(T)                                                                                       \
  template void selective_scan_forward_cuda<T>(const ScanCudaInputs<T>&, T*, float*, float*, ScanShape, ScanOptions,  \
                                               cudaStream_t);                                                        \
  template void selective_scan_backward_cuda<T>(const ScanCudaInputs<T>&, const T*, const float*, const float*,      \
                                                const ScanCudaGradients<T>&, ScanShape, ScanOptions, cudaStream_t);    \
  template std::unique_ptr<ScanExchangeWork> selective_scan_forward_begin_cuda<T>(                                    \
      const ScanCudaInputs<T>&, float*, float*, ScanShape, ScanOptions, cudaStream_t);                                \
  template void selective_scan_forward_finish_cuda<T>(ScanExchangeWork&, const ScanCudaInputs<T>&, T*, float*,        \
                                                      ScanShape, ScanOptions, cudaStream_t);                          \
  template std::unique_ptr<ScanExchangeWork> selective_scan_backward_begin_cuda<T>(                                   \
      const ScanCudaInputs<T>&, const T*, float*, const float*, ScanShape, ScanOptions, cudaStream_t);                \
  template void selective_scan_backward_finish_cuda<T>(ScanExchangeWork&, const ScanCudaInputs<T>&, const T*,         \
                                                       const float*, const ScanCudaGradients<T>&, ScanShape,          \
                                                       ScanOptions, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
