#include "platform/random.h"

#include "kernels/random.h"

namespace spindle {
namespace {

using CpuFill = void (*)(float*, int64_t, uint64_t, uint64_t);
#if SPINDLE_WITH_CUDA
using CudaFill = void (*)(float*, int64_t, uint64_t, uint64_t, cudaStream_t);
#else
using CudaFill = void*;
#endif

void fill(Tensor& out, RandomStream& random, const Stream* stream, CpuFill cpu_fill, [[maybe_unused]] CudaFill cuda_fill,
          const char* operation) {
  SPINDLE_CHECK(out.dtype() == DType::f32 && out.is_contiguous(), operation, out.describe(),
                "a contiguous f32 tensor");
  if (out.device().is_cpu()) {
    cpu_fill(out.data<float>(), out.numel(), random.seed, random.offset);
  } else {
#if SPINDLE_WITH_CUDA
    DeviceGuard guard(out.device());
    const Stream ordering = stream ? *stream : Stream::per_thread(out.device());
    cuda_fill(out.data<float>(), out.numel(), random.seed, random.offset, ordering.cuda());
#else
    (void)stream;
#endif
  }
  random.offset += static_cast<uint64_t>(out.numel());
}

}  // namespace

#if SPINDLE_WITH_CUDA
#define SPINDLE_CUDA_FILL(name) kernels::name
#else
#define SPINDLE_CUDA_FILL(name) nullptr
#endif

void fill_uniform(Tensor& out, RandomStream& random, const Stream* stream) {
  fill(out, random, stream, kernels::fill_uniform_cpu, SPINDLE_CUDA_FILL(fill_uniform_cuda), "fill_uniform");
}

void fill_normal(Tensor& out, RandomStream& random, const Stream* stream) {
  fill(out, random, stream, kernels::fill_normal_cpu, SPINDLE_CUDA_FILL(fill_normal_cuda), "fill_normal");
}

}  // namespace spindle
