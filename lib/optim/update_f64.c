/* Double-precision instance of the update loops. */
#include <math.h>

#include "optim_internal.h"

#define REAL double
#define SFX(name) name##_f64
#include "update_kernels.h"
