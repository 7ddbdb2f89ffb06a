// Which compute backends this build has. SPINDLE_WITH_CUDA is set by the build (0 or 1)
// for every target that links spindle_kernels; CUDA declarations sit behind it.
#pragma once

#ifndef SPINDLE_WITH_CUDA
#error "SPINDLE_WITH_CUDA must be defined by the build (link spindle_kernels)"
#endif

#if SPINDLE_WITH_CUDA
#include <cuda_runtime.h>
#endif
