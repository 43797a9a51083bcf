/* gemm, syrk, gemv, dot, axpy in double and float over BLIS's typed API. */
#include <blis.h>

#include "linalg/shape.h"
#include "mechanics/linalg.h"

#define REAL double
#define NAME(f) f
#define BLI(op) bli_d##op
#include "linalg/blas_impl.h"
#undef REAL
#undef NAME
#undef BLI

#define REAL float
#define NAME(f) f##_f32
#define BLI(op) bli_s##op
#include "linalg/blas_impl.h"
