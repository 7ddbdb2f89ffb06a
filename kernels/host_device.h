// SPINDLE_HOST_DEVICE marks small inline functions compiled for both the host and CUDA
// devices, so that the CPU reference and the CUDA kernels share one formula.
#pragma once

#if defined(__CUDACC__)
#define SPINDLE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define SPINDLE_HOST_DEVICE inline
#endif
