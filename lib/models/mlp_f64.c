/* Double-precision instance of the network kernels. */
#include "mechanics/linalg.h"
#include "model_internal.h"

#define REAL double
#define SFX(name) name##_f64
#define GEMM mech_gemm
#include "mlp_kernels.h"
