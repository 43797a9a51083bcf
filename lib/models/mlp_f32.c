/* Single-precision instance of the network kernels. */
#include "mechanics/linalg.h"
#include "model_internal.h"

#define REAL float
#define SFX(name) name##_f32
#define GEMM mech_gemm_f32
#include "mlp_kernels.h"
