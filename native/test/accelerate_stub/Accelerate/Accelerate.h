// Stands in for macOS's Accelerate framework header when the kernel check is built on Linux:
// Debian's reference CBLAS (libblas-dev) declares the same cblas_sgemm, so the Accelerate GEMM's
// glue (native/src/gemm_accelerate.cc: transposes, leading dimensions, accumulation, k = 0) is
// tested against a real CBLAS here. The Accelerate framework itself is not.
#pragma once
#include <cblas.h>
