/* Private pieces shared by the eigenlearning solvers (eigenlearning.c,
 * rf_eigenlearning.c). */
#ifndef MECHANICS_EIGENLEARNING_INTERNAL_H
#define MECHANICS_EIGENLEARNING_INTERNAL_H

#include "internal.h"
#include "mechanics/eigenlearning.h"

/* z = sum_i lambda_i / (lambda_i + gamma) and (q may be NULL) q = sum of
 * its squares. */
void mech__learnability_sums(const double *lam, size_t m, double gamma, double *z, double *q);

/* A function of log(gamma), decreasing where it matters. */
typedef double (*mech__root_fn)(double log_gamma, const void *data);

/* Root of f by bisection in log space: the bracket [lo, hi] is widened
 * until f(lo) > 0 > f(hi), then halved to full precision. */
mech_status mech__solve_log_root(mech__root_fn f, const void *data, double lo, double hi,
                                 double *root, int *iters);

/* Validates an eigensystem and its parameters; *positive receives the
 * number of positive eigenvalues and *lmax the largest eigenvalue. */
mech_status mech__check_spectrum(const double *lam, const double *v, size_t m, double n,
                                 double ridge, double noise_var, size_t *positive,
                                 double *lmax);

/* Copies r into out up to out->size (r.size is set to out->size). */
void mech__store_result(mech_eigenlearning_result r, mech_eigenlearning_result *out);

#endif
