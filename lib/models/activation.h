/* The elementwise activations shared by the models and the kernel
 * solvers (one definition: lib/models/activation.c). */
#ifndef MECHANICS_ACTIVATION_H
#define MECHANICS_ACTIVATION_H

#include "mechanics/model.h"

/* The activation and its first two derivatives at z. */
double mech__act(mech_activation a, double z);
double mech__act_d1(mech_activation a, double z);
double mech__act_d2(mech_activation a, double z);

#endif
