/* Single-precision instance of the update loops. */
#include <math.h>

#include "optim_internal.h"

#define REAL float
#define SFX(name) name##_f32
#include "update_kernels.h"
