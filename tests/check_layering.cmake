# Fails when a source includes a header of a layer it may not depend on.
#   kernels/   may include kernels/
#   platform/  may include kernels/, platform/
#   io/        may include kernels/, platform/, io/
#   pipelines/ may include all but services/ (the executable under pipelines/cli/ may include all)
#   services/  may include all
cmake_minimum_required(VERSION 3.25)
set(allowed_kernels "kernels")
set(allowed_platform "kernels;platform")
set(allowed_io "kernels;platform;io")
set(allowed_pipelines "kernels;platform;io;pipelines")
set(allowed_services "kernels;platform;io;pipelines;services")
set(violations "")
foreach(layer kernels platform io pipelines services)
  file(GLOB_RECURSE sources RELATIVE ${ROOT} ${ROOT}/${layer}/*.h ${ROOT}/${layer}/*.cpp ${ROOT}/${layer}/*.cu
       ${ROOT}/${layer}/*.cuh ${ROOT}/${layer}/*.h.in)
  foreach(source ${sources})
    if(source MATCHES "^pipelines/cli/")
      continue()
    endif()
    file(STRINGS ${ROOT}/${source} includes REGEX "^#include \"(kernels|platform|io|pipelines|services)/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([a-z]+)/.*" "\\1" target_layer "${line}")
      if(NOT target_layer IN_LIST allowed_${layer})
        list(APPEND violations "${source}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering violations (see docs/ARCHITECTURE.md):\n  ${text}")
endif()
message(STATUS "layering ok")
