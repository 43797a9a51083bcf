/*
 * Kernel ridge regression by eigenlearning (Simon, Dickens, Karkada &
 * DeWeese 2023; Bordelon, Canatar & Pehlevan 2020): predicted test and train
 * error of KRR from the kernel's eigenvalues under the data measure and the
 * target's coefficients in the eigenbasis. Formulas: docs/theory.md and
 * THEORY.md section 3.
 *
 * Predictor: f(x) = K(x, X)(K(X, X) + ridge I)^-1 y with n samples and labels
 * y = f*(x) + noise of variance noise_var. Errors are mean squared errors
 * over the data measure (test) and over the n samples (train).
 */
#ifndef MECHANICS_EIGENLEARNING_H
#define MECHANICS_EIGENLEARNING_H

#include "mechanics/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Results of mech_eigenlearning. Set size = sizeof(mech_eigenlearning)
 * before the call; fields past `size` are not written. */
typedef struct mech_eigenlearning_result {
    size_t size;
    double kappa;      /* effective regularization: sum L_i + ridge/kappa = n */
    double e0;         /* overfitting coefficient n / (n - sum L_i^2) */
    double test_mse;   /* E0 (sum (1 - L_i)^2 v_i^2 + noise_var) */
    double train_mse;  /* (ridge / (n kappa))^2 test_mse */
    double sum_learnability; /* sum L_i = n - ridge/kappa */
    int iterations;    /* root-solver iterations */
    double residual;   /* |sum L_i + ridge/kappa - n| / n at the root */
} mech_eigenlearning_result;

/* Predicts KRR errors. eigenvalues: m values >= 0 (at least one > 0);
 * coefficients: the target's m coefficients v_i (not squared); n > 0
 * samples (real-valued: a continuous learning curve); ridge >= 0;
 * noise_var >= 0. learnabilities (m values, may be NULL) receives
 * L_i = lambda_i / (lambda_i + kappa).
 * Errors: MECH_EINVAL for NULL/m = 0, MECH_ENONFINITE for NaN, MECH_ERANGE
 * for negative values, and for ridge = 0 with n at least the number of
 * positive eigenvalues (the ridgeless interpolator is then not defined by
 * this theory), MECH_ENOCONV if the root solve fails. */
MECH_API mech_status mech_eigenlearning(const double *eigenvalues, const double *coefficients,
                                        size_t m, double n, double ridge, double noise_var,
                                        double *learnabilities,
                                        mech_eigenlearning_result *out);

/* Predicts the errors of random-feature ridge regression (Simon, Karkada,
 * Ghosh & Belkin 2024): the predictor K_k(x, X)(K_k(X, X) + ridge I)^-1 y
 * with the kernel K_k(x, x') = (1/k) sum_j g_j(x) g_j(x') of k random
 * features whose average over the features is the kernel with the given
 * eigensystem (eigenvalues, coefficients, m as for mech_eigenlearning).
 * Averaged over data and features; the limit k -> Inf is
 * mech_eigenlearning. k > 0 is real-valued like n.
 * Unknowns (kappa, gamma): sum L_i + ridge/kappa = n and
 * sum L_i + k kappa/gamma = k with L_i = lambda_i/(lambda_i + gamma).
 * Fields of out: kappa (0 when ridge = 0 and n > k), e0, test_mse (noisy
 * labels), train_mse = ((n - sum L_i)/n)^2 test_mse, sum_learnability =
 * sum L_i, iterations, residual of the equation solved. gamma (may be
 * NULL) receives gamma, the effective regularization of the features' own
 * kernel.
 * Errors: as mech_eigenlearning; also MECH_ENONFINITE for k not finite,
 * MECH_ERANGE for k <= 0, and for ridge = 0 with n = k (the interpolation
 * threshold) or with min(n, k) at least the number of positive
 * eigenvalues. */
MECH_API mech_status mech_rf_eigenlearning(const double *eigenvalues, const double *coefficients,
                                           size_t m, double n, double k, double ridge,
                                           double noise_var, double *gamma,
                                           mech_eigenlearning_result *out);

/* Eigensystem of a kernel on a finite measure: points x_1..x_M with
 * weights p_j (NULL: uniform 1/M; otherwise >= 0 summing to 1 within 1e-12).
 * kernel: M x M symmetric matrix K(x_i, x_j). eigenvalues (M, descending)
 * are those of the integral operator, i.e. of P^1/2 K P^1/2.
 * If target (M values f*(x_j)) and coefficients (M) are given, coefficients
 * receives v_i = sum_j p_j phi_i(x_j) f*(x_j) in the same order, with
 * eigenfunctions phi_i normalized in L2(p). eigenfunctions (M x M, row j
 * holding phi_i(x_j) in column i; may be NULL) receives them.
 * Errors: MECH_EINVAL, MECH_ENONFINITE, MECH_ERANGE (bad weights). */
MECH_API mech_status mech_kernel_eigensystem(const mech_ctx *ctx, const double *kernel,
                                             const double *weights, size_t m,
                                             const double *target, double *eigenvalues,
                                             double *coefficients, double *eigenfunctions);

/* Data-only estimate of KRR test error (GCV / KARE): for each of n_ridges
 * ridges, [(1/n) |y - y_hat|^2] / (1 - tr(S)/n)^2 with S = K (K + ridge I)^-1
 * and y_hat = S y. kernel: n x n symmetric PSD; ridges > 0.
 * One eigendecomposition serves every ridge. */
MECH_API mech_status mech_gcv_estimate(const mech_ctx *ctx, const double *kernel, size_t n,
                                       const double *y, const double *ridges,
                                       size_t n_ridges, double *estimates);

#ifdef __cplusplus
}
#endif

#endif /* MECHANICS_EIGENLEARNING_H */
