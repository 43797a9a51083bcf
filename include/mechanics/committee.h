/*
 * Teacher-student soft committee machines under online SGD (Saad & Solla
 * 1995; Biehl & Schwarze 1995; Goldt et al. 2019): the order-parameter ODEs
 * in the time alpha = steps / N, and the Gaussian integrals they are built
 * from. THEORY.md section 5 and docs/theory.md give the formulas.
 *
 * Setting: x ~ N(0, I_N); student f(x) = sum_k v_k g(w_k . x / sqrt N),
 * teacher f*(x) = sum_m A_m g(B_m . x / sqrt N) + noise_std * zeta; SGD per
 * fresh sample: w_k += (lr / sqrt N) v_k g'(lambda_k) (y - f) x
 * - (lr * weight_decay / N) w_k, and (when lr2 > 0) v_k += (lr2 / N) g(lambda_k) (y - f).
 * Order parameters Q = w w^T / N (K x K), R = w B^T / N (K x M),
 * T = B B^T / N (M x M, fixed). eps_g = (1/2) E[(f - f*_noiseless)^2].
 * g is scaled_erf (erf(z / sqrt 2)) or linear (identity).
 */
#ifndef MECHANICS_COMMITTEE_H
#define MECHANICS_COMMITTEE_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mech_committee_act {
    MECH_COMMITTEE_SCALED_ERF = 0,
    MECH_COMMITTEE_LINEAR = 1
} mech_committee_act;

typedef enum mech_committee_integral {
    MECH_COMMITTEE_I2 = 0, /* E[g(a) g(b)]             cov 2 x 2 */
    MECH_COMMITTEE_J2 = 1, /* E[g'(a) g'(b)]           cov 2 x 2 */
    MECH_COMMITTEE_I3 = 2, /* E[g'(a) b g(c)]          cov 3 x 3 */
    MECH_COMMITTEE_I4 = 3  /* E[g'(a) g'(b) g(c) g(d)] cov 4 x 4 */
} mech_committee_integral;

/* One Gaussian integral over zero-mean fields with covariance cov (row-major
 * k x k, k = 2, 2, 3, 4 for I2, J2, I3, I4; symmetric positive
 * semidefinite). Errors: MECH_EINVAL, MECH_ENONFINITE, MECH_ERANGE (not a
 * covariance: negative variance or |C_ij| > sqrt(C_ii C_jj)). */
MECH_API mech_status mech_committee_gaussian(mech_committee_act act,
                                             mech_committee_integral which,
                                             const double *cov, double *out);

/* Generalization error eps_g of order parameters Q (K x K), R (K x M),
 * T (M x M) with second layers v (K) and A (M). */
MECH_API mech_status mech_committee_eps_g(mech_committee_act act, size_t k, size_t m,
                                          const double *q, const double *r, const double *t,
                                          const double *v, const double *a, double *eps_g);

/* Integrates the order-parameter ODEs from (Q0, R0, v0) at alpha = 0 and
 * reports eps_g at the n_alpha sorted, non-negative times `alphas`.
 * lr > 0 (first layer), lr2 >= 0 (second layer; 0 keeps v fixed),
 * noise_std >= 0 (label noise standard deviation), weight_decay >= 0.
 * q_out (n_alpha x K x K), r_out (n_alpha x K x M) and v_out (n_alpha x K)
 * may be NULL. Integration: adaptive Dormand-Prince with relative and
 * absolute tolerance 1e-9 (mech_ode). Errors: MECH_EINVAL, MECH_ESHAPE,
 * MECH_ENONFINITE, MECH_ERANGE, MECH_ENOCONV (the integrator failed, e.g.
 * the learning rate makes Q blow up). */
MECH_API mech_status mech_committee_ode(const mech_ctx *ctx, mech_committee_act act, size_t k,
                                        size_t m, const double *q0, const double *r0,
                                        const double *t, const double *v0, const double *a,
                                        double lr, double lr2, double noise_std,
                                        double weight_decay, const double *alphas,
                                        size_t n_alpha, double *eps_g, double *q_out,
                                        double *r_out, double *v_out);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_COMMITTEE_H */
