# Every dependency is a Debian/Ubuntu package (deploy/install-deps.sh); nothing is
# downloaded at configure or build time.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# CPU compute (kernels/)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(OPENBLAS_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas openblas-pthread REQUIRED)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)

# Runtime (platform/)
find_package(MPI REQUIRED COMPONENTS C)
# spindle uses the C API; keep the deprecated C++ bindings out of every translation unit.
add_compile_definitions(OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Boost 1.74 REQUIRED)
if(SPINDLE_WITH_CUDA)
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} REQUIRED)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} REQUIRED)
  add_library(spindle::nccl UNKNOWN IMPORTED)
  set_target_properties(spindle::nccl PROPERTIES IMPORTED_LOCATION ${NCCL_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${NCCL_INCLUDE_DIR})
endif()

# Storage and formats (io/)
find_package(HDF5 REQUIRED COMPONENTS C CXX HL)
pkg_check_modules(HTSLIB REQUIRED IMPORTED_TARGET htslib)
find_package(ZLIB REQUIRED)
# Optional: the LZF compression choice of stores (liblzf-dev); absent, spindle offers gzip and none.
pkg_check_modules(LZF QUIET IMPORTED_TARGET liblzf)

# Tests and benchmarks
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
