/* Private pieces of the infinite-width kernels (kernels_*.c). */
#ifndef MECHANICS_KERNELS_INTERNAL_H
#define MECHANICS_KERNELS_INTERNAL_H

#include "internal.h"
#include "mechanics/kernels.h"

/* Gauss-Legendre rule on [-1, 1]: n nodes x and weights w (caller storage). */
void mech__gauss_legendre(size_t n, double *x, double *w);

/* E[g(u) g(v)] for g = phi (*pp) and g = phi' (*dd), (u, v) ~ N(0, K), by
 * the piecewise quadrature with the n-point rule (x, w); either output may
 * be NULL. Needs k11, k22 >= 0 (k12 is clipped to |rho| <= 1). */
void mech__gauss_moments_quad(mech_activation act, double k11, double k12, double k22,
                              size_t n, const double *x, const double *w, double *pp,
                              double *dd);

/* The same moments in closed form; false if the activation has none. */
bool mech__gauss_moments_closed(mech_activation act, double k11, double k12, double k22,
                                double *pp, double *dd);

/* True for a value of the mech_activation enum. */
bool mech__activation_valid(mech_activation act);

#endif
